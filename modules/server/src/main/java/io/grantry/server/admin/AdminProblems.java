package io.grantry.server.admin;

import io.grantry.domain.DomainError;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.http.Failures;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where the admin API's failures become responses: the OpenAPI library's request
 * validation and the domain's refusals are 400 naming the field, unknown ids 404, taken ids and
 * disabled aggregates 409. Anything else goes to {@link Failures}.
 *
 * <p>Messages never echo a value the caller sent (it might be a password): a validation failure is
 * described by its field and the JSON Schema keyword it broke, not by the library's message.
 */
final class AdminProblems {
  private static final Pattern QUOTED = Pattern.compile("\"([A-Za-z0-9_.-]{1,64})\"");
  private static final Pattern PARAMETER =
      Pattern.compile("(?:path|query|header|cookie) parameter ([A-Za-z0-9_.-]{1,64})");
  private static final Pattern EXPECTED_TYPE = Pattern.compile("Expected ([a-z]{1,16})");

  /** Keywords that only report that a subschema failed. */
  private static final Set<String> CONTAINER_KEYWORDS =
      Set.of(
          "properties",
          "items",
          "prefixItems",
          "allOf",
          "anyOf",
          "oneOf",
          "$ref",
          "$dynamicRef",
          "not");

  private AdminProblems() {}

  static void handle(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    Throwable err = ctx.failure();
    // Vert.x Web wraps what an input-trust handler (the validation) fails with in an HttpException.
    if (err instanceof HttpException h && h.getCause() != null) {
      err = h.getCause();
    }
    if (err instanceof CommandRejected rejected) {
      rejected(ctx, rejected.error());
    } else if (err instanceof ValidatorException invalid) {
      invalid(ctx, invalid);
    } else {
      Failures.handle(ctx);
    }
  }

  static void rejected(RoutingContext ctx, DomainError error) {
    if (error instanceof DomainError.ValidationError v) {
      send(ctx, 400, "invalid_request", v.message(), v.field());
    } else if (error instanceof DomainError.NotFound) {
      send(ctx, 404, "not_found", error.message(), null);
    } else if (error instanceof DomainError.AlreadyExists e && e.kind().equals("username")) {
      send(ctx, 409, "conflict", "username is taken", "username");
    } else if (error instanceof DomainError.AlreadyExists e && e.kind().equals("client_id")) {
      send(
          ctx,
          409,
          "conflict",
          "client_id is taken (client ids are unique regardless of case)",
          "client_id");
    } else if (error instanceof DomainError.AlreadyExists e) {
      send(ctx, 409, "conflict", error.message(), e.kind().equals("client") ? "client_id" : null);
    } else {
      send(ctx, 409, "conflict", error.message(), null);
    }
  }

  private static void invalid(RoutingContext ctx, ValidatorException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    Optional<String> field = parameterName(message);
    String reason;
    if (e instanceof SchemaValidationException s && s.getOutputUnit() != null) {
      OutputUnit unit = mostSpecific(s.getOutputUnit());
      if (field.isEmpty()) {
        field = fieldOf(unit);
      }
      reason = reason(unit);
    } else if (message.contains("can't be decoded") && field.isEmpty()) {
      reason = "the body is not valid JSON";
    } else if (message.contains("required body")) {
      reason = "a JSON body is required";
    } else if (e.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER) {
      reason = "is required";
    } else if (e.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT && field.isEmpty()) {
      reason = "the body must be sent as application/json";
    } else {
      reason = "is not valid";
    }
    String description =
        field.map(f -> f + " " + reason).orElse(reason) + " (see /admin/openapi.json)";
    send(ctx, 400, "invalid_request", description, field.orElse(null));
  }

  /**
   * The parameter a library message names: {@code The value of query parameter limit is invalid…}.
   */
  private static Optional<String> parameterName(String message) {
    Matcher m = PARAMETER.matcher(message);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * The unit that says what is wrong: a leaf keyword (not one that only reports that a subschema
   * failed) at the deepest instance location. Validators also report {@code additionalProperties}
   * for a known property whose value is wrong; that one counts only when nothing more specific
   * failed at the same place.
   */
  private static OutputUnit mostSpecific(OutputUnit root) {
    OutputUnit best = null;
    int bestScore = -1;
    Deque<OutputUnit> todo = new ArrayDeque<>();
    todo.add(root);
    while (!todo.isEmpty()) {
      OutputUnit u = todo.poll();
      if (u.getErrors() != null) {
        todo.addAll(u.getErrors());
      }
      if (u.getError() == null) {
        continue;
      }
      String k = keyword(u.getKeywordLocation());
      int rank =
          k == null || CONTAINER_KEYWORDS.contains(k)
              ? 0
              : k.equals("additionalProperties") ? 1 : 2;
      int score = length(u.getInstanceLocation()) * 4 + rank;
      if (score > bestScore) {
        best = u;
        bestScore = score;
      }
    }
    return best == null ? root : best;
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  /**
   * The top-level field of a unit: the first segment of its instance location ({@code
   * #/redirect_uris/0} is {@code redirect_uris}), or, for a missing property, the name the message
   * quotes.
   */
  private static Optional<String> fieldOf(OutputUnit unit) {
    String loc = unit.getInstanceLocation();
    if (loc != null) {
      String path = loc.startsWith("#") ? loc.substring(1) : loc;
      for (String segment : path.split("/")) {
        if (!segment.isEmpty()) {
          return Optional.of(segment);
        }
      }
    }
    if ("required".equals(keyword(unit.getKeywordLocation())) && unit.getError() != null) {
      Matcher m = QUOTED.matcher(unit.getError());
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
    return Optional.empty();
  }

  /** What the unit's keyword means, in words that never repeat the offending value. */
  private static String reason(OutputUnit unit) {
    String k = keyword(unit.getKeywordLocation());
    String error = unit.getError() == null ? "" : unit.getError();
    if (k == null) {
      return "is not valid";
    }
    switch (k) {
      case "required":
        return "is required";
      case "additionalProperties":
        return "is not a known field";
      case "type":
        {
          Matcher m = EXPECTED_TYPE.matcher(error);
          return m.find() ? "must be of type " + m.group(1) : "has the wrong type";
        }
      case "enum":
        {
          // The library lists the schema's values, never the instance's.
          String prefix = "Instance does not match any of ";
          return error.startsWith(prefix)
              ? "must be one of " + error.substring(prefix.length())
              : "is not an allowed value";
        }
      case "pattern":
        return "does not match the required pattern";
      case "minLength":
        return "is too short";
      case "maxLength":
        return "is too long";
      case "minimum":
        return "is below the minimum";
      case "maximum":
        return "is above the maximum";
      case "minItems":
        return "has too few items";
      case "maxItems":
        return "has too many items";
      case "uniqueItems":
        return "must not repeat an item";
      default:
        return "does not satisfy '" + k + "'";
    }
  }

  /** The JSON Schema keyword at the end of a keyword location, e.g. {@code maxLength}. */
  private static String keyword(String keywordLocation) {
    if (keywordLocation == null || keywordLocation.isEmpty()) {
      return null;
    }
    String k = keywordLocation.substring(keywordLocation.lastIndexOf('/') + 1);
    return k.matches("\\$?[A-Za-z]{1,32}") ? k : null;
  }

  static void send(RoutingContext ctx, int status, String error, String description, String field) {
    JsonObject body = new JsonObject().put("error", error).put("error_description", description);
    if (field != null) {
      body.put("field", field);
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }
}
