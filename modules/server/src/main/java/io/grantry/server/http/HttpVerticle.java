package io.grantry.server.http;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.server.ServerResources;
import io.grantry.server.account.AccountRoutes;
import io.grantry.server.admin.AdminApi;
import io.grantry.server.app.InlineProjections;
import io.grantry.server.authorize.AuthorizeRoutes;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.consents.ConsentService;
import io.grantry.server.discovery.DiscoveryRoutes;
import io.grantry.server.health.HealthRoutes;
import io.grantry.server.health.MetricsRoutes;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.token.IntrospectionRoutes;
import io.grantry.server.token.RevocationRoutes;
import io.grantry.server.token.TokenRoutes;
import io.grantry.server.token.UserinfoRoutes;
import io.grantry.server.users.UserDirectory;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * One HTTP server instance; the launcher deploys one per core on the same port. Each instance
 * mounts every route group (connections are shared round-robin between instances) and has its own
 * event store, so appends from the requests of one event loop are group-committed together.
 */
public final class HttpVerticle extends VerticleBase {
  private final ServerResources resources;
  private EventStore store;
  private HttpServer server;

  public HttpVerticle(ServerResources resources) {
    this.resources = resources;
  }

  @Override
  public Future<?> start() {
    var raw = resources.config().raw();
    store =
        EventStore.create(
            vertx,
            resources.pool(),
            EventStoreOptions.defaults()
                .withMeterRegistry(resources.registry())
                // Events are recorded at the server's time, the time the domain decided with (audit
                // as-of).
                .withClock(resources.clock())
                .withBatching(
                    GrantryConfig.intSetting(raw, "GRANTRY_APPEND_MAX_BATCH", 512, 1, 10_000),
                    GrantryConfig.intSetting(raw, "GRANTRY_APPEND_MAX_IN_FLIGHT", 1, 1, 64)));
    InlineProjections.register(store);
    resources.followCommits(store);
    ClientDirectory clients = new ClientDirectory(vertx, store, resources);
    UserDirectory users = new UserDirectory(vertx, store, resources);
    OAuthServices oauth = new OAuthServices(vertx, store, resources, clients, users);
    ConsentService consents = new ConsentService(store, resources);
    return AdminApi.create(vertx, store, resources)
        .compose(
            admin ->
                listen(
                    List.of(
                        new HealthRoutes(resources),
                        new MetricsRoutes(resources),
                        new io.grantry.server.ops.ClientAuthFailureCounter(resources),
                        new DiscoveryRoutes(resources),
                        new AuthorizeRoutes(oauth),
                        new TokenRoutes(oauth),
                        new RevocationRoutes(oauth),
                        new IntrospectionRoutes(oauth),
                        new UserinfoRoutes(oauth),
                        new AccountRoutes(oauth, consents),
                        admin)));
  }

  private Future<HttpServer> listen(List<RouteGroup> groups) {
    var raw = resources.config().raw();
    SlowClientGuard slow =
        new SlowClientGuard(
            vertx,
            GrantryConfig.longSetting(raw, "GRANTRY_HTTP_HEADER_TIMEOUT_MS", 10_000, 100, 600_000),
            GrantryConfig.longSetting(raw, "GRANTRY_HTTP_BODY_TIMEOUT_MS", 10_000, 100, 600_000));
    TrustedProxies proxies =
        TrustedProxies.parse(GrantryConfig.stringSetting(raw, "GRANTRY_TRUSTED_PROXIES", ""));
    long hstsMaxAge =
        GrantryConfig.longSetting(
            raw, "GRANTRY_HSTS_MAX_AGE_SECONDS", 31_536_000L, 0, 630_720_000L);
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
    router.route().handler(HttpVerticle::requestId);
    router.route().handler(HttpVerticle::decodable);
    router.route().handler(FormBody::refuseLookAlikes);
    // No request outlives the database timeout: a database that stops answering on an open
    // connection (a partition) would otherwise hold the request until TCP gives up.
    // A request whose body is still arriving then is a slow client, not a slow database: 408.
    long requestTimeout = resources.config().dbTimeout().toMillis();
    router
        .route()
        .handler(
            ctx -> {
              long timer =
                  ctx.vertx()
                      .setTimer(
                          requestTimeout,
                          t -> {
                            if (ctx.response().ended()) {
                              return;
                            }
                            if (!ctx.request().isEnded()) {
                              SlowClientGuard.tooSlow(ctx);
                            } else {
                              ctx.fail(503);
                            }
                          });
              ctx.addEndHandler(ar -> ctx.vertx().cancelTimer(timer));
              ctx.next();
            });
    groups.forEach(g -> g.mount(router));
    router.route().last().handler(ctx -> Failures.send(ctx, 404, "not_found", "No such resource."));
    router.route().failureHandler(Failures::handle);

    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(resources.config().httpHost())
            .setPort(resources.config().httpPort())
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
    server =
        vertx.createHttpServer(options).connectionHandler(slow::connected).requestHandler(router);
    return server.listen();
  }

  /**
   * A request id for logs and event metadata: the caller's X-Request-Id when it is sane, else a new
   * one.
   */
  private static void requestId(io.vertx.ext.web.RoutingContext ctx) {
    String given = ctx.request().getHeader("X-Request-Id");
    String id =
        given != null && given.matches("[A-Za-z0-9._-]{1,64}")
            ? given
            : java.util.UUID.randomUUID().toString();
    ctx.put("requestId", id);
    ctx.response().putHeader("X-Request-Id", id);
    ctx.next();
  }

  /**
   * A path or query string that does not percent-decode is answered 400 here: left to the router
   * and the body handler, which decode it lazily, it threw from inside Vert.x and the request got a
   * bare 400 (bad path) or no answer at all (bad query on a form post).
   */
  private static void decodable(io.vertx.ext.web.RoutingContext ctx) {
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

  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return store == null ? Future.succeededFuture() : store.close();
  }
}
