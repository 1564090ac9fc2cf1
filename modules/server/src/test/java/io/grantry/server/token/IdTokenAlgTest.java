package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code id_token_signed_response_alg} (OIDC Registration §2): a client that registers ES256 gets
 * ES256 ID tokens from the code and from every refresh, verifiable with the published key of that
 * {@code kid}; a client that registers nothing keeps RS256 (OIDC Core §3.1.3.7); anything else is
 * refused at registration.
 */
class IdTokenAlgTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String esSecret;
  static String rsSecret;
  static Browser bob;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of(), clock);
    fx = new OAuthFixtures(server);
    esSecret = client("web-es", "ES256");
    rsSecret = client("web-default", null);
    fx.user("bob", PASSWORD);
    bob = fx.browser();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String client(String id, String idTokenAlg) {
    JsonObject body =
        new JsonObject()
            .put("client_id", id)
            .put("client_name", "Web " + id)
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("redirect_uris", new JsonArray().add(CB))
            .put("grant_types", new JsonArray().add("authorization_code").add("refresh_token"))
            .put("scope", "openid profile offline_access");
    if (idTokenAlg != null) {
      body.put("id_token_signed_response_alg", idTokenAlg);
    }
    return fx.admin("POST", "/admin/clients", body).getString("client_secret");
  }

  static SignedJWT verified(String idToken, JWSAlgorithm alg) throws Exception {
    SignedJWT jwt = SignedJWT.parse(idToken);
    assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(alg);
    String jwks =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(server.url("/jwks"))).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    JWK key = JWKSet.parse(jwks).getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(key).as("the kid is published").isNotNull();
    boolean ok =
        alg == JWSAlgorithm.ES256
            ? jwt.verify(new ECDSAVerifier(key.toECKey()))
            : jwt.verify(new RSASSAVerifier(key.toRSAKey()));
    assertThat(ok).isTrue();
    return jwt;
  }

  @Test
  void anEs256ClientGetsEs256IdTokensFromTheCodeAndFromEachRefresh() throws Exception {
    assertThat(
            fx.admin("GET", "/admin/clients/web-es", null)
                .getString("id_token_signed_response_alg"))
        .isEqualTo("ES256");
    JsonObject tokens =
        fx.tokens(bob, "web-es", esSecret, CB, "openid profile offline_access", "bob", PASSWORD);
    SignedJWT first = verified(tokens.getString("id_token"), JWSAlgorithm.ES256);
    assertThat(first.getJWTClaimsSet().getAudience()).containsExactly("web-es");
    HttpResponse<String> refreshed =
        fx.refresh("web-es", esSecret, tokens.getString("refresh_token"), null);
    assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
    SignedJWT again =
        verified(new JsonObject(refreshed.body()).getString("id_token"), JWSAlgorithm.ES256);
    assertThat(again.getJWTClaimsSet().getSubject())
        .isEqualTo(first.getJWTClaimsSet().getSubject());
  }

  @Test
  void aClientThatRegistersNoAlgorithmKeepsRs256() throws Exception {
    assertThat(
            fx.admin("GET", "/admin/clients/web-default", null)
                .getString("id_token_signed_response_alg"))
        .isEqualTo("RS256");
    JsonObject tokens =
        fx.tokens(bob, "web-default", rsSecret, CB, "openid offline_access", "bob", PASSWORD);
    verified(tokens.getString("id_token"), JWSAlgorithm.RS256);
    HttpResponse<String> refreshed =
        fx.refresh("web-default", rsSecret, tokens.getString("refresh_token"), null);
    verified(new JsonObject(refreshed.body()).getString("id_token"), JWSAlgorithm.RS256);
  }

  @Test
  void anUnsupportedAlgorithmIsRefusedAtRegistrationAndAnUpdateChangesIt() {
    try {
      fx.admin(
          "POST",
          "/admin/clients",
          new JsonObject().put("client_name", "x").put("id_token_signed_response_alg", "HS256"));
      throw new IllegalStateException("HS256 was accepted");
    } catch (AssertionError e) {
      assertThat(e.getMessage()).contains("400");
    }
    client("web-update", null);
    JsonObject current = fx.admin("GET", "/admin/clients/web-update", null);
    JsonObject update =
        new JsonObject()
            .put("client_name", current.getString("client_name"))
            .put("redirect_uris", current.getJsonArray("redirect_uris"))
            .put("grant_types", current.getJsonArray("grant_types"))
            .put("scope", current.getString("scope"))
            .put("id_token_signed_response_alg", "ES256");
    fx.admin("PUT", "/admin/clients/web-update", update);
    assertThat(
            fx.admin("GET", "/admin/clients/web-update", null)
                .getString("id_token_signed_response_alg"))
        .isEqualTo("ES256");
  }
}
