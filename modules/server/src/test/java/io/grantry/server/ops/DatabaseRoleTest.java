package io.grantry.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What ops/README.md says the database role needs, tried: a role that is no superuser and may not
 * create databases or roles, owning the database it is given, migrates it and serves from it; and,
 * once migrated, a second role with only the privileges the README lists serves from the same
 * database while the ledger refuses that role any change to an event.
 */
class DatabaseRoleTest {

  @Test
  void aRoleWithoutSuperuserMigratesItsOwnDatabaseAndServes() throws Exception {
    String role = "grantry_owner_" + suffix();
    String database = "grantry_roles_" + suffix();
    String password = TestServer.randomBase64(24);
    superuser(
        "postgres",
        "CREATE ROLE "
            + role
            + " LOGIN PASSWORD '"
            + password
            + "' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        "CREATE DATABASE " + database + " OWNER " + role,
        "REVOKE ALL ON DATABASE " + database + " FROM PUBLIC");
    Map<String, String> shared = TestServer.sharedSecrets();
    try (TestServer server = asRole(database, role, password, shared)) {
      assertThat(flows(server)).isTrue();
    }
    assertThat(
            superuserQuery(
                database,
                "SELECT r.rolsuper FROM pg_roles r JOIN pg_database d ON d.datdba = r.oid"
                    + " WHERE d.datname = current_database()"))
        .isEqualTo("f");
    assertThat(superuserQuery(database, "SELECT count(*) FROM flyway_schema_history"))
        .isNotEqualTo("0");

    // The README's narrower role for the server, once the owner has migrated.
    String server = "grantry_server_" + suffix();
    superuser(database, "CREATE ROLE " + server + " LOGIN PASSWORD '" + password + "' NOSUPERUSER");
    try (Connection c = connect(database, role, password);
        Statement s = c.createStatement()) {
      for (String sql : serverRoleGrants(server, database)) {
        s.execute(sql);
      }
    }
    try (TestServer narrow = asRole(database, server, password, shared)) {
      assertThat(flows(narrow)).isTrue();
    }
    try (Connection c = connect(database, server, password);
        Statement s = c.createStatement()) {
      for (String change :
          new String[] {"UPDATE events SET type = type", "DELETE FROM events", "TRUNCATE events"}) {
        try {
          s.execute(change);
          throw new AssertionError(change + " was allowed");
        } catch (SQLException e) {
          assertThat(e.getSQLState()).as(change).isEqualTo("42501"); // insufficient_privilege
        }
      }
    }
  }

  /** A client registered through the admin API gets a token that introspects active. */
  private static boolean flows(TestServer server) throws Exception {
    HttpResponse<String> ready =
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url("/health/ready"))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    OAuthFixtures oauth = new OAuthFixtures(server);
    String id = "role-" + suffix();
    String secret =
        oauth.confidentialClient(id, "https://app.example/cb", "api", "client_credentials");
    HttpResponse<String> token =
        oauth.token(id, secret, Map.of("grant_type", "client_credentials", "scope", "api"));
    assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
    String access = new JsonObject(token.body()).getString("access_token");
    return oauth.introspect(id, secret, access).getBoolean("active");
  }

  /**
   * The statements of ops/README.md's block of grants to {@code grantry_server}, for {@code role}
   * instead of {@code grantry_server} and {@code database} for {@code grantry}: the test runs what
   * the README tells operators to run.
   */
  static List<String> serverRoleGrants(String role, String database) throws Exception {
    Path readme = Path.of("").toAbsolutePath();
    while (!Files.exists(readme.resolve("ops/README.md"))) {
      readme = readme.getParent();
    }
    String text = Files.readString(readme.resolve("ops/README.md"));
    // The ```text block of the README's grants: the one granting to grantry_server.
    Matcher blocks = Pattern.compile("```text\\n(.*?)```", Pattern.DOTALL).matcher(text);
    String block = null;
    while (blocks.find()) {
      if (blocks.group(1).contains("TO grantry_server;")) {
        block = blocks.group(1);
        break;
      }
    }
    assertThat(block).as("the block of grants to grantry_server in ops/README.md").isNotNull();
    List<String> statements = new ArrayList<>();
    for (String sql : block.replaceAll("(?m)^--.*$", "").split(";")) {
      if (!sql.isBlank()) {
        statements.add(
            sql.strip()
                .replace("grantry_server", role)
                .replace("DATABASE grantry ", "DATABASE " + database + " "));
      }
    }
    return statements;
  }

  private static TestServer asRole(
      String database, String role, String password, Map<String, String> shared) throws Exception {
    EmbeddedPostgres pg = TestDatabase.server();
    String url = pg.jdbcUrl(database).replaceFirst("^jdbc:", "");
    Map<String, String> settings = new java.util.HashMap<>(shared);
    settings.put("GRANTRY_DB_USER", role);
    settings.put("GRANTRY_DB_PASSWORD", password);
    return TestServer.startOnUrl(url, settings);
  }

  private static Connection connect(String database, String user, String password)
      throws SQLException {
    return DriverManager.getConnection(TestDatabase.server().jdbcUrl(database), user, password);
  }

  private static void superuser(String database, String... statements) throws SQLException {
    EmbeddedPostgres pg = TestDatabase.server();
    try (Connection c = connect(database, pg.user(), pg.password());
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static String superuserQuery(String database, String sql) throws SQLException {
    EmbeddedPostgres pg = TestDatabase.server();
    try (Connection c = connect(database, pg.user(), pg.password());
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getString(1);
    }
  }

  private static String suffix() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  }
}
