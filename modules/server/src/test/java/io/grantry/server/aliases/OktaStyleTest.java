package io.grantry.server.aliases;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.OAuthFixtures.Pkce;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client written from an Okta-style document, driven through {@code /v1/authorize}, {@code
 * /v1/token} and {@code /v1/keys} (GRANTRY_ENDPOINT_ALIASES=okta, GRANTRY_ENDPOINT_PRIMARY=okta)
 * with the server's defaults: {@code scope=openid} gives an ID token (validated by Nimbus with the
 * keys discovery points to), a redirect URI with a trailing slash matches only with it, {@code
 * offline_access} gives a refresh token, a refresh may not widen the scope, and the document's
 * refresh example (every parameter in the URL of the POST) is refused with a description that says
 * to send them in the form body. The code's 60 s: {@link OktaCodeLifetimeTest}.
 */
class OktaStyleTest {
  /** The document's redirect URI, trailing slash included. */
  static final String CB = "https://example.com/";

  static final String USER = "okta.user";
  static final String PASSWORD = "a long enough password";
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of("GRANTRY_ENDPOINT_ALIASES", "okta", "GRANTRY_ENDPOINT_PRIMARY", "okta"));
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("0oabucvy", CB, "openid profile email offline_access");
    fx.user(USER, PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String authorizeQuery(String scope, String redirectUri, Pkce pkce, String nonce) {
    return "client_id=0oabucvy&response_type=code&scope="
        + URLEncoder.encode(scope, StandardCharsets.UTF_8)
        + "&redirect_uri="
        + URLEncoder.encode(redirectUri, StandardCharsets.UTF_8)
        + "&state=state-296bc9a0&nonce="
        + nonce
        + "&code_challenge="
        + pkce.challenge()
        + "&code_challenge_method=S256";
  }

  static String code(Browser browser, String scope, Pkce pkce) {
    Map<String, String> cb =
        browser.authorizeAt(
            "/v1/authorize", authorizeQuery(scope, CB, pkce, "n-0S6"), USER, PASSWORD);
    assertThat(cb).containsEntry("state", "state-296bc9a0").containsKey("code");
    return cb.get("code");
  }

  static HttpResponse<String> redeem(String code, String redirectUri, Pkce pkce) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("redirect_uri", redirectUri);
    form.put("code", code);
    form.put("code_verifier", pkce.verifier());
    return fx.postForm("/v1/token", "0oabucvy", secret, form);
  }

  static HttpResponse<String> refresh(String refreshToken, String scope) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "refresh_token");
    form.put("redirect_uri", CB);
    form.put("scope", scope);
    form.put("refresh_token", refreshToken);
    return fx.postForm("/v1/token", "0oabucvy", secret, form);
  }

  static String error(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    return new JsonObject(r.body()).getString("error");
  }

  @Test
  void scopeOpenidGivesAnIdTokenThatValidatesWithTheKeysDiscoveryNames() throws Exception {
    Pkce pkce = Pkce.create();
    Map<String, String> cb =
        fx.browser()
            .authorizeAt(
                "/v1/authorize",
                authorizeQuery("openid", CB, pkce, "n-0S6_WzA2Mj"),
                USER,
                PASSWORD);
    HttpResponse<String> r = redeem(cb.get("code"), CB, pkce);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject answer = new JsonObject(r.body());
    assertThat(answer.getString("id_token")).isNotBlank();
    assertThat(answer.getString("token_type")).isEqualTo("Bearer");
    assertThat(answer.getValue("expires_in")).isEqualTo(3600);
    assertThat(answer.containsKey("refresh_token")).isFalse();

    // Okta is the primary profile: discovery names the /v1 paths, and the keys found there verify
    // the ID token.
    OIDCProviderMetadata meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    assertThat(meta.getJWKSetURI()).isEqualTo(URI.create(server.url("/v1/keys")));
    assertThat(meta.getTokenEndpointURI()).isEqualTo(URI.create(server.url("/v1/token")));
    IDTokenClaimsSet claims =
        new IDTokenValidator(
                meta.getIssuer(),
                new ClientID("0oabucvy"),
                JWSAlgorithm.RS256,
                meta.getJWKSetURI().toURL())
            .validate(JWTParser.parse(answer.getString("id_token")), new Nonce("n-0S6_WzA2Mj"));
    assertThat(claims.getAudience()).extracting(a -> a.getValue()).containsExactly("0oabucvy");

    HttpResponse<String> me =
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url("/v1/userinfo")))
                .header("Authorization", "Bearer " + answer.getString("access_token"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(me.statusCode()).as(me.body()).isEqualTo(200);
    assertThat(new JsonObject(me.body()).getString("sub"))
        .isEqualTo(claims.getSubject().getValue());
  }

  @Test
  void theRedirectUriMatchesOnlyWithItsTrailingSlash() {
    Browser browser = fx.browser();
    HttpResponse<String> without =
        browser.get(
            "/v1/authorize?" + authorizeQuery("openid", "https://example.com", Pkce.create(), "n"));
    assertThat(without.statusCode()).isEqualTo(400);
    assertThat(without.headers().firstValue("Location")).isEmpty();

    Pkce pkce = Pkce.create();
    HttpResponse<String> with =
        browser.get("/v1/authorize?" + authorizeQuery("openid", CB, pkce, "n"));
    Map<String, String> cb = browser.answer(with, USER, PASSWORD);
    assertThat(cb).containsKey("code");
    // The code is bound to the URI as sent: the same without the slash is another URI.
    assertThat(error(redeem(cb.get("code"), "https://example.com", pkce)))
        .isEqualTo("invalid_grant");
  }

  @Test
  void offlineAccessGivesARefreshTokenAndARefreshMayNotWidenTheScope() {
    Pkce pkce = Pkce.create();
    HttpResponse<String> r = redeem(code(fx.browser(), "openid offline_access", pkce), CB, pkce);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String refreshToken = new JsonObject(r.body()).getString("refresh_token");
    assertThat(refreshToken).isNotBlank();

    assertThat(error(refresh(refreshToken, "offline_access openid email")))
        .isEqualTo("invalid_scope");

    HttpResponse<String> refreshed = refresh(refreshToken, "offline_access openid");
    assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
    JsonObject answer = new JsonObject(refreshed.body());
    assertThat(answer.getString("refresh_token")).isNotBlank().isNotEqualTo(refreshToken);
    assertThat(answer.getString("access_token")).isNotBlank();
  }

  /**
   * The document's refresh example: every parameter, the refresh token included, in the query
   * string of the POST and no body. Refused, saying where they belong, and nothing in the URL was
   * used: the refresh token still works from a form body afterwards.
   */
  @Test
  void theDocumentsRefreshWithParametersInTheUrlIsRefusedWithAPointerToTheFormBody()
      throws Exception {
    Pkce pkce = Pkce.create();
    HttpResponse<String> r = redeem(code(fx.browser(), "openid offline_access", pkce), CB, pkce);
    String refreshToken = new JsonObject(r.body()).getString("refresh_token");

    String basic =
        Base64.getEncoder().encodeToString(("0oabucvy:" + secret).getBytes(StandardCharsets.UTF_8));
    HttpRequest asDocumented =
        HttpRequest.newBuilder(
                URI.create(
                    server.url(
                        "/v1/token?grant_type=refresh_token&redirect_uri="
                            + URLEncoder.encode(CB, StandardCharsets.UTF_8)
                            + "&scope=offline_access%20openid&refresh_token="
                            + URLEncoder.encode(refreshToken, StandardCharsets.UTF_8))))
            .header("accept", "application/json")
            .header("authorization", "Basic " + basic)
            .header("content-type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> refused =
        OAuthFixtures.HTTP.send(asDocumented, HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
    JsonObject body = new JsonObject(refused.body());
    assertThat(body.getString("error")).isEqualTo("invalid_request");
    assertThat(body.getString("error_description")).contains("form body").contains("URL");
    assertThat(refused.body()).doesNotContain(refreshToken);

    assertThat(refresh(refreshToken, "offline_access openid").statusCode()).isEqualTo(200);
  }
}
