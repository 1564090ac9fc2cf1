package io.grantry.server.flow;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * SECURITY.md, "No secret in a log line, an error message or an event": after full flows (code,
 * tokens, refresh, reuse, revocation, a replayed code, wrong passwords), none of the codes, refresh
 * tokens, opaque access tokens, client secrets or passwords the test used appears in clear in the
 * ledger, in any projection table, or in the log.
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
      HttpResponse<String> page =
          browser.get(
              "/authorize?response_type=code&client_id=scan&redirect_uri="
                  + OAuthFixtures.enc(cb)
                  + "&scope=openid&state=x");
      assertThat(browser.login(page, "scanner", wrong).statusCode()).isEqualTo(401);

      OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
      String code =
          fx.code(browser, "scan", cb, "openid profile offline_access", pkce, "scanner", password);
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

      String code2 =
          fx.code(browser, "scan", cb, "openid profile offline_access", pkce, "scanner", password);
      secrets.add(code2);
      secrets.add(GrantTokens.secretOf(code2).orElseThrow());
      String refresh2 =
          new JsonObject(fx.redeem("scan", clientSecret, code2, cb, pkce).body())
              .getString("refresh_token");
      HttpResponse<String> rotated = fx.refresh("scan", clientSecret, refresh2, null);
      String refresh3 = new JsonObject(rotated.body()).getString("refresh_token");
      secrets.add(refresh2);
      secrets.add(refresh3);
      secrets.add(GrantTokens.secretOf(refresh3).orElseThrow());
      assertThat(fx.refresh("scan", clientSecret, refresh2, null).statusCode()).isEqualTo(400);
      assertThat(
              fx.postForm("/revoke", "scan", clientSecret, Map.of("token", refresh3)).statusCode())
          .isEqualTo(200);

      // Opaque access tokens: issued (client_credentials, code, refresh), introspected, used at
      // userinfo, revoked; only the hash of each secret may be stored.
      String opaqueSecret =
          fx.admin(
                  "POST",
                  "/admin/clients",
                  new JsonObject()
                      .put("client_id", "scan-opaque")
                      .put("client_name", "Opaque")
                      .put("token_endpoint_auth_method", "client_secret_basic")
                      .put("redirect_uris", new JsonArray().add(cb))
                      .put(
                          "grant_types",
                          new JsonArray()
                              .add("authorization_code")
                              .add("refresh_token")
                              .add("client_credentials"))
                      .put("scope", "openid profile offline_access api")
                      .put("access_token_format", "opaque"))
              .getString("client_secret");
      secrets.add(opaqueSecret);
      List<String> opaque = new ArrayList<>();
      opaque.add(
          new JsonObject(
                  fx.token(
                          "scan-opaque",
                          opaqueSecret,
                          Map.of("grant_type", "client_credentials", "scope", "api"))
                      .body())
              .getString("access_token"));
      JsonObject flow =
          fx.tokens(
              browser,
              "scan-opaque",
              opaqueSecret,
              cb,
              "openid profile offline_access",
              "scanner",
              password);
      opaque.add(flow.getString("access_token"));
      secrets.add(flow.getString("refresh_token"));
      JsonObject refreshed =
          new JsonObject(
              fx.refresh("scan-opaque", opaqueSecret, flow.getString("refresh_token"), null)
                  .body());
      opaque.add(refreshed.getString("access_token"));
      secrets.add(refreshed.getString("refresh_token"));
      for (String at : opaque) {
        assertThat(at).contains("~");
        secrets.add(at);
        secrets.add(at.substring(at.indexOf('~') + 1));
        assertThat(fx.introspect("scan-opaque", opaqueSecret, at).getBoolean("active")).isTrue();
        assertThat(
                OAuthFixtures.HTTP
                    .send(
                        HttpRequest.newBuilder(URI.create(server.url("/userinfo")))
                            .header("Authorization", "Bearer " + at)
                            .GET()
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .statusCode())
            .isIn(200, 403);
        assertThat(
                fx.postForm("/revoke", "scan-opaque", opaqueSecret, Map.of("token", at))
                    .statusCode())
            .isEqualTo(200);
        assertThat(fx.introspect("scan-opaque", opaqueSecret, at).getBoolean("active")).isFalse();
      }

      for (String sql :
          List.of(
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
    assertThat(db)
        .contains(
            "grant.authorization_code_issued.v1",
            "grant.authorization_code_replayed.v1",
            "grant.refresh_token_rotated.v1",
            "grant.refresh_token_reuse_detected.v1",
            "code_hash",
            "refresh_token_hash",
            "grant.access_token_revoked.v1",
            "scan-opaque");
    StringBuilder logged = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      logged.append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        logged.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    assertThat(secrets)
        .hasSizeGreaterThan(10)
        .allSatisfy(s -> assertThat(s).hasSizeGreaterThanOrEqualTo(16));
    for (String secret : secrets) {
      assertThat(db).as("the database").doesNotContain(secret);
      assertThat(logged.toString()).as("the log").doesNotContain(secret);
    }
  }
}
