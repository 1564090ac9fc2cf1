package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.server.GrantryServer;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The development server's embedded PostgreSQL trusts nobody: every connection, over TCP or its
 * Unix socket, needs the superuser's password, which is kept in {@code <data dir>/secrets.json}
 * with the other development secrets; the CLI's database tools find it there, whether they attach
 * to the running server's database or start it themselves.
 */
class EmbeddedDatabaseAuthTest {

  static Path newDataDir(String name) {
    return Path.of(System.getProperty("grantry.test.dir", "target"))
        .toAbsolutePath()
        .resolve(name + "-" + System.nanoTime());
  }

  static Map<String, String> env(Path dataDir, int port) {
    return Map.of(
        "GRANTRY_DATA_DIR",
        dataDir.toString(),
        "GRANTRY_HTTP_PORT",
        String.valueOf(port),
        "GRANTRY_HTTP_INSTANCES",
        "1",
        "GRANTRY_CHECKPOINT_INTERVAL_MS",
        "0");
  }

  record Running(Vertx vertx, GrantryServer server) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      TestServer.await(server.stop());
      TestServer.await(vertx.close());
    }

    int pgPort() {
      return server.database().settings().port();
    }
  }

  static Running start(Map<String, String> env) throws Exception {
    JsonObject raw = new JsonObject();
    env.forEach(raw::put);
    GrantryConfig config = GrantryConfig.from(raw);
    var registry = GrantryServer.newRegistry();
    Vertx vertx = GrantryServer.createVertx(registry);
    return new Running(vertx, TestServer.await(GrantryServer.start(vertx, config, registry)));
  }

  static void assertRefusedWithoutPassword(int pgPort) {
    assertThatThrownBy(
            () ->
                DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres?connectTimeout=10",
                    "postgres",
                    null))
        .isInstanceOf(SQLException.class)
        .satisfies(
            e -> assertThat(((SQLException) e).getSQLState()).isIn("28P01", "28000", "08004"));
  }

  static String storedPassword(Path dataDir) throws Exception {
    return new JsonObject(Files.readString(dataDir.resolve("secrets.json")))
        .getString("postgres_password");
  }

  @Test
  void theDevelopmentDatabaseAsksEveryoneForThePasswordAndTheCliHasIt() throws Exception {
    Path dataDir = newDataDir("embedded-auth");
    Map<String, String> env = env(dataDir, TestServer.freePort());
    try (Running running = start(env)) {
      int pgPort = running.pgPort();
      assertRefusedWithoutPassword(pgPort);
      // The Unix socket in the data directory too (native transport).
      if (running.vertx().isNativeTransportEnabled()) {
        PgConnectOptions socket =
            new PgConnectOptions()
                .setHost(dataDir.resolve("postgres").toString())
                .setPort(pgPort)
                .setDatabase("postgres")
                .setUser("postgres");
        assertThat(
                PgConnection.connect(running.vertx(), socket)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .handle((c, err) -> err)
                    .get())
            .as("a connection over the Unix socket without the password")
            .isNotNull();
        PgConnection withPassword =
            TestServer.await(
                PgConnection.connect(
                    running.vertx(),
                    new PgConnectOptions(socket).setPassword(storedPassword(dataDir))));
        TestServer.await(withPassword.close());
      }
      // The CLI attaches to the running server's database with the stored password.
      CliSupportAccess.Run tail = CliSupportAccess.run(env, "events", "tail", "-n", "3");
      assertThat(tail.code()).as(tail.err()).isZero();
      assertThat(tail.out()).contains("client.registered.v1");
    }
    // With the server stopped, the CLI starts the database itself (and stops it again).
    CliSupportAccess.Run status = CliSupportAccess.run(env, "projections", "status");
    assertThat(status.code()).as(status.err()).isZero();
    // A restart finds the password where it left it.
    try (Running again = start(env)) {
      assertRefusedWithoutPassword(again.pgPort());
    }
  }

  /**
   * A data directory from before, whose PostgreSQL trusted every local connection and whose
   * secrets.json holds no database password: the CLI's tools and the server keep working on it, and
   * the first start migrates it (password set, pg_hba.conf rewritten), keeping its data.
   */
  @Test
  void aDataDirectoryThatTrustedEveryoneIsMigratedOnItsNextStart() throws Exception {
    Path dataDir = newDataDir("embedded-trusting");
    Map<String, String> env = env(dataDir, TestServer.freePort());
    String kid;
    try (Running first = start(env)) {
      kid = first.server().resources().keys().signer(SigningAlgorithm.ES256).kid();
    }
    // Turn it into what an older version left behind.
    Path pg = dataDir.resolve("postgres");
    EmbeddedPostgres old =
        EmbeddedPostgres.builder().password(storedPassword(dataDir)).build().start(pg, 0);
    try (var c = DriverManager.getConnection(old.jdbcUrl("postgres"), "postgres", old.password());
        var st = c.createStatement()) {
      st.execute("ALTER ROLE postgres PASSWORD NULL");
    } finally {
      old.stop();
    }
    Files.writeString(
        pg.resolve("pg_hba.conf"),
        "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n");
    JsonObject secrets = new JsonObject(Files.readString(dataDir.resolve("secrets.json")));
    secrets.remove("postgres_password");
    Files.writeString(dataDir.resolve("secrets.json"), secrets.encodePrettily());

    // The CLI's tools start it for the command: it is migrated then.
    CliSupportAccess.Run tail = CliSupportAccess.run(env, "events", "tail", "-n", "1");
    assertThat(tail.code()).as(tail.err()).isZero();
    assertThat(storedPassword(dataDir)).isNotBlank();
    assertThat(Files.readString(pg.resolve("pg_hba.conf"))).doesNotContain("trust");

    try (Running migrated = start(env)) {
      assertRefusedWithoutPassword(migrated.pgPort());
      // Same database: the signing key made on the first start still signs.
      assertThat(migrated.server().resources().keys().signer(SigningAlgorithm.ES256).kid())
          .isEqualTo(kid);
    }
  }
}
