package io.grantry.server.flow;

import static io.grantry.server.testing.OAuthFixtures.enc;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every step of the authorization flow re-checks the whole request (issue 15): no step can be
 * skipped, and a client changed while a person signs in is held to its registration as it is now.
 */
class FlowStepsTest {
  static final String CB = "https://app.example.test/cb";
  static final String CB2 = "https://app.example.test/other";
  static final String PASSWORD = "correct horse battery";
  static final MutableClock CLOCK = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of(), CLOCK);
    fx = new OAuthFixtures(server);
    fx.user("ann", PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String query(String clientId, String extra) {
    return "response_type=code&client_id="
        + clientId
        + "&redirect_uri="
        + enc(CB)
        + "&scope=openid&state=st&code_challenge="
        + OAuthFixtures.Pkce.create().challenge()
        + "&code_challenge_method=S256"
        + extra;
  }

  static void noCodeIssued(HttpResponse<String> r) {
    assertThat(r.headers().firstValue("Location").orElse("")).doesNotContain("code=");
  }

  static void isSignInPage(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("action=\"/login\"");
  }

  /** A browser signed in (as ann, allowing client {@code clientId}) some time ago. */
  static Browser signedInLongAgo(String clientId) {
    Browser b = fx.browser();
    assertThat(b.authorize(query(clientId, ""), "ann", PASSWORD)).containsKey("code");
    CLOCK.advance(Duration.ofMinutes(5));
    return b;
  }

  @Test
  void theSignInPagesFieldsPostedToConsentDoNotSkipPromptLogin() {
    fx.confidentialClient("pl", CB, "openid profile");
    Browser b = signedInLongAgo("pl");
    HttpResponse<String> login = b.get("/authorize?" + query("pl", "&prompt=login"));
    isSignInPage(login);

    // The attack of issue 15: the sign-in page's hidden fields (CSRF token and pending request)
    // posted to /consent with the old session, without signing in.
    HttpResponse<String> skipped = b.consent(login, "allow");
    noCodeIssued(skipped);
    isSignInPage(skipped);

    // Signing in does satisfy it, and the code's auth_time is the new sign-in.
    Map<String, String> done = b.authorize(query("pl", "&prompt=login"), "ann", PASSWORD);
    assertThat(done).containsKey("code");
  }

  @Test
  void maxAgeIsEnforcedAtTheConsentStepToo() {
    fx.confidentialClient("ma", CB, "openid profile");
    Browser b = signedInLongAgo("ma");
    HttpResponse<String> login = b.get("/authorize?" + query("ma", "&max_age=60"));
    isSignInPage(login);
    HttpResponse<String> skipped = b.consent(login, "allow");
    noCodeIssued(skipped);
    isSignInPage(skipped);
    // With prompt=none it is login_required, never a page.
    HttpResponse<String> none = b.get("/authorize?" + query("ma", "&max_age=60&prompt=none"));
    assertThat(OAuthFixtures.queryOf(none.headers().firstValue("Location").orElseThrow()))
        .containsEntry("error", "login_required");
    // A max_age the session meets issues the code without a page.
    HttpResponse<String> recent = b.get("/authorize?" + query("ma", "&max_age=3600"));
    assertThat(recent.statusCode()).isEqualTo(303);
    assertThat(recent.headers().firstValue("Location").orElseThrow()).contains("code=");
  }

  @Test
  void aHugeMaxAgeIsInvalidRequestRedirectedNeverA500() {
    fx.confidentialClient("huge", CB, "openid");
    Browser b = signedInLongAgo("huge");
    for (String maxAge : List.of("9223372036854775807", "99999999999999999999", "2147483648")) {
      HttpResponse<String> r = b.get("/authorize?" + query("huge", "&max_age=" + maxAge));
      assertThat(r.statusCode()).isEqualTo(303);
      Map<String, String> q =
          OAuthFixtures.queryOf(r.headers().firstValue("Location").orElseThrow());
      assertThat(q).containsEntry("error", "invalid_request").containsEntry("state", "st");
      assertThat(q).containsKey("iss");
    }
  }

  @Test
  void aRedirectUriRemovedWhileThePersonSignsInIsNeverRedirectedTo() {
    fx.confidentialClient("moving", CB, "openid");
    Browser b = fx.browser();
    HttpResponse<String> login = b.get("/authorize?" + query("moving", ""));
    isSignInPage(login);
    update("moving", update -> update.put("redirect_uris", new JsonArray().add(CB2)));
    HttpResponse<String> r = b.login(login, "ann", PASSWORD);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Location")).isEmpty();
    assertThat(r.body()).contains("not registered");
  }

  @Test
  void aClientDisabledWhileThePersonConsentsGetsNoCode() {
    fx.confidentialClient("off", CB, "openid");
    Browser b = fx.browser();
    HttpResponse<String> consent =
        b.login(b.get("/authorize?" + query("off", "")), "ann", PASSWORD);
    assertThat(consent.body()).contains("action=\"/consent\"");
    fx.admin("POST", "/admin/clients/off/disable", null);
    HttpResponse<String> r = b.consent(consent, "allow");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Location")).isEmpty();
  }

  @Test
  void aScopeNarrowedOrAGrantTypeRemovedMeanwhileFailsTheRequest() {
    fx.confidentialClient("narrow", CB, "openid profile");
    Browser b = fx.browser();
    HttpResponse<String> login =
        b.get(
            "/authorize?" + query("narrow", "").replace("scope=openid", "scope=openid%20profile"));
    update("narrow", u -> u.put("scope", "openid"));
    HttpResponse<String> r = b.login(login, "ann", PASSWORD);
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(OAuthFixtures.queryOf(r.headers().firstValue("Location").orElseThrow()))
        .containsEntry("error", "invalid_scope")
        .doesNotContainKey("code");

    fx.confidentialClient("granted", CB, "openid");
    Browser c = fx.browser();
    HttpResponse<String> again = c.get("/authorize?" + query("granted", ""));
    update("granted", u -> u.put("grant_types", new JsonArray().add("client_credentials")));
    HttpResponse<String> refused = c.login(again, "ann", PASSWORD);
    assertThat(OAuthFixtures.queryOf(refused.headers().firstValue("Location").orElseThrow()))
        .containsEntry("error", "unauthorized_client");
  }

  @Test
  void theCsrfBindingIsRotatedAtSignIn() {
    fx.confidentialClient("rot", CB, "openid");
    Browser b = fx.browser();
    HttpResponse<String> login = b.get("/authorize?" + query("rot", ""));
    String before = OAuthFixtures.hidden(login.body()).get("csrf");
    HttpResponse<String> consent = b.login(login, "ann", PASSWORD);
    String after = OAuthFixtures.hidden(consent.body()).get("csrf");
    assertThat(after).isNotEqualTo(before);
    Map<String, String> form = OAuthFixtures.hidden(consent.body());
    form.put("csrf", before);
    form.put("decision", "allow");
    assertThat(b.post("/consent", form).statusCode()).isEqualTo(403);
    assertThat(b.consent(consent, "allow").headers().firstValue("Location").orElseThrow())
        .contains("code=");
  }

  @Test
  void cookiesOfAnHttpsIssuerAreSecureAndHostPrefixed() throws Exception {
    try (TestServer https =
        TestServer.start(Map.of("GRANTRY_ISSUER", "https://login.example.test"))) {
      OAuthFixtures hx = new OAuthFixtures(https);
      hx.confidentialClient("sec", CB, "openid");
      hx.user("zed", PASSWORD);
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(URI.create(https.url("/authorize?" + query("sec", ""))))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      String bid = setCookie(page, "__Host-grantry_bid");
      Map<String, String> form = OAuthFixtures.hidden(page.body());
      form.put("username", "zed");
      form.put("password", PASSWORD);
      HttpResponse<String> signedIn =
          http.send(
              HttpRequest.newBuilder(URI.create(https.url("/login")))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .header(
                      "Cookie",
                      "__Host-grantry_bid=" + bid.substring(bid.indexOf('=') + 1, bid.indexOf(';')))
                  .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
      for (String name : List.of("__Host-grantry_session", "__Host-grantry_bid")) {
        String c = setCookie(signedIn, name);
        assertThat(c.toLowerCase(Locale.ROOT))
            .contains("; secure", "; httponly", "; path=/", "; samesite=lax")
            .doesNotContain("domain=");
      }
      assertThat(signedIn.headers().allValues("Set-Cookie"))
          .noneMatch(c -> c.startsWith("grantry_session="));
    }
  }

  static String setCookie(HttpResponse<String> r, String name) {
    return r.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith(name + "=") && !c.startsWith(name + "=;"))
        .reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no cookie " + name + " in " + r.headers().map()));
  }

  /** Replaces client {@code id}'s metadata with its current one changed by {@code change}. */
  static void update(String id, Consumer<JsonObject> change) {
    JsonObject now = fx.admin("GET", "/admin/clients/" + id, null);
    JsonObject update = new JsonObject();
    for (String f :
        List.of(
            "client_name", "token_endpoint_auth_method", "redirect_uris", "grant_types", "scope")) {
      update.put(f, now.getValue(f));
    }
    change.accept(update);
    fx.admin("PUT", "/admin/clients/" + id, update);
  }
}
