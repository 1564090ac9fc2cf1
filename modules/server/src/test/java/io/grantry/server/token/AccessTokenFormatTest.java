package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per-client access token choices of the client metadata, against a real server: {@code
 * access_token_format=opaque} gives a random handle that introspection, revocation and userinfo
 * accept (for client_credentials, the code flow and refresh, including a grace-period retry), and
 * {@code access_token_signing_alg} decides the JWT's algorithm; a JWT client is not affected by its
 * opaque neighbours.
 */
class AccessTokenFormatTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";

  /** {@code <grantId>~<256 bits base64url>}. */
  static final String OPAQUE_SHAPE = "[A-Za-z0-9_-]{1,64}~[A-Za-z0-9_-]{43}";

  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String opaqueSecret;
  static String es256Secret;
  static String rs256Secret;
  static String webSecret;
  static String rsSecret;
  static Browser alice;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_REFRESH_GRACE_SECONDS", "30"), clock);
    fx = new OAuthFixtures(server);
    opaqueSecret = client("svc-opaque", "client_credentials", "opaque", null);
    es256Secret = client("svc-es", "client_credentials", null, null);
    rs256Secret = client("svc-rs", "client_credentials", "jwt", "RS256");
    webSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "web-opaque")
                    .put("client_name", "Opaque web app")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("redirect_uris", new JsonArray().add(CB))
                    .put(
                        "grant_types",
                        new JsonArray().add("authorization_code").add("refresh_token"))
                    .put("scope", "openid profile email offline_access")
                    .put("access_token_format", "opaque"))
            .getString("client_secret");
    rsSecret = fx.resourceServer("rs");
    fx.user("alice", PASSWORD);
    alice = fx.browser();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String client(String id, String grant, String format, String alg) {
    JsonObject body =
        new JsonObject()
            .put("client_id", id)
            .put("client_name", "Test " + id)
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("grant_types", new JsonArray().add(grant))
            .put("scope", "api.read api.write");
    if (format != null) {
      body.put("access_token_format", format);
    }
    if (alg != null) {
      body.put("access_token_signing_alg", alg);
    }
    return fx.admin("POST", "/admin/clients", body).getString("client_secret");
  }

  static JsonObject clientCredentials(String clientId, String secret) {
    HttpResponse<String> r =
        fx.token(clientId, secret, Map.of("grant_type", "client_credentials", "scope", "api.read"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static JsonObject header(String jws) {
    return new JsonObject(
        new String(Base64.getUrlDecoder().decode(jws.split("\\.")[0]), StandardCharsets.UTF_8));
  }

  @Test
  void theClientsMetadataShowsBothChoices() {
    JsonObject shown = fx.admin("GET", "/admin/clients/svc-opaque", null);
    assertThat(shown.getString("access_token_format")).isEqualTo("opaque");
    assertThat(shown.getString("access_token_signing_alg")).isEqualTo("ES256");
    JsonObject rs = fx.admin("GET", "/admin/clients/svc-rs", null);
    assertThat(rs.getString("access_token_format")).isEqualTo("jwt");
    assertThat(rs.getString("access_token_signing_alg")).isEqualTo("RS256");
  }

  @Test
  void anOpaqueClientCredentialsTokenIntrospectsWithItsClaims() {
    JsonObject tokens = clientCredentials("svc-opaque", opaqueSecret);
    String at = tokens.getString("access_token");
    assertThat(at).matches(OPAQUE_SHAPE);
    assertThat(tokens.getString("token_type")).isEqualTo("Bearer");
    assertThat(tokens.getLong("expires_in")).isEqualTo(3600L);
    assertThat(tokens.getString("scope")).isEqualTo("api.read");

    JsonObject own = fx.introspect("svc-opaque", opaqueSecret, at);
    assertThat(own.getBoolean("active")).as(own.encode()).isTrue();
    assertThat(own.getString("client_id")).isEqualTo("svc-opaque");
    assertThat(own.getString("sub")).isEqualTo("svc-opaque");
    assertThat(own.getString("scope")).isEqualTo("api.read");
    assertThat(own.getString("token_type")).isEqualTo("Bearer");
    assertThat(own.getString("iss")).isEqualTo(server.url(""));
    assertThat(own.getValue("aud")).isEqualTo(server.url(""));
    assertThat(own.getLong("exp") - own.getLong("iat")).isEqualTo(3600L);
    // The jti names the token without giving it away: the grant id and the hash of the secret.
    String secret = at.substring(at.indexOf('~') + 1);
    assertThat(own.getString("jti"))
        .isEqualTo(GrantTokens.opaqueJti(at.substring(0, at.indexOf('~')), secret))
        .doesNotContain(secret);
    // A resource server with the introspect permission sees it the same way.
    assertThat(fx.introspect("rs", rsSecret, at).getString("client_id")).isEqualTo("svc-opaque");
    // Another client without the permission sees nothing.
    assertThat(fx.introspect("svc-es", es256Secret, at))
        .isEqualTo(new JsonObject().put("active", false));
    // A guessed secret under the same grant id is unknown.
    String guessed = at.substring(0, at.indexOf('~') + 1) + TokenIssuer.secret();
    assertThat(fx.introspect("svc-opaque", opaqueSecret, guessed))
        .isEqualTo(new JsonObject().put("active", false));
    // Every token is new.
    assertThat(clientCredentials("svc-opaque", opaqueSecret).getString("access_token"))
        .isNotEqualTo(at);
  }

  @Test
  void revokingAnOpaqueTokenMakesItInactive() {
    String at = clientCredentials("svc-opaque", opaqueSecret).getString("access_token");
    // Another client's revocation is answered 200 and changes nothing (RFC 7009 §2.1).
    assertThat(fx.postForm("/revoke", "svc-es", es256Secret, Map.of("token", at)).statusCode())
        .isEqualTo(200);
    assertThat(fx.introspect("svc-opaque", opaqueSecret, at).getBoolean("active")).isTrue();

    assertThat(
            fx.postForm(
                    "/revoke",
                    "svc-opaque",
                    opaqueSecret,
                    Map.of("token", at, "token_type_hint", "access_token"))
                .statusCode())
        .isEqualTo(200);
    assertThat(fx.introspect("svc-opaque", opaqueSecret, at))
        .isEqualTo(new JsonObject().put("active", false));
    assertThat(fx.introspect("rs", rsSecret, at)).isEqualTo(new JsonObject().put("active", false));
    // Revoking again is still 200.
    assertThat(fx.postForm("/revoke", "svc-opaque", opaqueSecret, Map.of("token", at)).statusCode())
        .isEqualTo(200);
  }

  /**
   * Active opaque answers are cached like JWT ones (IntrospectionCache): a revocation through this
   * server, and the token's expiry, must still be seen by the very next introspection, by whichever
   * verticle answers it; a cached answer is still shown only to who may see it.
   */
  @Test
  void cachedOpaqueAnswersFollowRevocationExpiryAndVisibility() {
    String at = clientCredentials("svc-opaque", opaqueSecret).getString("access_token");
    for (int i = 0; i < 4; i++) {
      assertThat(fx.introspect("svc-opaque", opaqueSecret, at).getBoolean("active")).isTrue();
    }
    assertThat(fx.introspect("svc-es", es256Secret, at))
        .isEqualTo(new JsonObject().put("active", false));
    clock.advance(Duration.ofSeconds(3601));
    try {
      assertThat(fx.introspect("svc-opaque", opaqueSecret, at))
          .isEqualTo(new JsonObject().put("active", false));
    } finally {
      clock.advance(Duration.ofSeconds(-3601));
    }
    for (int i = 0; i < 4; i++) {
      assertThat(fx.introspect("svc-opaque", opaqueSecret, at).getBoolean("active")).isTrue();
    }
    assertThat(fx.postForm("/revoke", "svc-opaque", opaqueSecret, Map.of("token", at)).statusCode())
        .isEqualTo(200);
    for (int i = 0; i < 4; i++) {
      assertThat(fx.introspect("svc-opaque", opaqueSecret, at))
          .isEqualTo(new JsonObject().put("active", false));
      assertThat(fx.introspect("rs", rsSecret, at))
          .isEqualTo(new JsonObject().put("active", false));
    }
  }

  @Test
  void anOpaqueTokenExpires() {
    String at = clientCredentials("svc-opaque", opaqueSecret).getString("access_token");
    clock.advance(Duration.ofSeconds(3601));
    try {
      assertThat(fx.introspect("svc-opaque", opaqueSecret, at).getBoolean("active")).isFalse();
    } finally {
      clock.advance(Duration.ofSeconds(-3601));
    }
  }

  @Test
  void userinfoAcceptsAnOpaqueCodeFlowToken() throws Exception {
    JsonObject tokens =
        fx.tokens(
            alice,
            "web-opaque",
            webSecret,
            CB,
            "openid profile email offline_access",
            "alice",
            PASSWORD);
    String at = tokens.getString("access_token");
    assertThat(at).matches(OPAQUE_SHAPE);
    assertThat(tokens.getString("token_type")).isEqualTo("Bearer");
    // The ID token is still a JWT, its at_hash over the opaque token (OIDC Core §3.1.3.6).
    assertThat(OAuthFixtures.claims(tokens.getString("id_token")).getString("at_hash"))
        .isEqualTo(TokenIssuer.atHash(at));

    HttpResponse<String> info = fx.userinfo(at);
    assertThat(info.statusCode()).as(info.body()).isEqualTo(200);
    JsonObject claims = new JsonObject(info.body());
    assertThat(claims.getString("preferred_username")).isEqualTo("alice");
    assertThat(claims.getString("email")).isEqualTo("alice@example.com");
    assertThat(claims.getString("sub"))
        .isEqualTo(fx.introspect("web-opaque", webSecret, at).getString("sub"));

    // A tampered token, and one revoked, are refused the RFC 6750 way.
    String tampered = at.substring(0, at.length() - 2) + (at.endsWith("AA") ? "BB" : "AA");
    assertThat(fx.userinfo(tampered).statusCode()).isEqualTo(401);
    assertThat(fx.postForm("/revoke", "web-opaque", webSecret, Map.of("token", at)).statusCode())
        .isEqualTo(200);
    HttpResponse<String> revoked = fx.userinfo(at);
    assertThat(revoked.statusCode()).isEqualTo(401);
    assertThat(revoked.headers().firstValue("WWW-Authenticate").orElse(""))
        .contains("invalid_token");
  }

  @Test
  void refreshHonoursTheFormatAndAGraceRetryGetsTheSameOpaqueToken() throws Exception {
    JsonObject tokens =
        fx.tokens(alice, "web-opaque", webSecret, CB, "openid offline_access", "alice", PASSWORD);
    String refresh = tokens.getString("refresh_token");
    HttpResponse<String> first = fx.refresh("web-opaque", webSecret, refresh, null);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    JsonObject rotated = new JsonObject(first.body());
    String at = rotated.getString("access_token");
    assertThat(at).matches(OPAQUE_SHAPE).isNotEqualTo(tokens.getString("access_token"));
    assertThat(rotated.getString("token_type")).isEqualTo("Bearer");
    assertThat(fx.introspect("web-opaque", webSecret, at).getBoolean("active")).isTrue();
    assertThat(fx.userinfo(at).statusCode()).isEqualTo(200);

    // A retry within GRANTRY_REFRESH_GRACE_SECONDS: the same successor and the same access token.
    JsonObject retried = new JsonObject(fx.refresh("web-opaque", webSecret, refresh, null).body());
    assertThat(retried.getString("refresh_token")).isEqualTo(rotated.getString("refresh_token"));
    assertThat(retried.getString("access_token")).isEqualTo(at);
    // Revoking the refresh token revokes the grant and its opaque access tokens.
    assertThat(
            fx.postForm(
                    "/revoke",
                    "web-opaque",
                    webSecret,
                    Map.of("token", rotated.getString("refresh_token")))
                .statusCode())
        .isEqualTo(200);
    assertThat(fx.introspect("web-opaque", webSecret, at).getBoolean("active")).isFalse();
    assertThat(fx.userinfo(at).statusCode()).isEqualTo(401);
  }

  @Test
  void jwtClientsSignWithTheirAlgorithmAndAreUnaffected() {
    String es = clientCredentials("svc-es", es256Secret).getString("access_token");
    String rs = clientCredentials("svc-rs", rs256Secret).getString("access_token");
    JsonArray jwks = new JsonObject(fetch("/jwks")).getJsonArray("keys");
    for (Object[] c :
        new Object[][] {
          {es, "ES256", "EC", "svc-es", es256Secret}, {rs, "RS256", "RSA", "svc-rs", rs256Secret}
        }) {
      String token = (String) c[0];
      assertThat(token.split("\\.")).hasSize(3);
      JsonObject h = header(token);
      assertThat(h.getString("alg")).isEqualTo(c[1]);
      assertThat(h.getString("typ")).isEqualTo("at+jwt");
      // The kid is a published key of that type.
      assertThat(
              jwks.stream()
                  .map(JsonObject.class::cast)
                  .filter(k -> k.getString("kid").equals(h.getString("kid"))))
          .singleElement()
          .satisfies(k -> assertThat(k.getString("kty")).isEqualTo(c[2]));
      JsonObject claims = OAuthFixtures.claims(token);
      assertThat(claims.getString("client_id")).isEqualTo(c[3]);
      JsonObject answer = fx.introspect((String) c[3], (String) c[4], token);
      assertThat(answer.getBoolean("active")).isTrue();
      assertThat(answer.getString("jti")).isEqualTo(claims.getString("jti"));
    }
  }

  static String fetch(String path) {
    try {
      return OAuthFixtures.HTTP
          .send(
              HttpRequest.newBuilder(URI.create(server.url(path))).GET().build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
