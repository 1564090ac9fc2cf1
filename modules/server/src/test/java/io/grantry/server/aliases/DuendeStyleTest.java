package io.grantry.server.aliases;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.OAuthFixtures.Pkce;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client written from a Duende IdentityServer-style document, driven through {@code
 * /connect/authorize} and {@code /connect/token} (GRANTRY_ENDPOINT_ALIASES=duende) with the
 * server's defaults: {@code prompt=login} and {@code prompt=consent} force their pages, Basic
 * client authentication only, the token answer's exact fields with {@code expires_in} 3600, a
 * refresh token only with {@code offline_access} in a 15-day sliding window, and client_credentials
 * without {@code scope} getting every machine scope of the app.
 */
class DuendeStyleTest {
  static final String CB = "https://app.example.com/signin-oidc";
  static final String SCOPE = "openid profile api1 offline_access";
  static final String USER = "bob";
  static final String PASSWORD = "a long enough password";
  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_ENDPOINT_ALIASES", "duende"), clock);
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("mvc", CB, SCOPE);
    fx.user(USER, PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** The authorize URL as the document writes it, with PKCE. */
  static String authorizeQuery(String scope, Pkce pkce, String state, String extra) {
    return "client_id=mvc&response_type=code&scope="
        + URLEncoder.encode(scope, StandardCharsets.UTF_8)
        + "&redirect_uri="
        + URLEncoder.encode(CB, StandardCharsets.UTF_8)
        + "&state="
        + state
        + "&code_challenge="
        + pkce.challenge()
        + "&code_challenge_method=S256"
        + extra;
  }

  /** The token request as the document sends it: Basic authentication, nothing else. */
  static HttpResponse<String> token(Map<String, String> form) {
    return fx.postForm("/connect/token", "mvc", secret, form);
  }

  static HttpResponse<String> redeem(String code, Pkce pkce) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("code", code);
    form.put("redirect_uri", CB);
    form.put("code_verifier", pkce.verifier());
    return token(form);
  }

  static HttpResponse<String> refresh(String refreshToken) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "refresh_token");
    form.put("refresh_token", refreshToken);
    return token(form);
  }

  /** Signs in and consents once in {@code browser}; returns the redeemed token answer. */
  static JsonObject signedInWith(Browser browser, String scope) {
    Pkce pkce = Pkce.create();
    Map<String, String> cb =
        browser.authorizeAt(
            "/connect/authorize", authorizeQuery(scope, pkce, "xyz", ""), USER, PASSWORD);
    assertThat(cb).containsEntry("state", "xyz").containsKey("code");
    HttpResponse<String> r = redeem(cb.get("code"), pkce);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static JsonObject userinfo(String path, String accessToken) {
    try {
      HttpResponse<String> r =
          OAuthFixtures.HTTP.send(
              HttpRequest.newBuilder(URI.create(server.url(path)))
                  .header("Authorization", "Bearer " + accessToken)
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
      return new JsonObject(r.body());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  static Set<String> words(String scope) {
    return new TreeSet<>(Arrays.asList(scope.split(" ")));
  }

  @Test
  void promptLoginShowsTheSignInPageDespiteASessionAndEchoesState() {
    Browser browser = fx.browser();
    JsonObject tokens = signedInWith(browser, "openid api1");
    JsonObject me = userinfo("/connect/userinfo", tokens.getString("access_token"));
    assertThat(me.getString("sub")).isNotBlank();
    // Without prompt, the session and the remembered consent answer at once.
    HttpResponse<String> quiet =
        browser.get(
            "/connect/authorize?" + authorizeQuery("openid api1", Pkce.create(), "quiet", ""));
    assertThat(quiet.statusCode()).isEqualTo(303);

    Pkce pkce = Pkce.create();
    HttpResponse<String> page =
        browser.get(
            "/connect/authorize?"
                + authorizeQuery("openid api1", pkce, "af0ifjsldkj", "&prompt=login"));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("action=\"/login\"");
    Map<String, String> cb = browser.answer(page, USER, PASSWORD);
    assertThat(cb).containsEntry("state", "af0ifjsldkj").containsKey("code");
    assertThat(redeem(cb.get("code"), pkce).statusCode()).isEqualTo(200);
  }

  @Test
  void promptConsentShowsTheConsentPageDespiteARememberedConsentAndEchoesState() {
    Browser browser = fx.browser();
    signedInWith(browser, "openid api1");
    Pkce pkce = Pkce.create();
    HttpResponse<String> page =
        browser.get(
            "/connect/authorize?"
                + authorizeQuery("openid api1", pkce, "st4te", "&prompt=consent"));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("action=\"/consent\"").doesNotContain("action=\"/login\"");
    HttpResponse<String> allowed = browser.consent(page, "allow");
    assertThat(allowed.statusCode()).isEqualTo(303);
    Map<String, String> cb =
        OAuthFixtures.queryOf(allowed.headers().firstValue("Location").orElseThrow());
    assertThat(cb).containsEntry("state", "st4te").containsKey("code");
    assertThat(allowed.headers().firstValue("Location").orElseThrow()).startsWith(CB + "?");
  }

  @Test
  void theTokenAnswerHasExactlyTheDocumentsFieldsAndARefreshTokenOnlyWithOfflineAccess() {
    JsonObject plain = signedInWith(fx.browser(), "api1");
    assertThat(plain.fieldNames())
        .containsExactlyInAnyOrder("access_token", "token_type", "expires_in", "scope");
    assertThat(plain.getString("token_type")).isEqualTo("Bearer");
    assertThat(plain.getValue("expires_in")).isEqualTo(3600);
    assertThat(plain.getValue("scope")).isEqualTo("api1");

    JsonObject offline = signedInWith(fx.browser(), "api1 offline_access");
    assertThat(offline.fieldNames())
        .containsExactlyInAnyOrder(
            "access_token", "token_type", "expires_in", "scope", "refresh_token");
    assertThat(offline.getString("token_type")).isEqualTo("Bearer");
    assertThat(offline.getValue("expires_in")).isEqualTo(3600);
    assertThat(offline.getValue("scope")).isInstanceOf(String.class);
    assertThat(words(offline.getString("scope"))).containsExactly("api1", "offline_access");
    // The access token says the same lifetime.
    JsonObject at = OAuthFixtures.claims(offline.getString("access_token"));
    assertThat(at.getLong("exp") - at.getLong("iat")).isEqualTo(3600);
  }

  @Test
  void onlyBasicIsNeededAndTheSecretInTheBodyInsteadIsRefused() {
    Pkce pkce = Pkce.create();
    Map<String, String> cb =
        fx.browser()
            .authorizeAt(
                "/connect/authorize", authorizeQuery("api1", pkce, "s", ""), USER, PASSWORD);
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("code", cb.get("code"));
    form.put("redirect_uri", CB);
    form.put("code_verifier", pkce.verifier());
    form.put("client_id", "mvc");
    form.put("client_secret", secret);
    // The client registered client_secret_basic: the same secret in the body is another method.
    HttpResponse<String> post = fx.postForm("/connect/token", "mvc", null, form);
    assertThat(post.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(post.body()).getString("error")).isEqualTo("invalid_client");
  }

  @Test
  void aRefreshRotatesTheTokenAndStartsANewFifteenDayWindow() {
    String first =
        signedInWith(fx.browser(), "openid api1 offline_access").getString("refresh_token");

    // Fourteen days on, within the first window: rotated.
    clock.advance(Duration.ofDays(14));
    HttpResponse<String> r = refresh(first);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject second = new JsonObject(r.body());
    assertThat(second.getString("refresh_token")).isNotEqualTo(first);
    assertThat(second.getValue("expires_in")).isEqualTo(3600);
    assertThat(words(second.getString("scope")))
        .containsExactly("api1", "offline_access", "openid");
    JsonObject seen = fx.introspect("mvc", secret, second.getString("refresh_token"));
    assertThat(seen.getLong("exp") - seen.getLong("iat"))
        .isEqualTo(Duration.ofDays(15).toSeconds());

    // Fourteen more days: 28 days after the sign-in, past the first window, within the second.
    clock.advance(Duration.ofDays(14));
    r = refresh(second.getString("refresh_token"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String third = new JsonObject(r.body()).getString("refresh_token");

    // Unused for fifteen days and a minute: the window has closed.
    clock.advance(Duration.ofDays(15).plusMinutes(1));
    r = refresh(third);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_grant");
  }

  @Test
  void clientCredentialsWithoutScopeGetsEveryMachineScopeOfTheApp() {
    String machineSecret =
        fx.confidentialClient(
            "m2m", CB, "api1 api2.read api2.write openid offline_access", "client_credentials");
    HttpResponse<String> r =
        fx.postForm(
            "/connect/token", "m2m", machineSecret, Map.of("grant_type", "client_credentials"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject answer = new JsonObject(r.body());
    assertThat(answer.fieldNames())
        .containsExactlyInAnyOrder("access_token", "token_type", "expires_in", "scope");
    assertThat(answer.getValue("expires_in")).isEqualTo(3600);
    // Every scope configured for the app that a machine may hold; openid and offline_access are a
    // person's.
    assertThat(words(answer.getString("scope"))).containsExactly("api1", "api2.read", "api2.write");
  }
}
