package io.grantry.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.AdminHttp.Response;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * SECURITY.md, "Storage and secrets": no client secret or password in an event (payload or
 * metadata), a projection row, or a log line. The test makes secrets through the admin API and then
 * scans everything the server wrote.
 */
class SecretsNeverInClearTest {

  @Test
  void secretsAndPasswordsAppearNowhereButInTheResponsesThatIssueThem() throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    List<String> secrets = new ArrayList<>();
    List<String> rows = new ArrayList<>();
    try (TestServer server = TestServer.start()) {
      AdminHttp admin = new AdminHttp(server);
      Response created =
          admin.post(
              "/admin/clients",
              new JsonObject()
                  .put("client_id", "vault")
                  .put("client_name", "Vault")
                  .put("redirect_uris", new JsonArray().add("https://vault.example/cb")));
      assertThat(created.status()).isEqualTo(201);
      secrets.add(created.json().getString("client_secret"));
      Response rotated =
          admin.post(
              "/admin/clients/vault/rotate-secret", new JsonObject().put("grace_seconds", 60));
      secrets.add(rotated.json().getString("client_secret"));
      Response again =
          admin.post(
              "/admin/clients/vault/rotate-secret", new JsonObject().put("grace_seconds", 0));
      secrets.add(again.json().getString("client_secret"));

      String password = "Tr0ub4dor&3-horse-staple";
      String newPassword = "a second, longer secret passphrase";
      String refused = "tiny-pw";
      secrets.add(password);
      secrets.add(newPassword);
      secrets.add(refused);
      Response user =
          admin.post(
              "/admin/users", new JsonObject().put("username", "keeper").put("password", password));
      assertThat(user.status()).isEqualTo(201);
      String userId = user.json().getString("user_id");
      assertThat(
              admin
                  .put(
                      "/admin/users/" + userId + "/password",
                      new JsonObject().put("password", newPassword))
                  .status())
          .isEqualTo(200);
      assertThat(
              admin
                  .put(
                      "/admin/users/" + userId + "/password",
                      new JsonObject().put("password", refused))
                  .status())
          .isEqualTo(400);
      assertThat(
              admin
                  .post(
                      "/admin/users",
                      new JsonObject().put("username", "keeper").put("password", password))
                  .status())
          .isEqualTo(409);
      assertThat(
              admin
                  .post(
                      "/admin/users",
                      new JsonObject()
                          .put("username", "x")
                          .put("password", password)
                          .put("unknown_field", password))
                  .status())
          .isEqualTo(400);
      assertThat(secrets)
          .doesNotContainNull()
          .allSatisfy(s -> assertThat(s).hasSizeGreaterThanOrEqualTo(7));

      Pool pool =
          PgBuilder.pool().connectingTo(server.db.connectOptions()).using(server.vertx).build();
      try {
        for (String sql :
            List.of(
                "SELECT stream_id || ' ' || type || ' ' || payload::text || ' ' || metadata::text FROM events",
                "SELECT row_to_json(c)::text FROM clients c",
                "SELECT row_to_json(u)::text FROM users u",
                "SELECT stream_id FROM streams",
                "SELECT row_to_json(f)::text FROM projection_failures f")) {
          for (Row r : TestServer.await(pool.query(sql).execute())) {
            rows.add(r.getString(0));
          }
        }
      } finally {
        TestServer.await(pool.close());
      }
    } finally {
      root.detachAppender(logs);
    }

    String stored = String.join("\n", rows);
    // The scan sees what was written: the hashes are there, the secrets are not.
    assertThat(stored)
        .contains("client.secret_rotated.v1")
        .contains("hmac-sha256$")
        .contains("$argon2id$")
        .contains("user.password_changed.v1")
        .contains("\"vault\"")
        .contains("username:keeper");
    StringBuilder logged = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      logged.append(e.getFormattedMessage()).append('\n');
      IThrowableProxy t = e.getThrowableProxy();
      if (t != null) {
        logged.append(ThrowableProxyUtil.asString(t)).append('\n');
      }
    }
    assertThat(logged)
        .contains("Client vault (confidential) registered")
        .contains("secret rotated");
    for (String secret : secrets) {
      assertThat(stored).as("the database").doesNotContain(secret);
      assertThat(logged.toString()).as("the log").doesNotContain(secret);
    }
  }
}
