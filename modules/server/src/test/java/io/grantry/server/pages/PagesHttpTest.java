package io.grantry.server.pages;

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
 * The ways out of the sign-in and consent pages and the error pages over plain HTTP, where a
 * browser cannot go: a cancel form whose pending request was changed (never redirected anywhere),
 * forms without this browser's CSRF token, a "switch account" form replayed after someone else
 * signed in (their session stays), and 404 and error pages carrying the request id of the logs.
 */
class PagesHttpTest {
  static final String CLIENT_ID = "pages-app";
  static final String REDIRECT = "https://app.example/callback";
  static final String PASSWORD = "a long enough passphrase";
  static TestServer server;
  static OAuthFixtures fx;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    fx.confidentialClient(CLIENT_ID, REDIRECT, "openid profile", "authorization_code");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static String authorize(String state) {
    return "/authorize?response_type=code&client_id="
        + CLIENT_ID
        + "&redirect_uri="
        + OAuthFixtures.enc(REDIRECT)
        + "&scope=openid%20profile&state="
        + state
        + "&code_challenge="
        + OAuthFixtures.Pkce.create().challenge()
        + "&code_challenge_method=S256";
  }

  @Test
  void cancelGoesBackToTheRegisteredRedirectUriLikeADenial() {
    OAuthFixtures.Browser b = fx.browser();
    HttpResponse<String> login = b.get(authorize("c-1"));
    assertThat(login.statusCode()).isEqualTo(200);
    assertThat(login.body()).contains("action=\"/login/cancel\"");

    HttpResponse<String> back = b.post("/login/cancel", OAuthFixtures.hidden(login.body()));

    assertThat(back.statusCode()).isEqualTo(303);
    String location = back.headers().firstValue("Location").orElseThrow();
    assertThat(location).startsWith(REDIRECT + "?");
    assertThat(OAuthFixtures.queryOf(location))
        .containsEntry("error", "access_denied")
        .containsEntry("state", "c-1")
        .containsEntry("iss", server.url(""));
  }

  @Test
  void aCancelWithAChangedRequestOrWithoutCsrfIsShownAndNeverRedirected() {
    OAuthFixtures.Browser b = fx.browser();
    HttpResponse<String> login = b.get(authorize("c-2"));
    Map<String, String> form = OAuthFixtures.hidden(login.body());

    // The pending request pointed elsewhere: its signature no longer matches.
    Map<String, String> tampered = new LinkedHashMap<>(form);
    String request = form.get("request");
    int mid = request.length() / 2;
    char flipped = request.charAt(mid) == 'A' ? 'B' : 'A';
    tampered.put("request", request.substring(0, mid) + flipped + request.substring(mid + 1));
    HttpResponse<String> changed = b.post("/login/cancel", tampered);
    assertThat(changed.statusCode()).isEqualTo(400);
    assertThat(changed.headers().firstValue("Location")).isEmpty();
    assertThat(changed.body()).contains("This sign-in has expired");

    Map<String, String> noCsrf = new LinkedHashMap<>(form);
    noCsrf.remove("csrf");
    HttpResponse<String> refused = b.post("/login/cancel", noCsrf);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.headers().firstValue("Location")).isEmpty();

    // Another browser's form (its own CSRF cookie missing here) is refused too.
    HttpResponse<String> foreign = fx.browser().post("/login/cancel", form);
    assertThat(foreign.statusCode()).isEqualTo(403);
    assertThat(foreign.headers().firstValue("Location")).isEmpty();
  }

  @Test
  void switchingAccountEndsOnlyTheSessionTheConsentPageWasShownTo() {
    fx.user("sam", PASSWORD);
    fx.user("kim", PASSWORD);
    OAuthFixtures.Browser b = fx.browser();
    HttpResponse<String> samConsent = b.login(b.get(authorize("s-1")), "sam", PASSWORD);
    assertThat(samConsent.statusCode()).isEqualTo(200);
    assertThat(samConsent.body())
        .contains("Signed in as <strong>sam</strong>", "action=\"/consent/switch-account\"");
    Map<String, String> samSwitch = OAuthFixtures.hidden(samConsent.body());

    Map<String, String> noCsrf = new LinkedHashMap<>(samSwitch);
    noCsrf.remove("csrf");
    assertThat(b.post("/consent/switch-account", noCsrf).statusCode()).isEqualTo(403);

    // "Not sam?": the sign-in page of the same request; sam's session is over.
    HttpResponse<String> login = b.post("/consent/switch-account", samSwitch);
    assertThat(login.statusCode()).isEqualTo(200);
    assertThat(login.body()).contains("action=\"/login\"", "to continue to <strong>Test pages-app");
    assertThat(b.get(authorize("s-2")).body()).contains("action=\"/login\"");

    // kim signs in on that page; the request is the same one (state s-1).
    HttpResponse<String> kimConsent = b.login(login, "kim", PASSWORD);
    assertThat(kimConsent.body()).contains("Signed in as <strong>kim</strong>");

    // sam's form replayed: with its old CSRF token refused; with kim's page's token it ends
    // nothing (kim's session was not the one it was shown to) and shows the sign-in page.
    assertThat(b.post("/consent/switch-account", samSwitch).statusCode()).isEqualTo(403);
    Map<String, String> replay = new LinkedHashMap<>(samSwitch);
    replay.put("csrf", OAuthFixtures.hidden(kimConsent.body()).get("csrf"));
    HttpResponse<String> replayed = b.post("/consent/switch-account", replay);
    assertThat(replayed.statusCode()).isEqualTo(200);
    assertThat(replayed.body()).contains("action=\"/login\"");
    HttpResponse<String> still = b.get(authorize("s-3"));
    assertThat(still.body()).contains("Signed in as <strong>kim</strong>");

    // Allowing on kim's page sends the code for the request sam's page was for.
    HttpResponse<String> allowed = b.consent(kimConsent, "allow");
    assertThat(allowed.statusCode()).isEqualTo(303);
    assertThat(OAuthFixtures.queryOf(allowed.headers().firstValue("Location").orElseThrow()))
        .containsEntry("state", "s-1")
        .containsKey("code");
  }

  @Test
  void aBrowserGetsAnHtml404WithTheRequestIdAndAJsonClientKeepsJson() throws Exception {
    HttpResponse<String> page = get("/no/such/page", "text/html,application/xhtml+xml,*/*;q=0.8");
    assertThat(page.statusCode()).isEqualTo(404);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("frame-ancestors 'none'");
    String id = page.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(page.body())
        .contains("<title>Page not found · Grantry</title>", "<code id=\"request-id\">" + id);

    for (String accept : new String[] {"application/json", "*/*", null}) {
      HttpResponse<String> json = get("/no/such/page", accept);
      assertThat(json.statusCode()).isEqualTo(404);
      assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(new JsonObject(json.body()).getString("error")).isEqualTo("not_found");
    }
  }

  @Test
  void anErrorPageShowsTheRequestIdTheLogsCarry() throws Exception {
    HttpRequest r =
        HttpRequest.newBuilder(
                URI.create(
                    server.url(
                        "/authorize?response_type=code&client_id=nobody&redirect_uri="
                            + OAuthFixtures.enc(REDIRECT))))
            .header("Accept", "text/html")
            .header("X-Request-Id", "support-case-4711")
            .build();
    HttpResponse<String> page = OAuthFixtures.HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(400);
    assertThat(page.headers().firstValue("X-Request-Id")).hasValue("support-case-4711");
    assertThat(page.body()).contains("<code id=\"request-id\">support-case-4711</code>");
  }

  static HttpResponse<String> get(String path, String accept) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(server.url(path)));
    if (accept != null) {
      r.header("Accept", accept);
    }
    return OAuthFixtures.HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
