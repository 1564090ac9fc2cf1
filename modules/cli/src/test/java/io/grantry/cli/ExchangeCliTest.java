package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Token exchange (RFC 8693) from the CLI: {@code clients create} registers what a client may do
 * with it, and {@code audit history --grant} shows who acted for whom in the grants exchanged from
 * a user's grant.
 */
class ExchangeCliTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String AT = "urn:ietf:params:oauth:token-type:access_token";
  static TestServer server;
  static OAuthFixtures fx;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    CliSupport.env =
        Map.of(
            "GRANTRY_ADMIN_URL",
            server.url(""),
            "GRANTRY_ADMIN_TOKEN",
            TestServer.ADMIN_TOKEN,
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

  static String create(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "clients";
    all[1] = "create";
    System.arraycopy(args, 0, all, 2, args.length);
    all[all.length - 1] = "--json";
    CliTest.Run r = CliTest.run(all);
    assertThat(r.code()).as(r.err()).isZero();
    return json(r.out()).getString("client_secret");
  }

  /**
   * The JSON a command printed, without the lines the server in this JVM logged meanwhile (its
   * console appender writes to the System.out the run captures).
   */
  static JsonObject json(String out) {
    return new JsonObject(
        out.lines()
            .filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*"))
            .collect(Collectors.joining("\n")));
  }

  static String exchange(String clientId, String secret, Map<String, String> form) {
    HttpResponse<String> r = fx.token(clientId, secret, form);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  static String grantOf(String jwt) {
    return GrantTokens.grantIdOf(OAuthFixtures.claims(jwt).getString("jti")).orElseThrow();
  }

  @Test
  void clientsCreateRegistersTheExchangeSettingsAndHistoryShowsWhoActedForWhom() {
    String webSecret =
        create(
            "--client-id",
            "x-web",
            "--name",
            "Web",
            "--redirect-uri",
            CB,
            "--grant",
            "authorization_code",
            "--grant",
            "token-exchange",
            "--scope",
            "openid orders.read",
            "--exchange-audience",
            "x-svc");
    String svcSecret =
        create(
            "--client-id",
            "x-svc",
            "--name",
            "Service",
            "--grant",
            "client_credentials",
            "--grant",
            "token-exchange",
            "--grant",
            "refresh_token",
            "--scope",
            "orders.read",
            "--exchange-audience",
            "https://orders.example",
            "--exchange-audience",
            "billing",
            "--exchange-impersonation",
            "--exchange-refresh-token");
    CliTest.Run shown = CliTest.run("clients", "show", "x-svc", "--json");
    assertThat(shown.code()).as(shown.err()).isZero();
    JsonObject svc = json(shown.out());
    assertThat(svc.getJsonArray("grant_types")).contains(EXCHANGE);
    assertThat(svc.getJsonArray("token_exchange_audiences"))
        .isEqualTo(new JsonArray().add("https://orders.example").add("billing"));
    assertThat(svc.getBoolean("token_exchange_allow_impersonation")).isTrue();
    assertThat(svc.getBoolean("token_exchange_allow_refresh_token")).isTrue();
    // The refresh token setting needs the refresh_token grant: the API's message, exit code 7.
    CliTest.Run refused =
        CliTest.run(
            "clients",
            "create",
            "--name",
            "No refresh",
            "--grant",
            "client_credentials",
            "--grant",
            "token-exchange",
            "--exchange-refresh-token");
    assertThat(refused.code()).isEqualTo(CliFailure.INVALID);
    assertThat(refused.err()).contains("token_exchange_allow_refresh_token");

    String user = fx.user("erin", PASSWORD);
    JsonObject web =
        fx.tokens(fx.browser(), "x-web", webSecret, CB, "openid orders.read", "erin", PASSWORD);
    String root = grantOf(web.getString("access_token"));
    String forSvc =
        exchange(
            "x-web",
            webSecret,
            Map.of(
                "grant_type",
                EXCHANGE,
                "subject_token",
                web.getString("access_token"),
                "subject_token_type",
                AT,
                "audience",
                "x-svc"));
    HttpResponse<String> cc =
        fx.token("x-svc", svcSecret, Map.of("grant_type", "client_credentials"));
    String actor = new JsonObject(cc.body()).getString("access_token");
    String forOrders =
        exchange(
            "x-svc",
            svcSecret,
            Map.of(
                "grant_type",
                EXCHANGE,
                "subject_token",
                forSvc,
                "subject_token_type",
                AT,
                "actor_token",
                actor,
                "actor_token_type",
                AT,
                "resource",
                "https://orders.example"));
    String g1 = grantOf(forSvc);
    String g2 = grantOf(forOrders);

    CliTest.Run table = CliTest.run("audit", "history", "--grant", root, "--wide");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out())
        .contains("grant.authorization_code_issued.v1", "grant:" + g1, "grant:" + g2)
        .contains("x-web for " + user + ", no actor, from " + root + ", aud x-svc")
        .contains(
            "x-svc for "
                + user
                + ", act x-svc, from "
                + root
                + " > "
                + g1
                + ", aud https://orders.example");
    assertThat(table.out()).doesNotContain(forSvc, forOrders, actor);
    // Within 120 columns the exchange is wrapped, not cut: its pieces joined give it whole.
    CliTest.Run narrow = CliTest.run("audit", "history", "--grant", root);
    assertThat(narrow.out().lines())
        .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(120));
    assertThat(narrow.out()).contains("x-web for");
  }
}
