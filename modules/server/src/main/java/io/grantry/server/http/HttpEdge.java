package io.grantry.server.http;

import io.grantry.server.config.HttpSettings;
import io.grantry.server.config.ListenPorts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The HTTP edge every request passes before its route group: slow-client deadlines, the client
 * address and scheme behind trusted proxies, HSTS over https, a request id, a 400 for a URI that
 * does not decode, and a deadline after which a request is answered 503 (or 408 while its body is
 * still arriving); then the route groups, and last a 404 (a page for browsers, JSON else) and the
 * failure handler. HTTP/1.1 with the request size limits of the README.
 */
public final class HttpEdge {
  private HttpEdge() {}

  private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /**
   * Listens with {@code groups} mounted behind the edge's handlers.
   *
   * @param requestTimeout no request outlives it (GRANTRY_DB_TIMEOUT_MS)
   * @param accessLogSample the share of requests the access log names (GRANTRY_ACCESS_LOG_SAMPLE)
   */
  public static Future<HttpServer> listen(
      Vertx vertx,
      HttpSettings settings,
      Duration requestTimeout,
      double accessLogSample,
      List<RouteGroup> groups) {
    // No request outlives the database timeout (the guard's request deadline): a database that
    // stops answering on an open connection (a partition) would otherwise hold the request until
    // TCP gives up.
    SlowClientGuard slow =
        new SlowClientGuard(
            vertx,
            settings.headerTimeout().toMillis(),
            settings.bodyTimeout().toMillis(),
            requestTimeout.toMillis());
    TrustedProxies proxies = new TrustedProxies(settings.trustedProxies());
    long hstsMaxAge = settings.hstsMaxAge().toSeconds();
    Router router = Router.router(vertx);
    router.route().handler(slow::handle);
    router
        .route()
        .handler(
            ctx -> {
              proxies.resolve(ctx);
              // RFC 6797: only over https (a browser ignores it over http anyway); every response,
              // not only pages.
              if (hstsMaxAge > 0 && TrustedProxies.https(ctx)) {
                ctx.response().putHeader("Strict-Transport-Security", "max-age=" + hstsMaxAge);
              }
              ctx.next();
            });
    router.route().handler(HttpEdge::requestId);
    AccessLog access = new AccessLog(accessLogSample);
    if (access.on()) {
      router.route().handler(access::handle);
    }
    router.route().handler(HttpEdge::decodable);
    router.route().handler(FormBody::refuseLookAlikes);
    groups.forEach(g -> g.mount(router));
    router.route().last().handler(Failures::notFound);
    router.route().failureHandler(Failures::handle);

    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(settings.host())
            .setPort(settings.port())
            .setMaxInitialLineLength(8192)
            .setMaxHeaderSize(16384)
            // Form fields are bounded by each route's body limit (16 KB, 64 KB); a longer token is
            // then answered by its endpoint (introspection: {"active": false}) rather than a 400.
            .setMaxFormAttributeSize(64 * 1024)
            .setMaxFormFields(256)
            .setIdleTimeout(60)
            // HTTP/1.1 only. With h2c (cleartext HTTP/2 upgrade) on, Vert.x creates the connection,
            // and
            // calls the connection handler that starts the slow-client deadlines, only once a first
            // request head is complete: a client trickling that head would never be cut off.
            .setHttp2ClearTextEnabled(false)
            .setCompressionSupported(false);
    return vertx
        .createHttpServer(options)
        .connectionHandler(slow::connected)
        .requestHandler(router)
        .listen()
        .recover(
            err ->
                String.valueOf(err.getMessage()).contains("Address already in use")
                    ? Future.failedFuture(
                        new IllegalStateException(
                            ListenPorts.inUse(
                                "GRANTRY_HTTP_PORT", settings.host(), settings.port())))
                    : Future.failedFuture(err));
  }

  /**
   * A request id for logs and event metadata: the caller's X-Request-Id when it is sane, else a new
   * one. The request is then left where log lines find it ({@link RequestLog}); the access log,
   * when it is on, follows.
   */
  private static void requestId(RoutingContext ctx) {
    String given = ctx.request().getHeader("X-Request-Id");
    String id = given != null && SANE_ID.matcher(given).matches() ? given : RequestIds.next();
    ctx.put("requestId", id);
    ctx.response().putHeader("X-Request-Id", id);
    RequestLog.attach(ctx);
    ctx.next();
  }

  /**
   * A path or query string that does not percent-decode is answered 400 here: left to the router
   * and the body handler, which decode it lazily, it threw from inside Vert.x and the request got a
   * bare 400 (bad path) or no answer at all (bad query on a form post).
   */
  private static void decodable(RoutingContext ctx) {
    try {
      ctx.normalizedPath();
      ctx.request().params();
      ctx.queryParams();
    } catch (IllegalArgumentException e) {
      Failures.send(ctx, 400, "invalid_request", "The request URI is not validly percent-encoded.");
      return;
    }
    ctx.next();
  }
}
