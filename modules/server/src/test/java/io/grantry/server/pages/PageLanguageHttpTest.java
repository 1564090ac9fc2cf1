package io.grantry.server.pages;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pages' language over plain HTTP: {@code ui_locales} of the authorization request, kept by the
 * pending request through the sign-in, its errors, the consent page and the consent form's errors;
 * {@code Accept-Language} otherwise; discovery's {@code ui_locales_supported}; and what a hostile
 * request makes of it (a path for a tag, 10,000 tags, a header of garbage): an ordinary page or an
 * OAuth error, never a 5xx.
 */
class PageLanguageHttpTest {
  static final String CLIENT_ID = "i18n-app";
  static final String REDIRECT = "https://app.example/callback";
  static final String PASSWORD = "jonas' long passphrase";
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient(CLIENT_ID, REDIRECT, "openid profile", "authorization_code");
    fx.user("jonas", PASSWORD);
    fx.user("lena", PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static Map<String, String> request(String state) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("response_type", "code");
    q.put("client_id", CLIENT_ID);
    q.put("redirect_uri", REDIRECT);
    q.put("scope", "openid profile");
    q.put("state", state);
    q.put("code_challenge", OAuthFixtures.Pkce.create().challenge());
    q.put("code_challenge_method", "S256");
    return q;
  }

  static String authorize(String state, String extra) {
    return "/authorize?" + OAuthFixtures.formBody(request(state)) + extra;
  }

  static HttpResponse<String> get(OAuthFixtures.Browser b, String path, String acceptLanguage) {
    try {
      return b.http.send(
          HttpRequest.newBuilder(URI.create(server.url(path)))
              .header("Accept", "text/html")
              .header("Accept-Language", acceptLanguage)
              .GET()
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  static HttpResponse<String> post(
      OAuthFixtures.Browser b, String path, Map<String, String> form, String acceptLanguage) {
    try {
      return b.http.send(
          HttpRequest.newBuilder(URI.create(server.url(path)))
              .header("Accept", "text/html")
              .header("Accept-Language", acceptLanguage)
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** A browser signed in as lena (through the flow, whatever pages it shows). */
  static OAuthFixtures.Browser signedIn() {
    OAuthFixtures.Browser b = fx.browser();
    b.answer(b.get(authorize("in", "")), "lena", PASSWORD);
    return b;
  }

  @Test
  void discoveryListsTheLanguagesOfThePages() {
    JsonObject d = new JsonObject(fx.browser().get("/.well-known/openid-configuration").body());
    assertThat(d.getJsonArray("ui_locales_supported"))
        .isEqualTo(new JsonArray().add("en").add("de"));
  }

  @Test
  void uiLocalesIsKeptThroughTheSignInItsErrorsAndTheConsentPage() {
    OAuthFixtures.Browser b = fx.browser();
    HttpResponse<String> login =
        b.get(authorize("de-1", "&ui_locales=fr-CA%20de-CH%20en&prompt=consent"));
    assertThat(login.statusCode()).isEqualTo(200);
    assertThat(login.body())
        .contains("<html lang=\"de\">", "<title>Anmelden · Grantry</title>")
        .contains("weiter zu <strong>Test " + CLIENT_ID + "</strong>")
        .contains("Abbrechen und zur App zurückkehren", "Geschützt durch Grantry");
    assertThat(login.headers().firstValue("Content-Security-Policy").orElseThrow())
        .doesNotContain("unsafe-inline");

    HttpResponse<String> wrong = b.login(login, "jonas", "not the passphrase");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("Benutzername oder Passwort ist falsch.");

    HttpResponse<String> consent = b.login(wrong, "jonas", PASSWORD);
    assertThat(consent.statusCode()).isEqualTo(200);
    assertThat(consent.body())
        .contains("<html lang=\"de\">", "Angemeldet als <strong>jonas</strong>.")
        .contains("Sie anmelden", "Ihr Profil sehen", "Nicht jonas? Konto wechseln");

    // The consent form's own errors after the sign-in, in German too.
    Map<String, String> undecided = OAuthFixtures.hidden(consent.body());
    undecided.put("decision", "maybe");
    HttpResponse<String> choose = b.post("/consent", undecided);
    assertThat(choose.statusCode()).isEqualTo(400);
    assertThat(choose.body())
        .contains("<html lang=\"de\">", "Wählen Sie „Erlauben“ oder „Ablehnen“.")
        .contains("Diese Anfrage kann nicht ausgeführt werden");
    Map<String, String> noCsrf = OAuthFixtures.hidden(consent.body());
    noCsrf.remove("csrf");
    noCsrf.put("decision", "allow");
    HttpResponse<String> refused = b.post("/consent", noCsrf);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("Anfrage abgelehnt", "Zustimmungsseite");

    HttpResponse<String> allowed = b.consent(consent, "allow");
    assertThat(allowed.statusCode()).isEqualTo(303);
    assertThat(OAuthFixtures.queryOf(allowed.headers().firstValue("Location").orElseThrow()))
        .containsKey("code")
        .containsEntry("state", "de-1");
  }

  @Test
  void acceptLanguageChoosesWhenUiLocalesDoesNot() {
    OAuthFixtures.Browser b = fx.browser();
    assertThat(get(b, authorize("al-1", ""), "fr;q=1, de;q=0.8, en;q=0.5").body())
        .contains("<html lang=\"de\">", "Benutzername");
    assertThat(get(b, authorize("al-2", ""), "en-US,en;q=0.9,de;q=0.8").body())
        .contains("<html lang=\"en\">", "Username");
    // ui_locales first: English asked for, though the browser prefers German...
    assertThat(get(b, authorize("al-3", "&ui_locales=en"), "de").body())
        .contains("<html lang=\"en\">");
    // ...and a ui_locales the pages do not speak leaves it to the browser.
    assertThat(get(b, authorize("al-4", "&ui_locales=fr"), "de-AT").body())
        .contains("<html lang=\"de\">");
    assertThat(b.get(authorize("al-5", "")).body()).contains("<html lang=\"en\">");
  }

  @Test
  void hostileLanguagesGetAnOrdinaryPageOrAnOAuthError() {
    OAuthFixtures.Browser b = fx.browser();
    HttpResponse<String> path = b.get(authorize("h-1", "&ui_locales=..%2F..%2Fetc%2Fpasswd"));
    assertThat(path.statusCode()).isEqualTo(200);
    assertThat(path.body()).contains("<html lang=\"en\">", "Sign in");

    HttpResponse<String> garbage =
        get(b, authorize("h-2", ""), "%%%;q=zz,,,;q=,../../etc;q=1,*;q=x");
    assertThat(garbage.statusCode()).isEqualTo(200);
    assertThat(garbage.body()).contains("<html lang=\"en\">");
    HttpResponse<String> long_ = get(b, authorize("h-3", ""), "fr;q=0.9,".repeat(1_000) + "de");
    assertThat(long_.statusCode()).isEqualTo(200);
    assertThat(long_.body()).contains("<html lang=\"en\">");

    // 10,000 tags: refused like any parameter over the length limit, back to the application.
    Map<String, String> tenThousand = request("h-4");
    tenThousand.put("ui_locales", "de ".repeat(10_000).strip());
    HttpResponse<String> refused = b.post("/authorize", tenThousand);
    assertThat(refused.statusCode()).isEqualTo(303);
    Map<String, String> back =
        OAuthFixtures.queryOf(refused.headers().firstValue("Location").orElseThrow());
    assertThat(back)
        .containsEntry("error", "invalid_request")
        .containsEntry("error_description", "the parameter ui_locales is too long")
        .containsEntry("state", "h-4");
    // Repeated, as every single parameter.
    HttpResponse<String> twice = b.get(authorize("h-5", "&ui_locales=de&ui_locales=en"));
    assertThat(twice.statusCode()).isEqualTo(303);
    assertThat(twice.headers().firstValue("Location").orElseThrow())
        .contains("error=invalid_request");
  }

  /** A pushed request's ui_locales (RFC 9126) chooses as a sent one does. */
  @Test
  void aPushedRequestsUiLocalesChoosesTheLanguage() {
    Map<String, String> pushed = request("par-1");
    pushed.put("ui_locales", "de");
    HttpResponse<String> par = fx.postForm("/par", CLIENT_ID, secret, pushed);
    assertThat(par.statusCode()).isEqualTo(201);
    String requestUri = new JsonObject(par.body()).getString("request_uri");
    HttpResponse<String> login =
        fx.browser()
            .get(
                "/authorize?client_id="
                    + CLIENT_ID
                    + "&request_uri="
                    + OAuthFixtures.enc(requestUri));
    assertThat(login.statusCode()).isEqualTo(200);
    assertThat(login.body()).contains("<html lang=\"de\">", "<title>Anmelden · Grantry</title>");
  }

  /** RP-Initiated Logout 1.0 §2: ui_locales on /logout, kept by the confirmation's form. */
  @Test
  void theSignOutPagesSpeakTheirUiLocales() {
    OAuthFixtures.Browser b = signedIn();
    HttpResponse<String> ask = b.get("/logout?ui_locales=de");
    assertThat(ask.statusCode()).isEqualTo(200);
    assertThat(ask.body())
        .contains("<html lang=\"de\">", "Von Grantry abmelden?", "Eine Seite möchte Sie abmelden.")
        .contains("Angemeldet als <strong>lena</strong>.", "Angemeldet bleiben");
    Map<String, String> confirm = OAuthFixtures.hidden(ask.body());
    confirm.put("confirm", "yes");
    HttpResponse<String> done = b.post("/logout", confirm);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body())
        .contains("<html lang=\"de\">", "Sie sind abgemeldet")
        .contains("Dieser Browser ist nicht mehr bei Grantry angemeldet.");
  }

  /** The device pages (RFC 8628 has no ui_locales) follow the browser. */
  @Test
  void theDevicePagesFollowTheBrowsersLanguage() {
    OAuthFixtures.Browser b = signedIn();
    HttpResponse<String> entry = get(b, "/device", "de-CH, en;q=0.5");
    assertThat(entry.statusCode()).isEqualTo(200);
    assertThat(entry.body())
        .contains("<html lang=\"de\">", "Ein Gerät verbinden")
        .contains("Geben Sie den Code ein, den Ihr Gerät anzeigt");
    Map<String, String> typed = OAuthFixtures.hidden(entry.body());
    typed.put("user_code", "nope");
    HttpResponse<String> wrong = post(b, "/device", typed, "de-CH, en;q=0.5");
    assertThat(wrong.statusCode()).isEqualTo(400);
    assertThat(wrong.body())
        .contains("Das ist kein Code eines Geräts: Er hat 8 Buchstaben, etwa BCDF-GHJK.");
    HttpResponse<String> apps = get(b, "/account/apps", "de");
    assertThat(apps.body()).contains("Apps mit Zugriff", "Erlaubt am <time datetime=\"");
  }

  @Test
  void errorPagesSpeakTheAskedLanguage() {
    OAuthFixtures.Browser b = fx.browser();
    HttpResponse<String> unknown =
        b.get("/authorize?client_id=nobody&response_type=code&ui_locales=de");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.headers().firstValue("Location")).isEmpty();
    assertThat(unknown.body())
        .contains("<html lang=\"de\">", "Diese Anfrage kann nicht ausgeführt werden")
        .contains("Die Anwendung, die Sie hierher geschickt hat, ist diesem Server nicht bekannt.")
        .contains("Fehlercode: <code>invalid_client</code>");

    HttpResponse<String> missing = get(b, "/nothing/here", "de-DE,de;q=0.9");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body())
        .contains(
            "<html lang=\"de\">", "Seite nicht gefunden", "Anfrage-ID: <code id=\"request-id\">");

    HttpResponse<String> expired =
        b.post("/login", Map.of("csrf", "x", "request", "not-a-sealed-request"));
    assertThat(expired.statusCode()).isEqualTo(403);
    assertThat(expired.body()).contains("<html lang=\"en\">", "Request refused");
  }
}
