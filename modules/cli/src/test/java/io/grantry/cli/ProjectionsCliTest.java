package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code grantry projections rebuild} against a running server's database. */
class ProjectionsCliTest {
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret =
        fx.confidentialClient(
            "cli-web", "https://app.example/cb", "api.read", "client_credentials");
    fx.confidentialClient("cli-other", "https://app.example/cb", "api.read", "client_credentials");
    CliSupport.env =
        Map.of(
            "GRANTRY_DB_URL",
            server.db.jdbcUrl().replaceFirst("^jdbc:", ""),
            "GRANTRY_DB_USER",
            "postgres",
            "GRANTRY_DB_PASSWORD",
            TestDatabase.server().password());
  }

  @AfterAll
  static void stop() throws Exception {
    CliSupport.env = System.getenv();
    server.close();
  }

  @Test
  void rebuildSwapsInTablesTheServerGoesOnServingFrom() throws Exception {
    Progress.plainEveryNanos = 0;
    try {
      CliTest.Run r = CliTest.run("projections", "rebuild", "clients");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out())
          .contains("rebuilt clients (clients) from ")
          .contains("events; the new tables cover the ledger up to ");
      // Off a terminal: plain progress lines with a total, then the summary; never a carriage
      // return.
      assertThat(r.err())
          .containsPattern(
              "(?m)^replayed [0-9,]+ of [0-9,]+ events \\([0-9]+%\\), [0-9.,]+ events/s, ETA [0-9:]+$")
          .containsPattern("(?m)^replayed [0-9,]+ events in [0-9.]+ s \\([0-9.,]+ events/s\\)$")
          .doesNotContain("\r");
    } finally {
      Progress.plainEveryNanos = 5_000_000_000L;
    }
    assertThat(
            server.query("SELECT client_id FROM clients ORDER BY client_id").stream()
                .map(row -> row.getString(0)))
        .containsExactly("cli-other", "cli-web");
    // The server reads the swapped-in table: the client still authenticates, and a new one is
    // written to it.
    assertThat(fx.token("cli-web", secret, Map.of("grant_type", "client_credentials")).statusCode())
        .isEqualTo(200);
    fx.confidentialClient("cli-after", "https://app.example/cb", "api.read", "client_credentials");
    assertThat(server.query("SELECT count(*) FROM clients").get(0).getLong(0)).isEqualTo(3);
  }

  @Test
  void rebuildAllTakesTheBulkPathAndGivesTheRowsOfAStatementReplay() throws Exception {
    // Grants and tokens of every kind the token-state tables hold, and a consent.
    for (int i = 0; i < 30; i++) {
      assertThat(
              fx.token("cli-web", secret, Map.of("grant_type", "client_credentials")).statusCode())
          .isEqualTo(200);
    }
    fx.user("cli-alice", "correct horse battery");
    List<String> tables =
        List.of(
            "clients",
            "users",
            "grants",
            "access_tokens",
            "refresh_tokens",
            "consents",
            "sessions");
    Map<String, List<String>> before = new HashMap<>();
    for (String t : tables) {
      before.put(t, rows(t));
    }
    CliTest.Run r = CliTest.run("projections", "rebuild", "--all");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains(
            "rebuilt clients, users, token_state, consents, sessions (clients, users, grants,"
                + " access_tokens, refresh_tokens, consents, sessions) from ");
    // The live tables were written statement by statement, inline with the appends: the bulk path
    // gives the same rows.
    for (String t : tables) {
      assertThat(rows(t)).as(t).isEqualTo(before.get(t));
    }
    assertThat(before.get("access_tokens")).hasSizeGreaterThanOrEqualTo(30);
    assertThat(fx.token("cli-web", secret, Map.of("grant_type", "client_credentials")).statusCode())
        .isEqualTo(200);
    assertThat(CliTest.run("projections", "rebuild").code()).isEqualTo(2);
    assertThat(CliTest.run("projections", "rebuild", "--all", "clients").code()).isEqualTo(2);
  }

  private static List<String> rows(String table) throws Exception {
    return server.query("SELECT t::text FROM " + table + " t ORDER BY 1").stream()
        .map(row -> row.getString(0))
        .toList();
  }

  @Test
  void anUnknownProjectionIsExitCode2NamingTheKnownOnes() {
    CliTest.Run r = CliTest.run("projections", "rebuild", "grants");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains(
            "no projection named grants; the projections are clients, users, token_state, consents");
  }
}
