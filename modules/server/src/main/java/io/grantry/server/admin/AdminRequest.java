package io.grantry.server.admin;

import io.grantry.server.app.Aggregate;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What a handler reads from a request the OpenAPI router has already validated, and how it answers.
 */
final class AdminRequest {
  static final String REQUEST_ID = "grantry.request_id";
  private static final Pattern CALLER_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private AdminRequest() {}

  /**
   * Root handler: a request id for the events' metadata and the logs, the caller's {@code
   * X-Request-Id} if sane. A platform handler, so Vert.x Web runs it first.
   */
  static final PlatformHandler ASSIGN_REQUEST_ID = AdminRequest::assignRequestId;

  private static void assignRequestId(RoutingContext ctx) {
    String given = ctx.request().getHeader("X-Request-Id");
    String id =
        given != null && CALLER_REQUEST_ID.matcher(given).matches()
            ? given
            : UUID.randomUUID().toString();
    ctx.put(REQUEST_ID, id);
    ctx.response().putHeader("X-Request-Id", id);
    ctx.next();
  }

  /** Who acts: the admin, in this request. */
  static Aggregate.Metadata metadata(RoutingContext ctx) {
    return new Aggregate.Metadata("admin", ctx.get(REQUEST_ID), null);
  }

  static ValidatedRequest validated(RoutingContext ctx) {
    return ctx.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
  }

  static String path(RoutingContext ctx, String name) {
    return validated(ctx).getPathParameters().get(name).getString();
  }

  static Optional<RequestParameter> query(RoutingContext ctx, String name) {
    RequestParameter p = validated(ctx).getQuery().get(name);
    return p == null || p.isNull() ? Optional.empty() : Optional.of(p);
  }

  /** The JSON body, or an empty object when the operation's body is optional and none came. */
  static JsonObject body(RoutingContext ctx) {
    RequestParameter body = validated(ctx).getBody();
    return body == null || body.isNull() || body.isEmpty() || !body.isJsonObject()
        ? new JsonObject()
        : body.getJsonObject();
  }

  /** Answers with {@code render(result)} as JSON, or hands the failure to {@link AdminProblems}. */
  static <T> void respond(
      RoutingContext ctx, Future<T> result, int status, Function<T, JsonObject> render) {
    result.onComplete(
        ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          JsonObject json;
          try {
            json = render.apply(ar.result());
          } catch (RuntimeException e) {
            ctx.fail(e);
            return;
          }
          ctx.response()
              .setStatusCode(status)
              .putHeader("Content-Type", "application/json")
              // Creation and rotation answers carry a secret: no cache may keep them.
              .putHeader("Cache-Control", "no-store")
              .end(json.encode());
        });
  }
}
