package io.grantry.server.health;

import io.grantry.server.config.MetricsSettings;
import io.grantry.server.http.Failures;
import io.grantry.server.http.RouteGroup;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics} in the Prometheus text format: on the HTTP port (the default), or on a
 * management port of its own ({@link MetricsSettings#port}, see {@link #listenSeparately}), and
 * behind a bearer token when one is configured. What it tells (load, failing clients, signing
 * providers) is for operators; a deployment that exposes the HTTP port to the world moves it or
 * guards it.
 */
public final class MetricsRoutes implements RouteGroup {
  private static final Logger log = LoggerFactory.getLogger(MetricsRoutes.class);
  private final PrometheusMeterRegistry registry;
  private final MetricsSettings settings;
  private final boolean managementPort;

  /** The HTTP port's metrics: mounted only when no management port is configured. */
  public MetricsRoutes(PrometheusMeterRegistry registry, MetricsSettings settings) {
    this(registry, settings, false);
  }

  private MetricsRoutes(
      PrometheusMeterRegistry registry, MetricsSettings settings, boolean managementPort) {
    this.registry = registry;
    this.settings = settings;
    this.managementPort = managementPort;
  }

  @Override
  public void mount(Router router) {
    if (settings.separatePort() && !managementPort) {
      return;
    }
    byte[] expected = settings.token().map(MetricsRoutes::sha256).orElse(null);
    router
        .get("/metrics")
        .handler(
            ctx -> {
              if (expected != null && !authorized(ctx, expected)) {
                return;
              }
              ctx.vertx()
                  // Scraping formats every meter; keep it off the event loop.
                  .executeBlocking(registry::scrape, false)
                  .onSuccess(
                      text ->
                          ctx.response()
                              .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                              .end(text))
                  .onFailure(ctx::fail);
            });
  }

  /**
   * With GRANTRY_METRICS_PORT, a server of its own on that port that serves {@code /metrics} and
   * nothing else; null (in a succeeded future) without one.
   */
  public static Future<HttpServer> listenSeparately(
      Vertx vertx, PrometheusMeterRegistry registry, MetricsSettings settings, boolean embedded) {
    if (!settings.separatePort()) {
      if (settings.token().isEmpty() && !embedded) {
        log.warn(
            "/metrics is served on the HTTP port to anyone who reaches it: set"
                + " GRANTRY_METRICS_PORT (a management port) or GRANTRY_METRICS_TOKEN");
      }
      return Future.succeededFuture(null);
    }
    Router router = Router.router(vertx);
    new MetricsRoutes(registry, settings, true).mount(router);
    router.route().last().handler(ctx -> Failures.send(ctx, 404, "not_found", "No such resource."));
    router.route().failureHandler(Failures::handle);
    return vertx
        .createHttpServer(
            new HttpServerOptions()
                .setHost(settings.host())
                .setPort(settings.port().get())
                .setIdleTimeout(60)
                .setMaxInitialLineLength(4096)
                .setMaxHeaderSize(8192))
        .requestHandler(router)
        .listen()
        .onSuccess(
            server ->
                log.info(
                    "Metrics on http://{}:{}/metrics{}",
                    settings.host(),
                    server.actualPort(),
                    settings.token().isEmpty() ? "" : " (bearer token required)"));
  }

  /**
   * True if the request carries {@code Authorization: Bearer <token>}; else answers 401 (RFC 6750
   * §3). Compared as SHA-256 digests in constant time, as the admin token is.
   */
  private static boolean authorized(RoutingContext ctx, byte[] expected) {
    String header = ctx.request().getHeader("Authorization");
    String presented =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).trim()
            : null;
    if (presented != null && MessageDigest.isEqual(expected, sha256(presented))) {
      return true;
    }
    ctx.response()
        .setStatusCode(401)
        .putHeader(
            "WWW-Authenticate",
            presented == null
                ? "Bearer realm=\"grantry-metrics\""
                : "Bearer realm=\"grantry-metrics\", error=\"invalid_token\"")
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(
            new JsonObject()
                .put("error", "unauthorized")
                .put(
                    "error_description",
                    "/metrics needs 'Authorization: Bearer <GRANTRY_METRICS_TOKEN>'.")
                .encode());
    return false;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
