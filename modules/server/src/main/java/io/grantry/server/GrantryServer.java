package io.grantry.server;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.pg.Migrations;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.server.app.InlineProjections;
import io.grantry.server.audit.LedgerCheckpoints;
import io.grantry.server.browser.LoginThrottle;
import io.grantry.server.clients.ClientCache;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ServerSecrets;
import io.grantry.server.crypto.ClientSecrets;
import io.grantry.server.crypto.CryptoProviders;
import io.grantry.server.crypto.KeyEncryption;
import io.grantry.server.crypto.PasswordHasher;
import io.grantry.server.dev.DevSeed;
import io.grantry.server.health.ProjectionLagMetrics;
import io.grantry.server.health.ReadinessGauge;
import io.grantry.server.health.SigningProviderMetrics;
import io.grantry.server.http.HttpVerticle;
import io.grantry.server.keys.KeyService;
import io.grantry.server.ops.OpsCounters;
import io.grantry.server.ops.OpsMetrics;
import io.grantry.server.token.IntrospectionCache;
import io.grantry.server.tokenstate.TokenStatePruner;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots a server: the database (embedded when none is configured), the migrations, the pool and the
 * HTTP verticles. Blocking steps (starting PostgreSQL, Flyway) run on worker threads.
 */
public final class GrantryServer {
  private static final Logger log = LoggerFactory.getLogger(GrantryServer.class);

  private final Vertx vertx;
  private final GrantryConfig config;
  private final Database database;
  private final ServerResources resources;
  private final String deploymentId;

  /** The management port's server (GRANTRY_METRICS_PORT), or null. */
  private final io.vertx.core.http.HttpServer metricsServer;

  private final EventStore store;
  private final List<String> devNotes;
  private final LedgerCheckpoints checkpoints;
  private final TokenStatePruner pruner;
  private final io.grantry.server.ops.GrowingTableAnalyzer analyzer;

  private record Crypto(
      ServerSecrets secrets, CryptoProviders.Installed providers, PasswordHasher passwords) {}

  private GrantryServer(
      Vertx vertx,
      GrantryConfig config,
      Database database,
      ServerResources resources,
      String deploymentId,
      io.vertx.core.http.HttpServer metricsServer,
      EventStore store,
      List<String> devNotes) {
    this.vertx = vertx;
    this.metricsServer = metricsServer;
    this.config = config;
    this.database = database;
    this.resources = resources;
    this.deploymentId = deploymentId;
    this.store = store;
    this.devNotes = List.copyOf(devNotes);
    this.checkpoints = new LedgerCheckpoints(vertx, store, resources.keys());
    checkpoints.start(
        GrantryConfig.longSetting(
            config.raw(),
            "GRANTRY_CHECKPOINT_INTERVAL_MS",
            LedgerCheckpoints.DEFAULT_INTERVAL_MS,
            0,
            86_400_000));
    this.pruner =
        new TokenStatePruner(
            vertx,
            resources.pool(),
            resources.clock(),
            TokenStatePruner.Settings.from(config),
            resources.registry());
    pruner.start();
    this.analyzer = new io.grantry.server.ops.GrowingTableAnalyzer(vertx, resources.pool());
    analyzer.start(
        GrantryConfig.longSetting(
            config.raw(), "GRANTRY_ANALYZE_INTERVAL_MS", 5_000, 0, 3_600_000));
  }

  /**
   * A Vert.x instance whose HTTP and pool metrics go to {@code registry} (the HTTP server's request
   * meters through {@link io.grantry.server.ops.HttpServerMeters}).
   */
  public static Vertx createVertx(PrometheusMeterRegistry registry) {
    MicrometerMetricsOptions metrics =
        new MicrometerMetricsOptions()
            .setEnabled(true)
            .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE);
    return Vertx.builder()
        // Netty's native epoll transport where it loads (Linux x86-64): fewer copies and
        // syscalls than NIO; elsewhere Vert.x stays on NIO.
        .with(new VertxOptions().setMetricsOptions(metrics).setPreferNativeTransport(true))
        .withMetrics(
            io.grantry.server.ops.HttpServerMeters.factory(
                new MicrometerMetricsFactory(registry), registry))
        .build();
  }

  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    OpsMetrics.configure(registry);
    return registry;
  }

  public static Future<GrantryServer> start(
      Vertx vertx, GrantryConfig config, PrometheusMeterRegistry registry) {
    return start(vertx, config, registry, Clock.systemUTC());
  }

  /**
   * Starts with {@code clock} as the time of every decision (token and code lifetimes, sessions,
   * key rotation); tests pass a clock they can move instead of sleeping.
   */
  public static Future<GrantryServer> start(
      Vertx vertx, GrantryConfig config, PrometheusMeterRegistry registry, Clock clock) {
    return vertx
        .executeBlocking(() -> Database.open(config), false)
        .compose(
            db -> {
              log.info("Using {}", db.describe());
              PgSettings s = db.settings();
              AtomicBoolean migrated = new AtomicBoolean();
              return vertx
                  .executeBlocking(
                      () -> Migrations.apply(s.jdbcUrl(), s.user(), s.password()), false)
                  .recover(
                      err ->
                          Future.failedFuture(
                              new IllegalStateException(
                                  "cannot use the database at "
                                      + s.host()
                                      + ":"
                                      + s.port()
                                      + "/"
                                      + s.database()
                                      + ": "
                                      + rootMessage(err),
                                  err)))
                  .compose(
                      result -> {
                        migrated.set(true);
                        PgConnectOptions connect =
                            s.connectOptions()
                                .setCachePreparedStatements(true)
                                .setPipeliningLimit(256);
                        Pool pool =
                            PgBuilder.pool()
                                .with(
                                    new PoolOptions()
                                        .setMaxSize(config.dbPoolSize())
                                        .setMaxWaitQueueSize(10_000)
                                        .setConnectionTimeout((int) config.dbTimeout().toMillis())
                                        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
                                        .setName("grantry"))
                                .connectingTo(connect)
                                .using(vertx)
                                .build();
                        return vertx
                            .executeBlocking(
                                () ->
                                    new Crypto(
                                        ServerSecrets.resolve(config),
                                        CryptoProviders.install(),
                                        new PasswordHasher()),
                                false)
                            .compose(
                                crypto -> {
                                  EventStore store =
                                      EventStore.create(
                                          vertx,
                                          pool,
                                          EventStoreOptions.defaults()
                                              .withMeterRegistry(registry)
                                              .withListenOptions(connect)
                                              .withClock(clock));
                                  ProjectionLagMetrics lag =
                                      new ProjectionLagMetrics(
                                          registry,
                                          List.copyOf(
                                              InlineProjections.register(store)
                                                  .projections()
                                                  .keySet()));
                                  lag.start(vertx, pool, 5000);
                                  KeyService keys =
                                      new KeyService(
                                          vertx,
                                          store,
                                          new KeyEncryption(crypto.secrets().kek()),
                                          clock,
                                          KeyService.longestTokenLifetime(config.raw()));
                                  ServerResources resources =
                                      new ServerResources(
                                          config,
                                          pool,
                                          connect,
                                          registry,
                                          migrated,
                                          crypto.secrets(),
                                          keys,
                                          new ClientSecrets(crypto.secrets().pepper()),
                                          crypto.passwords(),
                                          clock,
                                          new ClientCache(
                                              Duration.ofMillis(
                                                  GrantryConfig.longSetting(
                                                      config.raw(),
                                                      "GRANTRY_CLIENT_CACHE_MS",
                                                      1000,
                                                      0,
                                                      60_000))),
                                          LoginThrottle.fromConfig(config.raw()),
                                          io.grantry.server.throttle.ClientAuthThrottle.fromConfig(
                                              config.raw()),
                                          new OpsCounters(registry, pool),
                                          new IntrospectionCache(
                                              Duration.ofMillis(
                                                  GrantryConfig.longSetting(
                                                      config.raw(),
                                                      "GRANTRY_INTROSPECTION_CACHE_MS",
                                                      500,
                                                      0,
                                                      1000))),
                                          io.grantry.server.oauth.OAuthServices.grantStateCache(
                                              config.raw()),
                                          new io.grantry.server.app.ProjectionCache<>(
                                              userCacheTtl(config),
                                              id -> id.startsWith(USER_STREAMS)),
                                          new io.grantry.server.app.ProjectionCache<>(
                                              userCacheTtl(config),
                                              id -> id.startsWith("consent:")),
                                          io.grantry.server.sessions.SessionService.newCache(
                                              userCacheTtl(config)),
                                          new io.grantry.server.sessions.SessionService.Lifetimes(
                                              Duration.ofSeconds(
                                                  GrantryConfig.longSetting(
                                                      config.raw(),
                                                      "GRANTRY_SESSION_IDLE_SECONDS",
                                                      3600,
                                                      60,
                                                      30L * 24 * 3600)),
                                              Duration.ofSeconds(
                                                  GrantryConfig.longSetting(
                                                      config.raw(),
                                                      "GRANTRY_SESSION_MAX_SECONDS",
                                                      43_200,
                                                      60,
                                                      366L * 24 * 3600))));
                                  io.grantry.server.throttle.ThrottleMetrics.register(
                                      registry, resources);
                                  resources.opsCounters().start(vertx);
                                  new ReadinessGauge(registry).start(vertx, pool, migrated, 5000);
                                  resources.followCommits(store);
                                  return keys.start()
                                      .map(
                                          v -> {
                                            // What the active signers really use, in the log and on
                                            // /metrics.
                                            SigningProviderMetrics.register(registry, keys)
                                                .forEach(
                                                    (alg, provider) ->
                                                        log.info(
                                                            "{} tokens are signed by {}",
                                                            alg.wire(),
                                                            provider));
                                            return v;
                                          })
                                      // Development mode (embedded database) seeds demo clients and
                                      // a user once.
                                      .compose(
                                          v ->
                                              db.embedded()
                                                  ? new DevSeed(
                                                          vertx, store, resources, config.dataDir())
                                                      .run()
                                                      .map(DevSeed.Result::lines)
                                                  : Future.succeededFuture(List.<String>of()))
                                      .compose(
                                          notes ->
                                              io.grantry.server.health.MetricsRoutes
                                                  .listenSeparately(vertx, resources)
                                                  .compose(
                                                      metrics ->
                                                          vertx
                                                              .deployVerticle(
                                                                  () -> new HttpVerticle(resources),
                                                                  new DeploymentOptions()
                                                                      .setInstances(
                                                                          config.httpInstances()))
                                                              .map(
                                                                  id ->
                                                                      new GrantryServer(
                                                                          vertx, config, db,
                                                                          resources, id, metrics,
                                                                          store, notes))));
                                })
                            .onFailure(err -> pool.close());
                      })
                  .onFailure(
                      err ->
                          vertx.executeBlocking(
                              () -> {
                                db.close();
                                return null;
                              },
                              false));
            })
        .onSuccess(
            server ->
                log.info(
                    "Grantry listens on http://{}:{} (issuer {}), {} HTTP verticle(s), {} transport",
                    config.httpHost(),
                    config.httpPort(),
                    config.issuer(),
                    config.httpInstances(),
                    vertx.isNativeTransportEnabled() ? "native (epoll)" : "NIO"));
  }

  /** The prefix of every user's stream id. */
  private static final String USER_STREAMS = io.grantry.server.users.UsersProjection.streamId("");

  /**
   * GRANTRY_USER_CACHE_MS: how long a user lookup and a remembered consent are kept in memory (0:
   * off). Changes through this process drop them at once; through another instance they are seen
   * within this time, as client changes are with GRANTRY_CLIENT_CACHE_MS.
   */
  private static Duration userCacheTtl(GrantryConfig config) {
    return Duration.ofMillis(
        GrantryConfig.longSetting(config.raw(), "GRANTRY_USER_CACHE_MS", 1000, 0, 60_000));
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage()).replaceAll("[\\r\\n]+", " ");
  }

  public GrantryConfig config() {
    return config;
  }

  /** The signed ledger checkpoints (tests write one on demand). */
  public LedgerCheckpoints checkpoints() {
    return checkpoints;
  }

  /** The token-state retention job (tests run it on demand). */
  public TokenStatePruner pruner() {
    return pruner;
  }

  public io.grantry.server.ops.GrowingTableAnalyzer analyzer() {
    return analyzer;
  }

  public ServerResources resources() {
    return resources;
  }

  public Database database() {
    return database;
  }

  /**
   * In development mode, what to tell the developer: the demo clients, user, secrets, admin token
   * and an authorize URL (see {@link DevSeed}). Holds secrets: print it, never log it. Empty with a
   * configured database.
   */
  public List<String> devNotes() {
    return devNotes;
  }

  /** Undeploys the verticles, closes the pool and stops an embedded database. */
  public Future<Void> stop() {
    checkpoints.stop();
    pruner.stop();
    analyzer.stop();
    resources.keys().stop();
    resources.opsCounters().stop(vertx);
    return vertx
        .undeploy(deploymentId)
        .transform(
            ar -> metricsServer == null ? Future.<Void>succeededFuture() : metricsServer.close())
        .transform(ar -> store.close())
        .transform(ar -> resources.pool().close())
        .transform(
            ar ->
                vertx.executeBlocking(
                    () -> {
                      database.close();
                      return null;
                    },
                    false))
        .mapEmpty();
  }
}
