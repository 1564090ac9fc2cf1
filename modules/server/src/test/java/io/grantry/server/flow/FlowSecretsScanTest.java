package io.grantry.server.flow;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * SECURITY.md, "No secret in a log line, an error message or an event": after full flows (code,
 * tokens, refresh, reuse, revocation, a replayed code, wrong passwords), none of the codes,
 * refresh tokens, client secrets or passwords the test used appears in clear in the ledger, in
 * any projection table, or in the log.
 */
class FlowSecretsScanTest {

  @Test
  void noCodeRefreshTokenSecretOrPasswordIsStoredOrLoggedInClear() throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    List<String> secrets = new ArrayList<>();
    List<String> stored = new ArrayList<>();
    try (TestServer server = TestServer.start()) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String cb = "https://scan.example.test/cb";
      String clientSecret = fx.confidentialClient("scan", cb, "openid profile offline_access");
      String password = "scan-user-passphrase-1";
      fx.user("scanner", password);
      secrets.add(clientSecret);
      secrets.add(password);

      OAuthFixtures.Browser browser = fx.browser();
      // A wrong password first: the failure is logged nowhere with the attempt's text.
      String wrong = "wrong-passphrase-guess-9";
      secrets.add(wrong);
      HttpResponse<String> page = browser.get("/authorize?response_type=code&client_id=scan&redirect_uri="
          + OAuthFixtures.enc(cb) + "&scope=openid&state=x");
      assertThat(browser.login(page, "scanner", wrong).statusCode()).isEqualTo(401);

      OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
      String code = fx.code(browser, "scan", cb, "openid profile offline_access", pkce, "scanner", password);
      secrets.add(code);
      secrets.add(GrantTokens.secretOf(code).orElseThrow());
      HttpResponse<String> redeemed = fx.redeem("scan", clientSecret, code, cb, pkce);
      assertThat(redeemed.statusCode()).as(redeemed.body()).isEqualTo(200);
      JsonObject tokens = new JsonObject(redeemed.body());
      String refresh = tokens.getString("refresh_token");
      secrets.add(refresh);
      secrets.add(GrantTokens.secretOf(refresh).orElseThrow());
      // A replayed code, a rotation, a reuse: each records events.
      assertThat(fx.redeem("scan", clientSecret, code, cb, pkce).statusCode()).isEqualTo(400);

      String code2 = fx.code(browser, "scan", cb, "openid profile offline_access", pkce, "scanner", password);
      secrets.add(code2);
      secrets.add(GrantTokens.secretOf(code2).orElseThrow());
      String refresh2 = new JsonObject(fx.redeem("scan", clientSecret, code2, cb, pkce).body()).getString("refresh_token");
      HttpResponse<String> rotated = fx.refresh("scan", clientSecret, refresh2, null);
      String refresh3 = new JsonObject(rotated.body()).getString("refresh_token");
      secrets.add(refresh2);
      secrets.add(refresh3);
      secrets.add(GrantTokens.secretOf(refresh3).orElseThrow());
      assertThat(fx.refresh("scan", clientSecret, refresh2, null).statusCode()).isEqualTo(400);
      assertThat(fx.postForm("/revoke", "scan", clientSecret, Map.of("token", refresh3)).statusCode()).isEqualTo(200);

      for (String sql : List.of(
          "SELECT stream_id || ' ' || type || ' ' || payload::text || ' ' || metadata::text FROM events",
          "SELECT row_to_json(t)::text FROM grants t",
          "SELECT row_to_json(t)::text FROM access_tokens t",
          "SELECT row_to_json(t)::text FROM refresh_tokens t",
          "SELECT row_to_json(t)::text FROM clients t",
          "SELECT row_to_json(t)::text FROM users t",
          "SELECT row_to_json(t)::text FROM consents t",
          "SELECT stream_id FROM streams")) {
        for (Row r : server.query(sql)) {
          stored.add(r.getString(0));
        }
      }
    } finally {
      root.detachAppender(logs);
    }
    String db = String.join("\n", stored);
    // The scan reads what the flows wrote: the facts are there, as hashes.
    assertThat(db).contains("grant.authorization_code_issued.v1", "grant.authorization_code_replayed.v1",
        "grant.refresh_token_rotated.v1", "grant.refresh_token_reuse_detected.v1", "code_hash", "refresh_token_hash");
    StringBuilder logged = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      logged.append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        logged.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    assertThat(secrets).hasSizeGreaterThan(10).allSatisfy(s -> assertThat(s).hasSizeGreaterThanOrEqualTo(16));
    for (String secret : secrets) {
      assertThat(db).as("the database").doesNotContain(secret);
      assertThat(logged.toString()).as("the log").doesNotContain(secret);
    }
  }
}
