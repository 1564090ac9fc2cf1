package io.grantry.server.tokenstate;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Review 6, H2: an access token issued by refreshing a grant made by a token exchange enters the
 * mirror from a {@code RefreshTokenRotated}, which carries no grant chain. When the grant it was
 * exchanged from is revoked, the database path says inactive (it walks {@code grant_chain}); the
 * mirror, on the very instance that revoked, says active until the token expires.
 */
class ReviewMirrorChainTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String ORDERS = "https://orders.example";
  static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String AT = "urn:ietf:params:oauth:token-type:access_token";
  static final String RT = "urn:ietf:params:oauth:token-type:refresh_token";

  static String register(OAuthFixtures fx, String id, JsonObject body) {
    body.put("client_id", id)
        .put("client_name", "Test " + id)
        .put("token_endpoint_auth_method", "client_secret_basic");
    return fx.admin("POST", "/admin/clients", body).getString("client_secret");
  }

  static JsonObject ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  @Test
  void aRefreshedExchangedTokenDiesWithTheGrantItCameFromInTheMirrorToo() throws Exception {
    try (TestServer s = TestServer.start()) {
      OAuthFixtures fx = new OAuthFixtures(s);
      String web =
          register(
              fx,
              "web",
              new JsonObject()
                  .put("redirect_uris", new JsonArray().add(CB))
                  .put(
                      "grant_types",
                      new JsonArray().add("authorization_code").add("refresh_token").add(EXCHANGE))
                  .put("scope", "openid offline_access orders.read")
                  .put("token_exchange_audiences", new JsonArray().add("svc-refresh")));
      String svc =
          register(
              fx,
              "svc-refresh",
              new JsonObject()
                  .put(
                      "grant_types",
                      new JsonArray().add("client_credentials").add(EXCHANGE).add("refresh_token"))
                  .put("scope", "orders.read")
                  .put("token_exchange_audiences", new JsonArray().add(ORDERS))
                  .put("token_exchange_allow_refresh_token", true));
      fx.user("alice", PASSWORD);
      JsonObject alice =
          fx.tokens(
              fx.browser(), "web", web, CB, "openid orders.read offline_access", "alice", PASSWORD);
      String forService =
          ok(fx.token(
                  "web",
                  web,
                  Map.of(
                      "grant_type",
                      EXCHANGE,
                      "subject_token",
                      alice.getString("access_token"),
                      "subject_token_type",
                      AT,
                      "audience",
                      "svc-refresh")))
              .getString("access_token");
      String actor =
          ok(fx.token("svc-refresh", svc, Map.of("grant_type", "client_credentials")))
              .getString("access_token");
      String refresh =
          ok(fx.token(
                  "svc-refresh",
                  svc,
                  Map.of(
                      "grant_type", EXCHANGE,
                      "subject_token", forService,
                      "subject_token_type", AT,
                      "actor_token", actor,
                      "actor_token_type", AT,
                      "requested_token_type", RT,
                      "resource", ORDERS)))
              .getString("access_token");
      String at = ok(fx.refresh("svc-refresh", svc, refresh, null)).getString("access_token");
      String jti = OAuthFixtures.claims(at).getString("jti");

      // The mirror has followed the refresh's issuance, and does not hold its token: the refresh
      // of a grant made by a token exchange, the database answers it (review 6, L2).
      AccessTokenMirror mirror = s.server.resources().accessTokenMirror();
      MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
      assertThat(mirror.held(jti)).isNull();
      assertThat(fx.introspect("svc-refresh", svc, at).getBoolean("active")).isTrue();

      // The user's grant, the root of the chain, is revoked through this very instance.
      assertThat(
              fx.postForm("/revoke", "web", web, Map.of("token", alice.getString("refresh_token")))
                  .statusCode())
          .isEqualTo(200);

      assertThat(
              TestServer.await(new TokenState(s.server.resources().pool()).accessToken(jti))
                  .orElseThrow()
                  .activeAt(Instant.now()))
          .as("the database path says")
          .isFalse();
      assertThat(fx.introspect("svc-refresh", svc, at).getBoolean("active"))
          .as("introspection after the chain's root was revoked here")
          .isFalse();
      assertThat(mirror.find(jti)).as("the mirror does not answer").isNull();
    }
  }
}
