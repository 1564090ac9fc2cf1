package io.grantry.server;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.pg.Migrations;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.server.app.ProjectionCache;
import io.grantry.server.app.UsedJtis;
import io.grantry.server.audit.LedgerCheckpoints;
import io.grantry.server.backchannel.BackchannelSender;
import io.grantry.server.clients.ClientCache;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.clients.ClientKeys;
import io.grantry.server.clients.ClientService;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ListenPorts;
import io.grantry.server.config.ServerSecrets;
import io.grantry.server.crypto.ClientSecrets;
import io.grantry.server.crypto.CryptoProviders;
import io.grantry.server.crypto.KeyEncryption;
import io.grantry.server.crypto.PasswordHasher;
import io.grantry.server.crypto.PasswordHashing;
import io.grantry.server.dev.DevCallbackRoutes;
import io.grantry.server.dev.DevSeed;
import io.grantry.server.grants.GrantRevoker;
import io.grantry.server.health.MetricsRoutes;
import io.grantry.server.health.ProjectionLagMetrics;
import io.grantry.server.health.ReadinessGauge;
import io.grantry.server.health.SigningProviderMetrics;
import io.grantry.server.keys.KeyService;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.ops.GrowingTableAnalyzer;
import io.grantry.server.ops.HttpServerMeters;
import io.grantry.server.ops.OpsCounters;
import io.grantry.server.ops.OpsMetrics;
import io.grantry.server.ops.ProcessMetrics;
import io.grantry.server.pages.Look;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.throttle.ClientAuthThrottle;
import io.grantry.server.throttle.DeviceRequestThrottle;
import io.grantry.server.throttle.LoginThrottle;
import io.grantry.server.throttle.ThrottleMetrics;
import io.grantry.server.tokens.IntrospectionCache;
import io.grantry.server.tokens.TokenIssuer;
import io.grantry.server.tokenstate.AccessTokenMirror;
import io.grantry.server.tokenstate.AccessTokenMirrorFeed;
import io.grantry.server.tokenstate.TokenStatePruner;
import io.grantry.server.users.UserDirectory;
import io.grantry.server.users.UserService;
import io.grantry.server.users.UsersProjection;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.tracing.TracingOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boots a server, in this order: the database (embedded when none is configured), the migrations,
 * the pool, the secrets and cryptography, the server's own event store and shared resources, the
 * signing keys, the development seed, and the HTTP verticles. Blocking steps (starting PostgreSQL,
 * Flyway, reading or generating secrets, loading native crypto) run on worker threads. The
 * composition root: the one place that builds the shared resources and hands them out.
 *
 * <p>Why one long file: it is the composition root, the one place where every service is built and
 * handed out, in boot order; keeping it in one file is what lets the reader see the whole wiring,
 * and each step is a short method.
 */
public final class GrantryServer {
  private static final Logger log = LoggerFactory.getLogger(GrantryServer.class);

  private final Vertx vertx;
  private final GrantryConfig config;
  private final Database database;
  private final ServerResources resources;
  private final String deploymentId;

  /** The introspection mirror's feed's deployment, or null (mirror off). */
  private final String mirrorFeed;

  /** The management port's server (GRANTRY_METRICS_PORT), or null. */
  private final HttpServer metricsServer;

  private final EventStore store;
  private final List<String> devNotes;
  private final LedgerCheckpoints checkpoints;
  private final TokenStatePruner pruner;
  private final GrowingTableAnalyzer analyzer;
  private final ProjectionRunner following;
  private final BackchannelSender backchannel;
  private final long usedJtiPruning;
  private final ProcessMetrics processMetrics;

  /**
   * Whether commits are announced to other processes with NOTIFY. Not needed: the one process that
   * subscribes to the ledger is each server's own back-channel logout projection, for which its
   * store's poll (every half second) and its own commits' wake-ups are soon enough, and a NOTIFY
   * per batch on the token path would cost every token a little for that.
   */
  static final boolean ANNOUNCE_COMMITS = false;

  private record Crypto(
      ServerSecrets secrets, CryptoProviders.Installed providers, PasswordHasher passwords) {}

  private GrantryServer(
      Vertx vertx,
      GrantryConfig config,
      Database database,
      ServerResources resources,
      String deploymentId,
      String mirrorFeed,
      HttpServer metricsServer,
      EventStore store,
      List<String> devNotes) {
    this.vertx = vertx;
    this.mirrorFeed = mirrorFeed;
    this.metricsServer = metricsServer;
    this.config = config;
    this.database = database;
    this.resources = resources;
    this.deploymentId = deploymentId;
    this.store = store;
    this.devNotes = List.copyOf(devNotes);
    this.processMetrics = new ProcessMetrics(resources.registry(), config.database().poolSize());
    this.checkpoints =
        new LedgerCheckpoints(
            vertx,
            store,
            resources.keys(),
            new KeyEncryption(resources.secrets().kek()),
            config.ledger(),
            resources.clock());
    checkpoints.start();
    this.pruner =
        new TokenStatePruner(
            vertx, resources.pool(), resources.clock(), config.retention(), resources.registry());
    pruner.start();
    this.analyzer = new GrowingTableAnalyzer(vertx, resources.pool());
    analyzer.start(config.database().analyzeInterval().toMillis());
    // Back-channel logout: an asynchronous projection of the ledger (which clients to tell when a
    // session ends) and the sender that tells them, recording each attempt as an event.
    this.following = new ProjectionRunner(store);
    for (Projection p : BackgroundProjections.all()) {
      following
          .start(p)
          .onFailure(err -> log.error("Projection {} cannot follow the ledger", p.name(), err));
    }
    this.backchannel =
        new BackchannelSender(
            vertx,
            resources.pool(),
            store,
            new ClientDirectory(
                resources.pool(), resources.clientSecrets(), resources.clock(), null),
            new TokenIssuer(config.issuer(), config.tokens().audience(), resources.keys()),
            resources.clock());
    backchannel.start();
    // Used jtis (client assertions, DPoP proofs) past their expiry are only dead weight: every
    // instance deletes a batch of them each minute (SKIP LOCKED: instances never wait for each
    // other).
    UsedJtis jtis = new UsedJtis(resources.pool());
    this.usedJtiPruning =
        vertx.setPeriodic(
            60_000,
            id ->
                jtis.prune(10_000)
                    .onFailure(err -> log.warn("Pruning used jtis failed: {}", err.getMessage())));
  }

  /**
   * A Vert.x instance whose HTTP and pool metrics go to {@code registry} (the HTTP server's request
   * meters through {@link HttpServerMeters}).
   */
  public static Vertx createVertx(PrometheusMeterRegistry registry) {
    return createVertx(registry, null);
  }

  /**
   * The same, tracing with {@code tracer} (GRANTRY_OTEL_ENDPOINT: {@code Tracing.otlp}); null: no
   * tracer at all, so neither the HTTP server nor the SQL client makes any tracing call.
   */
  public static Vertx createVertx(PrometheusMeterRegistry registry, VertxTracerFactory tracer) {
    // No NET_CLIENT meters: vertx-micrometer registers one vertx_net_client_active_connections
    // gauge per TCP client with the same name and no labels, so the second (the ledger's LISTEN
    // connection after the pool) was refused with a warning at every start and the gauge counted
    // the first client only. The pool's own meters (vertx_pool_*) count the database connections.
    MicrometerMetricsOptions metrics =
        new MicrometerMetricsOptions()
            .setEnabled(true)
            .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
            .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE);
    return Vertx.builder()
        // Netty's native epoll transport where it loads (Linux x86-64): fewer copies and
        // syscalls than NIO; elsewhere Vert.x stays on NIO.
        .with(
            new VertxOptions()
                .setMetricsOptions(metrics)
                .setPreferNativeTransport(true)
                .setTracingOptions(tracer == null ? null : new TracingOptions()))
        .withMetrics(HttpServerMeters.factory(new MicrometerMetricsFactory(registry), registry))
        .withTracer(tracer)
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
    config.unknown().forEach(k -> log.warn("{} is not a setting of this server; it is ignored", k));
    // What the configuration alone can tell is checked before the database is opened (an embedded
    // one takes seconds to start): the secrets a production start needs, free ports, and the
    // brand stylesheet (read here, once).
    AtomicReference<Look> look = new AtomicReference<>();
    return vertx
        .executeBlocking(
            () -> {
              ServerSecrets.requireConfigured(config);
              ListenPorts.requireFree(config);
              look.set(Look.load(config.branding()));
              return Database.open(config.database());
            },
            false)
        .compose(
            db -> {
              log.info("Using {}", db.describe());
              AtomicBoolean migrated = new AtomicBoolean();
              return migrate(vertx, db)
                  .onSuccess(v -> migrated.set(true))
                  .compose(v -> connect(vertx, config, registry, clock, db, migrated, look.get()))
                  .onFailure(err -> close(vertx, db));
            })
        .onSuccess(
            server ->
                log.info(
                    "Grantry listens on http://{}:{} (issuer {}), {} HTTP verticle(s), {} transport",
                    config.http().host(),
                    config.http().port(),
                    config.issuer(),
                    config.http().instances(),
                    vertx.isNativeTransportEnabled() ? "native (epoll)" : "NIO"));
  }

  private static Future<Void> migrate(Vertx vertx, Database db) {
    PgSettings s = db.settings();
    return vertx
        .executeBlocking(() -> Migrations.apply(s.jdbcUrl(), s.user(), s.password()), false)
        .<Void>mapEmpty()
        .recover(
            err -> {
              // The whole story in this one message, which `grantry serve` prints: the driver's
              // words and, for TLS, what they mean; the driver's exception rides along suppressed.
              IllegalStateException e =
                  new IllegalStateException(
                      "cannot use the database at "
                          + s.host()
                          + ":"
                          + s.port()
                          + "/"
                          + s.database()
                          + ": "
                          + s.describeFailure(err));
              e.addSuppressed(err);
              return Future.failedFuture(e);
            });
  }

  /** The pool and the cryptography, then the rest; the pool is closed if the rest fails. */
  private static Future<GrantryServer> connect(
      Vertx vertx,
      GrantryConfig config,
      PrometheusMeterRegistry registry,
      Clock clock,
      Database db,
      AtomicBoolean migrated,
      Look look) {
    PgConnectOptions connect =
        db.settings()
            .connectOptions()
            .setCachePreparedStatements(true)
            .setPipeliningLimit(256)
            // Statements are traced only inside a traced request or ledger append, never from
            // background jobs alone.
            .setTracingPolicy(TracingPolicy.PROPAGATE);
    Pool pool =
        PgBuilder.pool()
            .with(
                new PoolOptions()
                    .setMaxSize(config.database().poolSize())
                    .setMaxWaitQueueSize(10_000)
                    .setConnectionTimeout((int) config.database().timeout().toMillis())
                    .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
                    .setName("grantry"))
            .connectingTo(connect)
            .using(vertx)
            .build();
    return vertx
        .executeBlocking(
            () ->
                new Crypto(
                    ServerSecrets.resolve(config), CryptoProviders.install(), new PasswordHasher()),
            false)
        .compose(
            crypto ->
                assemble(vertx, config, registry, clock, db, pool, connect, migrated, crypto, look))
        .onFailure(err -> pool.close());
  }

  private static Future<GrantryServer> assemble(
      Vertx vertx,
      GrantryConfig config,
      PrometheusMeterRegistry registry,
      Clock clock,
      Database db,
      Pool pool,
      PgConnectOptions connect,
      AtomicBoolean migrated,
      Crypto crypto,
      Look look) {
    EventStore store =
        EventStore.create(
            vertx,
            pool,
            EventStoreOptions.defaults()
                .withMeterRegistry(registry)
                .withListenOptions(connect)
                .withClock(clock)
                .withCommitNotifications(ANNOUNCE_COMMITS));
    new ProjectionLagMetrics(
            registry, List.copyOf(InlineProjections.register(store).projections().keySet()))
        .start(vertx, pool, 5000);
    KeyService keys =
        new KeyService(
            vertx,
            store,
            new KeyEncryption(crypto.secrets().kek()),
            clock,
            config.tokens().longestSignedLifetime());
    ServerResources resources =
        resources(vertx, config, pool, connect, registry, migrated, crypto, keys, clock, look);
    ThrottleMetrics.register(registry, resources.loginThrottle(), resources.clientAuthThrottle());
    resources.opsCounters().start(vertx);
    new ReadinessGauge(registry).start(vertx, pool, migrated, 5000);
    resources.followCommits(store);
    AtomicReference<String> mirrorFeed = new AtomicReference<>();
    return deployMirrorFeed(vertx, resources, connect)
        .compose(
            feed -> {
              mirrorFeed.set(feed);
              return keys.start();
            })
        .onSuccess(
            v ->
                // What the active signers really use, in the log and on /metrics.
                SigningProviderMetrics.register(registry, keys)
                    .forEach(
                        (alg, provider) ->
                            log.info("{} tokens are signed by {}", alg.wire(), provider)))
        // Development mode (embedded database) seeds demo clients and a user once.
        .compose(
            v ->
                db.embedded()
                    ? devSeed(vertx, store, resources)
                    : Future.succeededFuture((DevSeed.Result) null))
        .compose(
            dev ->
                MetricsRoutes.listenSeparately(vertx, registry, config.metrics(), db.embedded())
                    .compose(
                        metrics ->
                            vertx
                                .deployVerticle(
                                    // Development mode's callback page only with the demo data.
                                    () ->
                                        new HttpVerticle(
                                            resources,
                                            dev == null
                                                ? List.of()
                                                : List.of(new DevCallbackRoutes(dev.flow()))),
                                    new DeploymentOptions().setInstances(config.http().instances()))
                                .map(
                                    id ->
                                        new GrantryServer(
                                            vertx,
                                            config,
                                            db,
                                            resources,
                                            id,
                                            mirrorFeed.get(),
                                            metrics,
                                            store,
                                            dev == null ? List.of() : dev.lines()))));
  }

  /**
   * The introspection mirror's feed (when the mirror is on; null otherwise): a worker verticle, so
   * its load and its decoding of the ledger never run on an event loop. {@link #stop} undeploys it.
   */
  private static Future<String> deployMirrorFeed(
      Vertx vertx, ServerResources resources, PgConnectOptions connect) {
    AccessTokenMirror mirror = resources.accessTokenMirror();
    if (!mirror.enabled()) {
      return Future.succeededFuture(null);
    }
    long fresh = resources.config().caches().introspection().toMillis();
    return vertx.deployVerticle(
        new AccessTokenMirrorFeed(mirror, connect, resources.clock(), Math.max(10, fresh / 5)),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER));
  }

  private static ServerResources resources(
      Vertx vertx,
      GrantryConfig config,
      Pool pool,
      PgConnectOptions connect,
      PrometheusMeterRegistry registry,
      AtomicBoolean migrated,
      Crypto crypto,
      KeyService keys,
      Clock clock,
      Look look) {
    // Changes through this process drop the entries of these caches at once; another instance's
    // changes are seen within their time to live.
    String users = UsersProjection.streamId("");
    return new ServerResources(
        config,
        pool,
        connect,
        registry,
        migrated,
        crypto.secrets(),
        keys,
        new ClientSecrets(crypto.secrets().pepper()),
        new PasswordHashing(crypto.passwords(), config.passwordHashing()).withMetrics(registry),
        clock,
        new ClientCache(config.caches().clients()),
        new LoginThrottle(config.throttles()),
        new ClientAuthThrottle(config.throttles()),
        new DeviceRequestThrottle(config.device()),
        new OpsCounters(registry, pool),
        new IntrospectionCache(config.caches().introspection()),
        new AccessTokenMirror(
            config.caches().introspection(),
            config.caches().introspectionMirror(),
            clock,
            registry),
        OAuthServices.grantStateCache(config.caches()),
        new ProjectionCache<>(config.caches().users(), id -> id.startsWith(users)),
        new ProjectionCache<>(config.caches().users(), id -> id.startsWith("consent:")),
        SessionService.newCache(config.caches().users()),
        new ClientKeys(vertx, config.clients(), clock),
        look);
  }

  private static Future<DevSeed.Result> devSeed(Vertx vertx, EventStore store, ServerResources r) {
    GrantRevoker revoker = new GrantRevoker(store, r.clock());
    return new DevSeed(
            vertx,
            store,
            new ClientService(store, r.clientSecrets(), r.clock(), r.clientCache(), revoker),
            new UserService(store, r.passwords(), revoker, r.clock()),
            new UserDirectory(r.pool(), r.passwords(), r.userCache()),
            new ClientDirectory(r.pool(), r.clientSecrets(), r.clock(), r.clientCache()),
            r.config().issuer(),
            r.secrets().adminToken(),
            r.config().database().dataDir())
        .run();
  }

  private static void close(Vertx vertx, Database db) {
    vertx.executeBlocking(
        () -> {
          db.close();
          return null;
        },
        false);
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

  public GrowingTableAnalyzer analyzer() {
    return analyzer;
  }

  /** The back-channel logout sender (tests send what is due on demand). */
  public BackchannelSender backchannel() {
    return backchannel;
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
    processMetrics.close();
    checkpoints.stop();
    vertx.cancelTimer(usedJtiPruning);
    pruner.stop();
    analyzer.stop();
    following.stopAll();
    resources.keys().stop();
    resources.opsCounters().stop(vertx);
    resources.passwords().close();
    return vertx
        .undeploy(deploymentId)
        .transform(
            ar -> mirrorFeed == null ? Future.<Void>succeededFuture() : vertx.undeploy(mirrorFeed))
        .transform(
            ar -> metricsServer == null ? Future.<Void>succeededFuture() : metricsServer.close())
        .transform(ar -> backchannel.stop())
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
