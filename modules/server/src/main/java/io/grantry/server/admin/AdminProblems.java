package io.grantry.server.admin;

import io.grantry.domain.DomainError;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.http.Failures;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one place where the admin API's failures become responses, as RFC 9457 problem details
 * ({@code application/problem+json}): the OpenAPI library's request validation and the domain's
 * refusals are 400 listing every invalid field in {@code errors}, unknown ids 404, a change made
 * for a version that is no longer current (If-Match) 412, taken ids and disabled aggregates 409, a
 * method a path does not have 405 with {@code Allow}. Anything else goes to {@link Failures} (which
 * logs it), answered in the same media type.
 *
 * <p>Besides the RFC's {@code type} (always {@code about:blank}: the status says what kind of
 * problem it is), {@code title}, {@code status} and {@code detail}, a problem carries the extension
 * members {@code error} (invalid_request, not_found, conflict, ...), {@code error_description} (the
 * same text as {@code detail}: what clients of the earlier JSON errors read), {@code field} (the
 * first field at fault) and {@code errors} ({@code [{field, pointer, detail}]}: one per field the
 * schema refuses; for the domain's rules one per problem, so a field may appear once per bad item,
 * e.g. {@code /redirect_uris/0} and {@code /redirect_uris/2}).
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

  static final String MEDIA_TYPE = "application/problem+json";

  static void handle(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    Throwable err = ctx.failure();
    String allow = err == null ? AdminMethods.allowed(ctx) : null;
    if (allow != null && (ctx.statusCode() == 404 || ctx.statusCode() == 405)) {
      // The path exists, the method does not (RFC 9110 §15.5.6: Allow lists what it has).
      ctx.response().putHeader("Allow", allow);
      send(
          ctx,
          405,
          "method_not_allowed",
          ctx.request().method().name() + " is not allowed on this path; it allows " + allow,
          (String) null);
      return;
    }
    if (err == null && ctx.statusCode() == 404) {
      send(
          ctx,
          404,
          "not_found",
          "No such admin resource (see /admin/openapi.json).",
          (String) null);
      return;
    }
    // Vert.x Web wraps what an input-trust handler (the validation) fails with in an HttpException.
    if (err instanceof HttpException h && h.getCause() != null) {
      err = h.getCause();
    }
    if (err instanceof CommandRejected rejected) {
      rejected(ctx, rejected.error());
    } else if (err instanceof ValidatorException invalid) {
      invalid(ctx, invalid);
    } else if (err instanceof WrongExpectedVersionException) {
      // Aggregate re-decides a lost race a few times; past that, the caller's to retry.
      send(
          ctx,
          409,
          "conflict",
          "it changed while this request was being decided, several times over; try again",
          (String) null);
    } else {
      // Failures writes the body (error and error_description) and logs what it must; the
      // media type is the admin API's.
      ctx.response()
          .headersEndHandler(
              v -> {
                if (ctx.response().getStatusCode() >= 400) {
                  ctx.response().putHeader("Content-Type", MEDIA_TYPE);
                }
              });
      Failures.handle(ctx);
    }
  }

  static void rejected(RoutingContext ctx, DomainError error) {
    if (error instanceof DomainError.ValidationError v) {
      sendAll(ctx, 400, "invalid_request", v.message(), List.of(Invalid.of(v)));
    } else if (error instanceof DomainError.ValidationErrors all) {
      sendAll(
          ctx,
          400,
          "invalid_request",
          all.message(),
          all.errors().stream().map(Invalid::of).toList());
    } else if (error instanceof DomainError.Stale) {
      // RFC 9110 §13.1.1: the If-Match the request was made with no longer holds.
      send(ctx, 412, "precondition_failed", error.message(), (String) null);
    } else if (error instanceof DomainError.CredentialsMustChange c) {
      send(
          ctx,
          409,
          "conflict",
          error.message()
              + " (a secret: POST /admin/clients/"
              + c.id()
              + "/enable with {\"rotate_secret\": true}; keys: PATCH or PUT with"
              + " \"disabled\": false and the new jwks or jwks_uri)",
          (String) null);
    } else if (error instanceof DomainError.NotFound) {
      send(ctx, 404, "not_found", error.message(), (String) null);
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
      send(ctx, 409, "conflict", error.message(), (String) null);
    }
  }

  private static void invalid(RoutingContext ctx, ValidatorException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    Optional<String> parameter = parameterName(message);
    List<Invalid> found = new ArrayList<>();
    if (e instanceof SchemaValidationException s && s.getOutputUnit() != null) {
      if (parameter.isPresent()) {
        found.add(
            new Invalid(
                parameter.get(),
                null,
                parameter.get() + " " + reason(mostSpecific(List.of(s.getOutputUnit())))));
      } else {
        found.addAll(perField(s.getOutputUnit()));
      }
    }
    if (found.isEmpty()) {
      String reason;
      if (message.contains("can't be decoded") && parameter.isEmpty()) {
        reason = "the body is not valid JSON";
      } else if (message.contains("required body")) {
        reason = "a JSON body is required";
      } else if (e.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER) {
        reason = "is required";
      } else if (e.type() == ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT && parameter.isEmpty()) {
        reason = "the body must be sent as application/json";
      } else {
        reason = "is not valid";
      }
      found.add(
          new Invalid(
              parameter.orElse(null), null, parameter.map(p -> p + " " + reason).orElse(reason)));
    }
    String description =
        found.stream().map(Invalid::detail).collect(Collectors.joining("; "))
            + " (see /admin/openapi.json)";
    sendAll(ctx, 400, "invalid_request", description, found);
  }

  /**
   * One field at fault: its wire name (null: the body as a whole), its JSON Pointer in the body
   * (null for a parameter), and what is wrong with it.
   */
  record Invalid(String field, String pointer, String detail) {
    static Invalid of(DomainError.ValidationError v) {
      return new Invalid(v.field(), v.pointer(), v.message());
    }

    JsonObject json() {
      JsonObject json = new JsonObject();
      if (field != null) {
        json.put("field", field);
      }
      if (pointer != null) {
        json.put("pointer", pointer);
      }
      return json.put("detail", detail);
    }
  }

  /**
   * Every field of the body the validator found at fault, each once with its most specific reason,
   * in the order the validator reports them. Errors at the body's root ({@code required}, {@code
   * additionalProperties}) name their field through the message or the instance location.
   */
  private static List<Invalid> perField(OutputUnit root) {
    Map<String, List<OutputUnit>> byField = new LinkedHashMap<>();
    List<OutputUnit> rootLevel = new ArrayList<>();
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
      if (k == null || CONTAINER_KEYWORDS.contains(k)) {
        continue;
      }
      Optional<String> field = fieldOf(u);
      if (field.isPresent()) {
        byField.computeIfAbsent(field.get(), f -> new ArrayList<>()).add(u);
      } else {
        rootLevel.add(u);
      }
    }
    List<Invalid> out = new ArrayList<>();
    byField.forEach(
        (field, units) -> {
          OutputUnit best = mostSpecific(units);
          out.add(new Invalid(field, pointer(best), field + " " + reason(best)));
        });
    if (out.isEmpty() && !rootLevel.isEmpty()) {
      out.add(new Invalid(null, null, reason(mostSpecific(rootLevel))));
    }
    return out;
  }

  /** The JSON Pointer (RFC 6901) of a unit's instance, e.g. {@code /redirect_uris/1}. */
  private static String pointer(OutputUnit unit) {
    String loc = unit.getInstanceLocation();
    if (loc == null) {
      return null;
    }
    String p = loc.startsWith("#") ? loc.substring(1) : loc;
    if (p.isEmpty() || "/".equals(p)) {
      // A missing or unknown property is reported at the object that lacks or has it.
      return fieldOf(unit).map(f -> "/" + f).orElse(null);
    }
    return p;
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
  private static OutputUnit mostSpecific(List<OutputUnit> roots) {
    OutputUnit best = null;
    int bestScore = -1;
    Deque<OutputUnit> todo = new ArrayDeque<>(roots);
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
    return best == null ? roots.get(0) : best;
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
    String k = keyword(unit.getKeywordLocation());
    if (("required".equals(k) || "additionalProperties".equals(k)) && unit.getError() != null) {
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
    sendAll(
        ctx,
        status,
        error,
        description,
        field == null ? List.of() : List.of(new Invalid(field, "/" + field, description)));
  }

  private static void sendAll(
      RoutingContext ctx, int status, String error, String description, List<Invalid> fields) {
    if (ctx.response().ended()) {
      return;
    }
    JsonObject body =
        new JsonObject()
            .put("type", "about:blank")
            .put("title", HttpResponseStatus.valueOf(status).reasonPhrase())
            .put("status", status)
            .put("detail", description)
            .put("error", error)
            .put("error_description", description);
    String requestId = ctx.get(AdminRequest.REQUEST_ID);
    if (requestId != null) {
      body.put("request_id", requestId);
    }
    fields.stream()
        .map(Invalid::field)
        .filter(f -> f != null)
        .findFirst()
        .ifPresent(f -> body.put("field", f));
    if (!fields.isEmpty()) {
      JsonArray errors = new JsonArray();
      fields.forEach(f -> errors.add(f.json()));
      body.put("errors", errors);
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", MEDIA_TYPE)
        .putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }
}
