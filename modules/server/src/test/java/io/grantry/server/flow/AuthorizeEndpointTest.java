package io.grantry.server.flow;

import static io.grantry.server.testing.OAuthFixtures.enc;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The authorization endpoint's rules (RFC 6749 §4.1, RFC 7636, RFC 9207, RFC 9700, OIDC Core
 * §3.1.2).
 */
class AuthorizeEndpointTest {
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;
  static final String CB = "https://app.example.test/cb";
  static final String PASSWORD = "correct horse battery";

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("web", CB, "openid profile email offline_access");
    fx.publicClient("native", "http://127.0.0.1/callback", "openid profile");
    fx.user("ann", PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String query(String clientId, String redirect, String extra) {
    OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
    return "response_type=code&client_id="
        + enc(clientId)
        + (redirect == null ? "" : "&redirect_uri=" + enc(redirect))
        + "&scope=openid&state=s-123&code_challenge="
        + pkce.challenge()
        + "&code_challenge_method=S256"
        + extra;
  }

  static Map<String, String> redirectedTo(HttpResponse<String> r, String base) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    String location = r.headers().firstValue("Location").orElseThrow();
    assertThat(location).startsWith(base + "?");
    return OAuthFixtures.queryOf(location);
  }

  static void shownNotRedirected(HttpResponse<String> r) {
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Location")).isEmpty();
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(r.headers().firstValue("X-Frame-Options")).contains("DENY");
  }

  @Test
  void anUnknownClientOrAnUnregisteredRedirectUriIsShownNeverRedirected() {
    var b = fx.browser();
    shownNotRedirected(b.get("/authorize?" + query("nobody", CB, "")));
    for (String bad :
        new String[] {
          CB + "/",
          "https://app.example.test/CB",
          CB + "?x=1",
          CB + "#f",
          "https://user@app.example.test/cb",
          "https://app.example.test/cb/..;/",
          "https://app.example.test/%2e/cb",
          "javascript:alert(1)",
          "data:text/html,hi",
          "https://evil.example/cb"
        }) {
      shownNotRedirected(b.get("/authorize?" + query("web", bad, "")));
    }
    // A repeated client_id or redirect_uri is not trusted either.
    shownNotRedirected(b.get("/authorize?" + query("web", CB, "&redirect_uri=" + enc(CB))));
  }

  @Test
  void otherErrorsGoBackWithErrorStateAndIss() {
    var b = fx.browser();
    Map<String, String> p =
        redirectedTo(b.get("/authorize?" + query("web", CB, "&scope=openid")), CB);
    assertThat(p)
        .containsEntry("error", "invalid_request")
        .containsEntry("state", "s-123")
        .containsEntry("iss", server.url(""));
    p =
        redirectedTo(
            b.get(
                "/authorize?"
                    + query("web", CB, "").replace("response_type=code", "response_type=token")),
            CB);
    assertThat(p)
        .containsEntry("error", "unsupported_response_type")
        .containsEntry("iss", server.url(""));
    p =
        redirectedTo(
            b.get(
                "/authorize?"
                    + query("web", CB, "").replace("scope=openid", "scope=openid%20admin")),
            CB);
    assertThat(p).containsEntry("error", "invalid_scope");
    p = redirectedTo(b.get("/authorize?" + query("web", CB, "").replace("S256", "plain")), CB);
    assertThat(p).containsEntry("error", "invalid_request");
    p =
        redirectedTo(
            b.get(
                "/authorize?response_type=code&client_id=native&redirect_uri="
                    + enc("http://127.0.0.1:51234/callback")
                    + "&scope=openid&state=z"),
            "http://127.0.0.1:51234/callback");
    assertThat(p).containsEntry("error", "invalid_request").containsEntry("state", "z");
    assertThat(p.get("error_description")).contains("PKCE");
  }

  @Test
  void promptNoneNeverShowsAPage() {
    var b = fx.browser();
    assertThat(redirectedTo(b.get("/authorize?" + query("web", CB, "&prompt=none")), CB))
        .containsEntry("error", "login_required")
        .containsEntry("state", "s-123");
    // Signed in but never consented.
    HttpResponse<String> page = b.get("/authorize?" + query("web", CB, ""));
    HttpResponse<String> consent = b.login(page, "ann", PASSWORD);
    assertThat(consent.body()).contains("action=\"/consent\"");
    assertThat(redirectedTo(b.get("/authorize?" + query("web", CB, "&prompt=none")), CB))
        .containsEntry("error", "consent_required");
  }

  @Test
  void theSignInPageIsSafeAndTheSameForUnknownUsersAndWrongPasswords() {
    var b = fx.browser();
    HttpResponse<String> page = b.get("/authorize?" + query("web", CB, ""));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("frame-ancestors 'none'");
    assertThat(page.headers().firstValue("X-Frame-Options")).contains("DENY");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    assertThat(page.headers().firstValue("Referrer-Policy")).contains("no-referrer");
    assertThat(page.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(page.body()).contains("Test web");

    HttpResponse<String> wrong = b.login(page, "ann", "not the password");
    HttpResponse<String> unknown = b.login(page, "nobody-at-all", "not the password");
    assertThat(wrong.statusCode()).isEqualTo(unknown.statusCode()).isEqualTo(401);
    assertThat(errorOf(wrong.body()))
        .isEqualTo(errorOf(unknown.body()))
        .isEqualTo("Wrong username or password.");
  }

  static String errorOf(String html) {
    int i = html.indexOf("role=\"alert\">");
    return i < 0 ? null : html.substring(i + 13, html.indexOf('<', i + 13)).trim();
  }

  @Test
  void aFormWithoutThisBrowsersCsrfTokenIsRefusedAndIssuesNoCode() {
    var mine = fx.browser();
    HttpResponse<String> page = mine.get("/authorize?" + query("web", CB, ""));
    Map<String, String> form = new LinkedHashMap<>(OAuthFixtures.hidden(page.body()));
    form.put("username", "ann");
    form.put("password", PASSWORD);
    Map<String, String> noCsrf = new LinkedHashMap<>(form);
    noCsrf.remove("csrf");
    HttpResponse<String> r = mine.post("/login", noCsrf);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.headers().firstValue("Location")).isEmpty();

    // Another browser's token does not work here either.
    var other = fx.browser();
    String othersToken =
        OAuthFixtures.hidden(other.get("/authorize?" + query("web", CB, "")).body()).get("csrf");
    Map<String, String> foreign = new LinkedHashMap<>(form);
    foreign.put("csrf", othersToken);
    assertThat(mine.post("/login", foreign).statusCode()).isEqualTo(403);
    assertThat(mine.post("/login", form).statusCode()).isEqualTo(200);
  }

  @Test
  void denyingConsentReturnsAccessDeniedWithTheState() {
    var b = fx.browser();
    HttpResponse<String> consent =
        b.login(b.get("/authorize?" + query("web", CB, "")), "ann", PASSWORD);
    Map<String, String> p = redirectedTo(b.consent(consent, "deny"), CB);
    assertThat(p)
        .containsEntry("error", "access_denied")
        .containsEntry("state", "s-123")
        .containsEntry("iss", server.url(""))
        .doesNotContainKey("code");
  }

  @Test
  void rememberedConsentSkipsThePageAndPromptConsentOrWiderScopesShowItAgain() {
    var b = fx.browser();
    Map<String, String> first = b.authorize(query("web", CB, ""), "ann", PASSWORD);
    assertThat(first)
        .containsKey("code")
        .containsEntry("state", "s-123")
        .containsEntry("iss", server.url(""));
    // Same scopes: straight to the client.
    assertThat(redirectedTo(b.get("/authorize?" + query("web", CB, "")), CB)).containsKey("code");
    // prompt=consent and wider scopes ask again.
    assertThat(b.get("/authorize?" + query("web", CB, "&prompt=consent")).body())
        .contains("action=\"/consent\"");
    assertThat(
            b.get(
                    "/authorize?"
                        + query("web", CB, "").replace("scope=openid", "scope=openid%20email"))
                .body())
        .contains("action=\"/consent\"");
    // prompt=login asks for the password again.
    assertThat(b.get("/authorize?" + query("web", CB, "&prompt=login")).body())
        .contains("action=\"/login\"");
  }

  @Test
  void theCodeIsBoundToItsPkceVerifierAndRedirectUri() {
    var b = fx.browser();
    OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
    String q =
        "response_type=code&client_id=web&redirect_uri="
            + enc(CB)
            + "&scope=openid&state=a&code_challenge="
            + pkce.challenge()
            + "&code_challenge_method=S256";
    String code = b.authorize(q, "ann", PASSWORD).get("code");
    HttpResponse<String> wrongVerifier =
        fx.postForm(
            "/token",
            "web",
            secret,
            Map.of(
                "grant_type",
                "authorization_code",
                "code",
                code,
                "redirect_uri",
                CB,
                "code_verifier",
                OAuthFixtures.Pkce.create().verifier()));
    assertThat(wrongVerifier.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(wrongVerifier.body()).getString("error")).isEqualTo("invalid_grant");

    String code2 = b.authorize(q, "ann", PASSWORD).get("code");
    HttpResponse<String> noVerifier =
        fx.postForm(
            "/token",
            "web",
            secret,
            Map.of("grant_type", "authorization_code", "code", code2, "redirect_uri", CB));
    assertThat(new JsonObject(noVerifier.body()).getString("error")).isEqualTo("invalid_grant");

    String code3 = b.authorize(q, "ann", PASSWORD).get("code");
    HttpResponse<String> otherRedirect =
        fx.postForm(
            "/token",
            "web",
            secret,
            Map.of(
                "grant_type",
                "authorization_code",
                "code",
                code3,
                "redirect_uri",
                "https://app.example.test/other",
                "code_verifier",
                pkce.verifier()));
    assertThat(new JsonObject(otherRedirect.body()).getString("error")).isEqualTo("invalid_grant");

    // A verifier for a code issued without a challenge is a downgrade: refused.
    String plain =
        b.authorize(
                "response_type=code&client_id=web&redirect_uri="
                    + enc(CB)
                    + "&scope=openid&state=a",
                "ann",
                PASSWORD)
            .get("code");
    HttpResponse<String> downgrade =
        fx.postForm(
            "/token",
            "web",
            secret,
            Map.of(
                "grant_type",
                "authorization_code",
                "code",
                plain,
                "redirect_uri",
                CB,
                "code_verifier",
                pkce.verifier()));
    assertThat(new JsonObject(downgrade.body()).getString("error"))
        .isIn("invalid_grant", "invalid_request");

    String good = b.authorize(q, "ann", PASSWORD).get("code");
    HttpResponse<String> ok =
        fx.postForm(
            "/token",
            "web",
            secret,
            Map.of(
                "grant_type",
                "authorization_code",
                "code",
                good,
                "redirect_uri",
                CB,
                "code_verifier",
                pkce.verifier()));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Cache-Control")).contains("no-store");
    assertThat(ok.headers().firstValue("Pragma")).contains("no-cache");
  }

  @Test
  void tokenEndpointErrorsAreJsonNeverServerErrors() throws Exception {
    HttpResponse<String> noAuth =
        fx.postForm("/token", "web", "wrong-secret", Map.of("grant_type", "client_credentials"));
    assertThat(noAuth.statusCode()).isEqualTo(401);
    assertThat(noAuth.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic");
    assertThat(new JsonObject(noAuth.body()).getString("error")).isEqualTo("invalid_client");
    HttpResponse<String> unsupported =
        fx.postForm(
            "/token",
            "web",
            secret,
            Map.of("grant_type", "password", "username", "ann", "password", PASSWORD));
    assertThat(new JsonObject(unsupported.body()).getString("error"))
        .isEqualTo("unsupported_grant_type");
    HttpResponse<String> badCode =
        fx.postForm(
            "/token",
            "web",
            secret,
            Map.of("grant_type", "authorization_code", "code", "not-a-code"));
    assertThat(badCode.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(badCode.body()).getString("error")).isEqualTo("invalid_grant");
    HttpResponse<String> json =
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url("/token")))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"grant_type\":\"client_credentials\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(json.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(json.body()).getString("error")).isEqualTo("invalid_request");
    assertThat(new JsonObject(badCode.body()).getString("error_description"))
        .doesNotContain("\n", "\r", "\t");
  }
}
