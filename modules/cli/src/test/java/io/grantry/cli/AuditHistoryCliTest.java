package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code grantry audit history} and {@code audit as-of} against the database of a running server:
 * they read the same ledger as the admin API and print the same entries and state.
 */
class AuditHistoryCliTest {
  static final String CB = "https://app.example/cb";
  static TestServer server;
  static AdminHttp admin;
  static String userId;
  static String grantId;
  static String refreshToken;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    admin = new AdminHttp(server);
    OAuthFixtures fx = new OAuthFixtures(server);
    String secret = fx.confidentialClient("cli-app", CB, "openid profile offline_access");
    userId = fx.user("dora", "correct horse battery");
    JsonObject t =
        fx.tokens(
            fx.browser(),
            "cli-app",
            secret,
            CB,
            "openid offline_access",
            "dora",
            "correct horse battery");
    refreshToken = t.getString("refresh_token");
    grantId = GrantTokens.grantIdOf(refreshToken).orElseThrow();
    JsonObject t2 = new JsonObject(fx.refresh("cli-app", secret, refreshToken, null).body());
    assertThat(
            fx.postForm(
                    "/revoke", "cli-app", secret, Map.of("token", t2.getString("refresh_token")))
                .statusCode())
        .isEqualTo(200);
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
  void historyPrintsWhatTheAdminApiAnswers() {
    CliTest.Run r = CliTest.run("audit", "history", "--grant", grantId, "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject cli = new JsonObject(r.out().trim());
    JsonObject api = admin.get("/admin/audit/grants/" + grantId).json();
    assertThat(cli).isEqualTo(api);
    assertThat(types(cli.getJsonArray("items")))
        .containsExactly(
            "grant.authorization_code_issued.v1",
            "grant.authorization_code_redeemed.v1",
            "grant.refresh_token_rotated.v1",
            "grant.revoked.v1");
    assertThat(r.out()).doesNotContain(GrantTokens.secretOf(refreshToken).orElseThrow());

    CliTest.Run table = CliTest.run("audit", "history", "--user", userId, "--wide");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out())
        .contains(
            "COMMIT_ORDER",
            "user.registered.v1",
            "consent.granted.v1",
            "grant.revoked.v1",
            "client:cli-app",
            "user:" + userId);

    // Without --wide the table keeps within 120 columns (issue 22): long values go on over the
    // next lines, and every event still starts a line with its commit order.
    CliTest.Run narrow = CliTest.run("audit", "history", "--user", userId);
    assertThat(narrow.code()).as(narrow.err()).isZero();
    assertThat(narrow.out().lines())
        .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(120));
    assertThat(table.out().lines().anyMatch(l -> l.length() > 120)).isTrue();
    JsonArray events =
        new JsonObject(CliTest.run("audit", "history", "--user", userId, "--json").out())
            .getJsonArray("items");
    for (int i = 0; i < events.size(); i++) {
      String order = events.getJsonObject(i).getString("commit_order");
      assertThat(narrow.out().lines().filter(l -> l.startsWith(order + " "))).hasSize(1);
    }
  }

  @Test
  void historyPagesWithTheCursorItPrints() {
    List<String> types = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      CliTest.Run r =
          cursor == null
              ? CliTest.run("audit", "history", "--client", "cli-app", "--limit", "2", "--json")
              : CliTest.run(
                  "audit",
                  "history",
                  "--client",
                  "cli-app",
                  "--limit",
                  "2",
                  "--cursor",
                  cursor,
                  "--json");
      assertThat(r.code()).as(r.err()).isZero();
      JsonObject page = new JsonObject(r.out().trim());
      types.addAll(types(page.getJsonArray("items")));
      cursor = page.getString("next_cursor");
      pages++;
    } while (cursor != null);
    assertThat(pages).isGreaterThan(1);
    CliTest.Run all = CliTest.run("audit", "history", "--client", "cli-app", "--all", "--json");
    List<String> lines = all.out().lines().map(l -> new JsonObject(l).getString("type")).toList();
    assertThat(types).isEqualTo(lines);
    assertThat(types).startsWith("client.registered.v1").contains("grant.revoked.v1");
  }

  @Test
  void asOfPrintsTheStateTheAdminApiReplays() {
    String now = Instant.now().toString();
    CliTest.Run r = CliTest.run("audit", "as-of", "--time", now, "--user", userId, "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonObject api = admin.get("/admin/audit/as-of?time=" + now + "&user=" + userId).json();
    assertThat(new JsonObject(r.out().trim())).isEqualTo(api);
    assertThat(api.getJsonArray("grants").getJsonObject(0).getString("status"))
        .isEqualTo("revoked");

    CliTest.Run table = CliTest.run("audit", "as-of");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out())
        .contains("GRANTS (1)", "REFRESH TOKENS (0)", "CONSENTS (1)", "cli-app", "revoked");
  }

  @Test
  void asOfTheWholeLedgerReportsProgressWithItsTotal() {
    Progress.plainEveryNanos = 0;
    try {
      CliTest.Run r = CliTest.run("audit", "as-of", "--json");
      assertThat(r.code()).as(r.err()).isZero();
      long replayed = new JsonObject(r.out().trim()).getLong("events_replayed");
      assertThat(replayed).isGreaterThan(5);
      assertThat(r.err())
          .contains(String.format(Locale.ROOT, "of %,d events", replayed))
          .containsPattern(
              "(?m)^replayed "
                  + String.format(Locale.ROOT, "%,d", replayed)
                  + " events in [0-9.]+ s");
    } finally {
      Progress.plainEveryNanos = 5_000_000_000L;
    }
  }

  @Test
  void unknownIdsExit3AndBadOptions2() {
    assertThat(CliTest.run("audit", "history", "--grant", "nope").code()).isEqualTo(3);
    assertThat(CliTest.run("audit", "as-of", "--client", "nope").code()).isEqualTo(3);
    CliTest.Run bad = CliTest.run("audit", "as-of", "--time", "yesterday");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("RFC 3339");
    assertThat(CliTest.run("audit", "history", "--grant", grantId, "--user", userId).code())
        .isEqualTo(2);
  }

  static List<String> types(JsonArray items) {
    List<String> out = new ArrayList<>();
    items.forEach(o -> out.add(((JsonObject) o).getString("type")));
    return out;
  }
}
