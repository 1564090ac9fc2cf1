package io.grantry.server.testing;

import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.GrantryServer;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.TracingSettings;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real server on 127.0.0.1 and a free port, on a fresh database of the shared embedded
 * PostgreSQL. Tests talk to it over HTTP.
 */
public final class TestServer implements AutoCloseable {
  public final Vertx vertx;
  public final GrantryServer server;
  public final TestDatabase db;
  public final int port;

  private TestServer(Vertx vertx, GrantryServer server, TestDatabase db, int port) {
    this.vertx = vertx;
    this.server = server;
    this.db = db;
    this.port = port;
  }

  /** The admin API's bearer token in every test server. */
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

  public static String randomBase64(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  public static TestServer start() throws Exception {
    return start(Map.of());
  }

  /** Starts with these GRANTRY_* settings on top of the test defaults. */
  public static TestServer start(Map<String, String> settings) throws Exception {
    return start(settings, Clock.systemUTC());
  }

  /**
   * Starts with these settings and {@code clock} (e.g. a {@link MutableClock}) as the server's
   * time.
   */
  public static TestServer start(Map<String, String> settings, Clock clock) throws Exception {
    return startOn(TestDatabase.fresh(), settings, clock);
  }

  /**
   * A server on an existing database: a second instance next to another. Instances of one
   * deployment share the key-encryption key and the pepper: pass the same GRANTRY_KEK and
   * GRANTRY_SECRET_PEPPER in {@code settings} (see {@link #sharedSecrets()}).
   */
  public static TestServer startOn(TestDatabase db, Map<String, String> settings, Clock clock)
      throws Exception {
    return startOn(db, db.jdbcUrl().replaceFirst("^jdbc:", ""), settings, clock);
  }

  /**
   * A server on the database at {@code dbUrl} ({@code postgresql://user@host:port/db}), e.g. an
   * embedded PostgreSQL of the test's own that it stops and starts; {@link #query} is not
   * available.
   */
  public static TestServer startOnUrl(String dbUrl, Map<String, String> settings) throws Exception {
    return startOn(null, dbUrl, settings, Clock.systemUTC());
  }

  /**
   * Starts with these settings, tracing as the launcher does: when the settings turn tracing on
   * (GRANTRY_OTEL_ENDPOINT), with the tracer {@code tracing} makes of them (a test's SDK, say);
   * else with none.
   */
  public static TestServer startTraced(
      Map<String, String> settings, Function<TracingSettings, VertxTracerFactory> tracing)
      throws Exception {
    TestDatabase db = TestDatabase.fresh();
    return startOn(
        db,
        db.jdbcUrl().replaceFirst("^jdbc:", ""),
        settings,
        Clock.systemUTC(),
        t -> t.on() ? tracing.apply(t) : null);
  }

  private static TestServer startOn(
      TestDatabase db, String dbUrl, Map<String, String> settings, Clock clock) throws Exception {
    return startOn(db, dbUrl, settings, clock, t -> null);
  }

  private static TestServer startOn(
      TestDatabase db,
      String dbUrl,
      Map<String, String> settings,
      Clock clock,
      Function<TracingSettings, VertxTracerFactory> tracing)
      throws Exception {
    int port = freePort();
    JsonObject env =
        new JsonObject()
            .put("GRANTRY_HTTP_HOST", "127.0.0.1")
            .put("GRANTRY_HTTP_PORT", String.valueOf(port))
            .put("GRANTRY_ISSUER", "http://127.0.0.1:" + port)
            .put("GRANTRY_HTTP_INSTANCES", "2")
            .put("GRANTRY_DB_POOL_SIZE", "6")
            .put("GRANTRY_DB_URL", dbUrl)
            .put("GRANTRY_DB_USER", "postgres")
            // The shared test server requires its superuser's password, as the development one
            // does; a test's own embedded PostgreSQL passes its own in settings.
            .put("GRANTRY_DB_PASSWORD", TestDatabase.server().password())
            .put("GRANTRY_KEK", randomBase64(32))
            .put("GRANTRY_SECRET_PEPPER", randomBase64(32))
            .put("GRANTRY_ADMIN_TOKEN", ADMIN_TOKEN)
            // Tests fail client authentication on purpose, many times from 127.0.0.1; the
            // throttle's own
            // test (ClientAuthThrottleTest) sets real allowances.
            .put("GRANTRY_CLIENT_AUTH_FREE_PER_CLIENT", "1000000")
            .put("GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS", "1000000");
    settings.forEach(env::put);
    GrantryConfig config = GrantryConfig.from(env);
    PrometheusMeterRegistry registry = GrantryServer.newRegistry();
    Vertx vertx = GrantryServer.createVertx(registry, tracing.apply(config.tracing()));
    GrantryServer server = await(GrantryServer.start(vertx, config, registry, clock));
    return new TestServer(vertx, server, db, config.http().port());
  }

  /** A KEK and a pepper for several instances of one deployment. */
  public static Map<String, String> sharedSecrets() {
    return Map.of("GRANTRY_KEK", randomBase64(32), "GRANTRY_SECRET_PEPPER", randomBase64(32));
  }

  /**
   * Runs {@code sql} on the server's database (a test's look at the ledger and the projections).
   */
  public List<Row> query(String sql, Object... params) throws Exception {
    Pool pool = PgBuilder.pool().connectingTo(db.connectOptions()).using(vertx).build();
    try {
      List<Row> rows = new ArrayList<>();
      await(pool.preparedQuery(sql).execute(Tuple.wrap(params))).forEach(rows::add);
      return rows;
    } finally {
      await(pool.close());
    }
  }

  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  public static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  @Override
  public void close() throws Exception {
    await(server.stop());
    await(vertx.close());
  }
}
