package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.server.GrantryServer;
import io.grantry.server.testing.TestServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the configuration alone can tell is said before any database is started or contacted: a
 * missing production secret, a port another process holds (named, with its setting); and a database
 * URL without a user is said to lack one, its port shown as a port.
 */
class StartChecksTest {

  static Exception startFailure(JsonObject settings) throws Exception {
    PrometheusMeterRegistry registry = GrantryServer.newRegistry();
    Vertx vertx = GrantryServer.createVertx(registry);
    try {
      GrantryConfig config = GrantryConfig.from(settings);
      TestServer.await(GrantryServer.start(vertx, config, registry));
      throw new AssertionError("the server started");
    } catch (ConfigException | IllegalStateException e) {
      return e;
    } finally {
      TestServer.await(vertx.close());
    }
  }

  @Test
  void aMissingSecretIsSaidBeforeTheDatabaseIsContacted() throws Exception {
    // Nothing listens at this database's port: had the start contacted it first, it would say so.
    int nothing = TestServer.freePort();
    Exception e =
        startFailure(
            new JsonObject()
                .put("GRANTRY_DB_URL", "postgresql://grantry@127.0.0.1:" + nothing + "/grantry")
                .put("GRANTRY_HTTP_PORT", String.valueOf(TestServer.freePort()))
                .put("GRANTRY_SECRET_PEPPER", TestServer.randomBase64(32)));
    assertThat(e).isInstanceOf(ConfigException.class);
    assertThat(e.getMessage()).startsWith("GRANTRY_KEK is required with GRANTRY_DB_URL");
  }

  @Test
  void aPortInUseIsNamedBeforeTheEmbeddedDatabaseStarts(@TempDir Path dataDir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Exception e =
          startFailure(
              new JsonObject()
                  .put("GRANTRY_DATA_DIR", dataDir.toString())
                  .put("GRANTRY_HTTP_PORT", String.valueOf(port)));
      assertThat(e.getMessage())
          .isEqualTo(
              "port "
                  + port
                  + " on 127.0.0.1 is already in use (another Grantry, or another server, listens"
                  + " there): stop it or set another GRANTRY_HTTP_PORT");
      assertThat(dataDir.resolve("postgres")).doesNotExist();
      assertThat(Files.list(dataDir).toList()).isEmpty();
    }
  }

  @Test
  void aManagementPortInUseIsNamedToo() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Exception e =
          startFailure(
              new JsonObject()
                  .put("GRANTRY_DB_URL", "postgresql://grantry@127.0.0.1:1/grantry")
                  .put("GRANTRY_KEK", TestServer.randomBase64(32))
                  .put("GRANTRY_SECRET_PEPPER", TestServer.randomBase64(32))
                  .put("GRANTRY_HTTP_PORT", String.valueOf(TestServer.freePort()))
                  .put("GRANTRY_METRICS_PORT", String.valueOf(port)));
      assertThat(e.getMessage()).contains("port " + port).endsWith("GRANTRY_METRICS_PORT");
    }
  }

  @Test
  void aDatabaseUrlWithoutAUserSaysSo() {
    assertThatThrownBy(
            () ->
                GrantryConfig.from(
                    new JsonObject().put("GRANTRY_DB_URL", "postgresql://db.example:5432/grantry")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "GRANTRY_DB_URL names no user: set GRANTRY_DB_USER, or put the user in the URL"
                + " (postgresql://user@host:port/database)");
    assertThat(
            GrantryConfig.from(
                    new JsonObject()
                        .put("GRANTRY_DB_URL", "postgresql://db.example:5432/grantry")
                        .put("GRANTRY_DB_USER", "grantry"))
                .database()
                .configured()
                .orElseThrow()
                .user())
        .isEqualTo("grantry");
  }
}
