package io.grantry.server.http;

import io.grantry.server.crypto.PasswordHashingBusyException;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.Text;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last line of defence: a failure no handler answered becomes a JSON error without a stack
 * trace. A database that cannot be reached is 503 with Retry-After, never 500; so is a password
 * hashing too busy to take more work (a page for a browser).
 */
public final class Failures {
  private static final Logger log = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  public static void handle(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    Throwable err = ctx.failure();
    int status = ctx.statusCode();
    if (err != null && hashingBusy(err)) {
      busy(ctx);
      return;
    }
    if ((err != null && databaseUnavailable(err)) || (err == null && status == 503)) {
      log.warn(
          "Database unavailable for {} {}: {}",
          ctx.request().method(),
          EndpointPaths.routeOf(ctx),
          err == null ? "no answer within the timeout" : err.toString());
      ctx.response().putHeader("Retry-After", "1");
      send(
          ctx,
          503,
          "temporarily_unavailable",
          "The service is temporarily unavailable; try again shortly.");
      return;
    }
    if (err != null && badInput(err)) {
      send(ctx, 400, "invalid_request", "The request contains a value that cannot be processed.");
      return;
    }
    if (status < 400) {
      status = 500;
    }
    if (status >= 500) {
      log.error(
          "Unhandled failure on {} {}", ctx.request().method(), EndpointPaths.routeOf(ctx), err);
      send(ctx, 500, "server_error", "The server could not handle the request.");
    } else if (status == 413) {
      send(ctx, 413, "invalid_request", "The request body is too large.");
    } else if (status == 404) {
      notFound(ctx);
    } else if (status == 405) {
      send(ctx, 405, "invalid_request", "Method not allowed.");
    } else {
      send(ctx, status, "invalid_request", "The request is malformed.");
    }
  }

  /**
   * Nothing here: a page for a browser's navigation (Accept: text/html before JSON), the JSON error
   * for anything else.
   */
  public static void notFound(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    if (wantsHtml(ctx)) {
      Pages.error(ctx, 404, Text.of("error.notFoundTitle"), Text.of("error.notFound"), "not_found");
      return;
    }
    send(ctx, 404, "not_found", "No such resource.");
  }

  private static boolean hashingBusy(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof PasswordHashingBusyException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Every Argon2id slot and its queue are taken (a storm of sign-ins or password changes): 503 with
   * Retry-After, as a page for a browser (the sign-in forms) and as JSON for anything else (the
   * admin API). Logged without the request's data; the load is the news, not the request.
   */
  private static void busy(RoutingContext ctx) {
    log.warn(
        "Password hashing is saturated: {} {} answered 503",
        ctx.request().method(),
        ctx.normalizedPath());
    ctx.response()
        .putHeader("Retry-After", String.valueOf(PasswordHashingBusyException.RETRY_AFTER_SECONDS));
    if (wantsHtml(ctx)) {
      Pages.error(
          ctx, 503, Text.of("error.busyTitle"), Text.of("error.busy"), "temporarily_unavailable");
      return;
    }
    send(
        ctx,
        503,
        "temporarily_unavailable",
        "Too many passwords are being checked at once; try again in a moment.");
  }

  /** A browser's navigation or form post: it accepts HTML (and says so before JSON, if at all). */
  static boolean wantsHtml(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    if (accept == null) {
      return false;
    }
    int html = accept.indexOf("text/html");
    int json = accept.indexOf("application/json");
    return html >= 0 && (json < 0 || html < json);
  }

  public static boolean databaseUnavailable(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof ConnectException
          || t instanceof TimeoutException
          || t instanceof HttpClosedException) {
        return true;
      }
      if (t instanceof VertxException v
          && v.getMessage() != null
          && (v.getMessage().contains("Connection refused")
              || v.getMessage().contains("closed")
              || v.getMessage().contains("Timeout"))) {
        return true;
      }
      if (t instanceof ClosedConnectionException) {
        return true;
      }
      if (t instanceof PgException pg
          && pg.getSqlState() != null
          && (pg.getSqlState().startsWith("08") || pg.getSqlState().startsWith("57P"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * A value the database refuses as data (SQLSTATE class 22: a NUL byte, an invalid byte sequence,
   * a value out of range) came from the request: the caller's error, not the server's.
   */
  public static boolean badInput(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof PgException pg
          && pg.getSqlState() != null
          && pg.getSqlState().startsWith("22")) {
        return true;
      }
    }
    return false;
  }

  public static void send(RoutingContext ctx, int status, String error, String description) {
    if (ctx.response().ended()) {
      return; // answered already, e.g. 503 by the request timeout
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(new JsonObject().put("error", error).put("error_description", description).encode());
  }
}
