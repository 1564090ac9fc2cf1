package io.grantry.cli;

import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.server.Database;
import io.grantry.server.config.ConfigLoader;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ServerSecrets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What the database-reading commands share: configuration, a connection, waiting for futures. */
final class CliSupport {
  private CliSupport() {}

  /** Where settings come from: the process environment (tests substitute a map). */
  static volatile Map<String, String> env = System.getenv();

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } catch (TimeoutException e) {
      throw new IllegalStateException("no answer from the database within 60 s");
    }
  }

  /**
   * As {@link #await}, with no time limit: for long work (a rebuild) that reports its own progress.
   */
  static <T> T awaitDone(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  static String oneLine(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    return m.replaceAll("[\\r\\n]+", " ");
  }

  /**
   * A connection to the configured database. With no GRANTRY_DB_URL: the embedded database of
   * GRANTRY_DATA_DIR, the running server's if there is one, else started here for the command.
   */
  static final class Db implements AutoCloseable {
    final Vertx vertx;
    final Pool pool;
    final GrantryConfig config;
    final PgSettings settings;
    private final EmbeddedPostgres started;

    private Db(
        Vertx vertx,
        Pool pool,
        GrantryConfig config,
        PgSettings settings,
        EmbeddedPostgres started) {
      this.vertx = vertx;
      this.pool = pool;
      this.config = config;
      this.settings = settings;
      this.started = started;
    }

    /**
     * A JDBC connection to the same database, for bulk work (COPY) on a thread of its own; the
     * caller closes it.
     */
    Connection jdbc() throws SQLException {
      Properties p = new Properties();
      p.setProperty("user", settings.user());
      if (settings.password() != null) {
        p.setProperty("password", settings.password());
      }
      return DriverManager.getConnection(settings.jdbcUrl(), p);
    }

    static Db open() throws Exception {
      Vertx vertx = Vertx.vertx();
      try {
        GrantryConfig config = await(ConfigLoader.load(vertx, env));
        PgSettings settings;
        EmbeddedPostgres started = null;
        if (config.embeddedDatabase()) {
          Path dir = Database.embeddedDataDir(config.database());
          Integer port = runningPort(dir);
          if (port == null && !Files.exists(dir.resolve("PG_VERSION"))) {
            throw new IllegalStateException(
                "no database: GRANTRY_DB_URL is not set and "
                    + dir
                    + " holds no embedded database yet (start the server once)");
          }
          // The superuser's password, where the server keeps it (the embedded database requires
          // it of every connection).
          String password = ServerSecrets.embeddedDatabasePassword(config.database().dataDir());
          if (port != null) {
            settings =
                new PgSettings(
                    EmbeddedPostgres.HOST,
                    port,
                    "postgres",
                    EmbeddedPostgres.USER,
                    password,
                    Map.of());
          } else {
            started = EmbeddedPostgres.builder().password(password).build().start(dir, 0);
            settings = started.settings("postgres");
          }
        } else {
          settings = Database.open(config.database()).settings();
        }
        Pool pool =
            PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(2))
                .connectingTo(settings.connectOptions())
                .using(vertx)
                .build();
        return new Db(vertx, pool, config, settings, started);
      } catch (Exception e) {
        vertx.close();
        throw e;
      }
    }

    /**
     * The port of a server running on {@code dataDir}, from its postmaster.pid (line 4), if it
     * answers.
     */
    private static Integer runningPort(Path dataDir) {
      Path pid = dataDir.resolve("postmaster.pid");
      try {
        if (!Files.exists(pid)) {
          return null;
        }
        List<String> lines = Files.readAllLines(pid);
        if (lines.size() < 4) {
          return null;
        }
        int port = Integer.parseInt(lines.get(3).trim());
        try (var s = new Socket()) {
          s.connect(new InetSocketAddress(EmbeddedPostgres.HOST, port), 1000);
          return port;
        }
      } catch (IOException | NumberFormatException e) {
        return null;
      }
    }

    @Override
    public void close() throws Exception {
      await(pool.close());
      await(vertx.close());
      if (started != null) {
        started.stop();
      }
    }
  }
}
