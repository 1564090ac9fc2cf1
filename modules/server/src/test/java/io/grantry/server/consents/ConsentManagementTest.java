package io.grantry.server.consents;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Withdrawing consent, from the user's "Apps with access" page (with the cookie-keeping client; the
 * Chromium test drives the same page) and from the admin API, and the admin's bulk grant
 * revocations: afterwards the refresh fails with invalid_grant, and a withdrawn consent is asked
 * for again at the next authorization.
 */
class ConsentManagementTest {
  static final String CB = "https://app.example/cb";
  static final String SCOPE = "openid profile offline_access";
  static final String PASSWORD = "correct horse battery";

  static TestServer server;
  static OAuthFixtures fx;
  static AdminHttp admin;
  static String photosSecret;
  static String notesSecret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    admin = new AdminHttp(server);
    photosSecret =
        fx.confidentialClient("photos", CB, "openid profile email offline_access api.read");
    notesSecret = fx.confidentialClient("notes", CB, "openid profile offline_access");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  // ---------------------------------------------------------------- helpers

  static JsonObject tokens(Browser b, String clientId, String user) {
    return fx.tokens(
        b,
        clientId,
        clientId.equals("photos") ? photosSecret : notesSecret,
        CB,
        SCOPE,
        user,
        PASSWORD);
  }

  static HttpResponse<String> refresh(String clientId, JsonObject tokens) {
    return fx.refresh(
        clientId,
        clientId.equals("photos") ? photosSecret : notesSecret,
        tokens.getString("refresh_token"),
        null);
  }

  static boolean active(String clientId, String token) {
    return fx.introspect(clientId, clientId.equals("photos") ? photosSecret : notesSecret, token)
        .getBoolean("active");
  }

  static void assertInvalidGrant(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_grant");
  }

  /** The first page /authorize shows in browser {@code b} (already signed in), or the redirect. */
  static HttpResponse<String> authorizeAgain(Browser b, String clientId) {
    return b.get(
        "/authorize?response_type=code&client_id="
            + clientId
            + "&redirect_uri="
            + OAuthFixtures.enc(CB)
            + "&scope="
            + OAuthFixtures.enc(SCOPE)
            + "&state=again&code_challenge="
            + OAuthFixtures.Pkce.create().challenge()
            + "&code_challenge_method=S256");
  }

  static List<Row> events(String streamId, String type) throws Exception {
    return server.query(
        "SELECT payload, metadata FROM events WHERE stream_id = $1 AND type = $2 ORDER BY version",
        streamId,
        type);
  }

  static List<Row> grantRevocations(JsonObject tokens) throws Exception {
    return events(
        GrantTokens.streamId(
            GrantTokens.grantIdOf(tokens.getString("refresh_token")).orElseThrow()),
        "grant.revoked.v1");
  }

  /** The hidden fields of the revoke form of {@code clientId} on the apps page. */
  static Map<String, String> revokeForm(String html, String clientId) {
    Matcher m =
        Pattern.compile(
                "<li class=\"app\" id=\"app-" + Pattern.quote(clientId) + "\">.*?</form>",
                Pattern.DOTALL)
            .matcher(html);
    assertThat(m.find()).as("a revoke form for " + clientId).isTrue();
    Map<String, String> form = new LinkedHashMap<>(OAuthFixtures.hidden(m.group()));
    assertThat(m.group()).contains("action=\"/account/apps/revoke\"");
    return form;
  }

  // ---------------------------------------------------------------- the apps page

  @Test
  void revokingAnAppFromTheAppsPageEndsItsGrantsAndTheConsentIsAskedAgain() throws Exception {
    String userId = fx.user("dora", PASSWORD);
    Browser b = fx.browser();
    JsonObject photos = tokens(b, "photos", "dora");
    JsonObject notes = tokens(b, "notes", "dora");

    HttpResponse<String> page = b.get("/account/apps");

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("frame-ancestors 'none'");
    assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(page.body())
        .contains(
            "Apps with access",
            "Signed in as <strong>dora</strong>",
            "id=\"app-photos\"",
            "id=\"app-notes\"",
            "Test photos",
            "Test notes",
            "Stay connected",
            "See your profile",
            "<time datetime=\"");
    Map<String, String> form = revokeForm(page.body(), "photos");
    assertThat(form).containsEntry("client_id", "photos").containsKey("csrf");

    // Without the CSRF token, or with another browser's: refused, nothing changes.
    Map<String, String> noCsrf = new LinkedHashMap<>(form);
    noCsrf.remove("csrf");
    assertThat(b.post("/account/apps/revoke", noCsrf).statusCode()).isEqualTo(403);
    Browser other = fx.browser();
    Map<String, String> foreign = new LinkedHashMap<>(form);
    foreign.put("csrf", OAuthFixtures.hidden(other.get("/account/login").body()).get("csrf"));
    assertThat(b.post("/account/apps/revoke", foreign).statusCode()).isEqualTo(403);
    assertThat(active("photos", photos.getString("access_token"))).isTrue();

    // The apps page's button only asks: nothing is revoked before the person confirms.
    HttpResponse<String> asked = b.post("/account/apps/revoke", form);
    assertThat(asked.statusCode()).isEqualTo(200);
    assertThat(asked.body())
        .contains("Revoke access for Test photos?", "name=\"confirm\" value=\"yes\"");
    assertThat(active("photos", photos.getString("access_token"))).isTrue();
    assertThat(events(Consent.streamId(userId, "photos"), "consent.revoked.v1")).isEmpty();
    Map<String, String> confirm = OAuthFixtures.hidden(asked.body());
    assertThat(confirm).containsEntry("client_id", "photos").containsEntry("confirm", "yes");

    HttpResponse<String> revoked = b.post("/account/apps/revoke", confirm);

    assertThat(revoked.statusCode()).isEqualTo(303);
    assertThat(revoked.headers().firstValue("Location")).hasValue("/account/apps?revoked=1");
    HttpResponse<String> after = b.get("/account/apps?revoked=1");
    assertThat(after.body())
        .contains("Access revoked.", "id=\"app-notes\"")
        .doesNotContain("id=\"app-photos\"");

    assertInvalidGrant(refresh("photos", photos));
    assertThat(active("photos", photos.getString("access_token"))).isFalse();
    List<Row> consentRevoked = events(Consent.streamId(userId, "photos"), "consent.revoked.v1");
    assertThat(consentRevoked).hasSize(1);
    assertThat(consentRevoked.get(0).getJsonObject("payload").getString("actor"))
        .isEqualTo("user:" + userId);
    assertThat(consentRevoked.get(0).getJsonObject("metadata").getString("actor"))
        .isEqualTo("user:" + userId);
    List<Row> grantRevoked = grantRevocations(photos);
    assertThat(grantRevoked).hasSize(1);
    assertThat(grantRevoked.get(0).getJsonObject("payload").getString("reason"))
        .isEqualTo("consent_revoked");
    assertThat(grantRevoked.get(0).getJsonObject("payload").getString("actor"))
        .isEqualTo("user:" + userId);

    // The other app keeps its access.
    assertThat(refresh("notes", notes).statusCode()).isEqualTo(200);

    // The next authorization asks again; allowing gives working tokens.
    HttpResponse<String> again = authorizeAgain(b, "photos");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("action=\"/consent\"", "Test photos wants access");
    JsonObject fresh = tokens(b, "photos", "dora");
    assertThat(refresh("photos", fresh).statusCode()).isEqualTo(200);
    assertThat(b.get("/account/apps").body()).contains("id=\"app-photos\"");
  }

  @Test
  void theAppsPageSendsAStrangerToSignInFirst() {
    fx.user("fred", PASSWORD);
    tokens(fx.browser(), "notes", "fred");
    Browser b = fx.browser();

    HttpResponse<String> apps = b.get("/account/apps");
    assertThat(apps.statusCode()).isEqualTo(303);
    assertThat(apps.headers().firstValue("Location")).hasValue("/account/login");
    HttpResponse<String> login = b.get("/account/login");
    assertThat(login.statusCode()).isEqualTo(200);
    assertThat(login.body())
        .contains("action=\"/account/login\"")
        .doesNotContain("name=\"request\"");
    Map<String, String> form = OAuthFixtures.hidden(login.body());

    Map<String, String> wrong = new LinkedHashMap<>(form);
    wrong.put("username", "fred");
    wrong.put("password", PASSWORD + "x");
    HttpResponse<String> refused = b.post("/account/login", wrong);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("Wrong username or password.");
    Map<String, String> noCsrf = Map.of("username", "fred", "password", PASSWORD);
    assertThat(b.post("/account/login", noCsrf).statusCode()).isEqualTo(403);
    assertThat(b.get("/account/apps").statusCode()).isEqualTo(303);

    Map<String, String> right = new LinkedHashMap<>(form);
    right.put("username", "fred");
    right.put("password", PASSWORD);
    HttpResponse<String> signedIn = b.post("/account/login", right);
    assertThat(signedIn.statusCode()).isEqualTo(303);
    assertThat(signedIn.headers().firstValue("Location")).hasValue("/account/apps");
    HttpResponse<String> page = b.get("/account/apps");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body())
        .contains("Signed in as <strong>fred</strong>", "id=\"app-notes\"")
        .doesNotContain("id=\"app-photos\"");

    // Signing out ends the session.
    Map<String, String> out = OAuthFixtures.hidden(page.body());
    out.keySet().retainAll(List.of("csrf"));
    assertThat(b.post("/account/logout", out).statusCode()).isEqualTo(303);
    assertThat(b.get("/account/apps").statusCode()).isEqualTo(303);
  }

  @Test
  void aUserWithoutConsentsSeesAnEmptyList() {
    fx.user("gina", PASSWORD);
    Browser b = fx.browser();
    Map<String, String> form = OAuthFixtures.hidden(b.get("/account/login").body());
    form.put("username", "gina");
    form.put("password", PASSWORD);
    assertThat(b.post("/account/login", form).statusCode()).isEqualTo(303);
    HttpResponse<String> page = b.get("/account/apps");
    assertThat(page.body())
        .contains("No app has access to your account.")
        .doesNotContain("class=\"app\"");
  }

  // ---------------------------------------------------------------- read from memory

  /**
   * Remembered consents and users are read from memory for a moment (GRANTRY_USER_CACHE_MS): a
   * withdrawal through this server must still be seen by the very next authorization.
   */
  @Test
  void aConsentReadFromMemoryIsAskedForAgainOnceWithdrawn() {
    String userId = fx.user("memo-consent", PASSWORD);
    Browser b = fx.browser();
    tokens(b, "photos", "memo-consent");
    assertThat(authorizeAgain(b, "photos").statusCode()).isEqualTo(303);
    assertThat(authorizeAgain(b, "photos").statusCode())
        .as("the remembered consent, now in memory")
        .isEqualTo(303);

    AdminHttp.Response deleted =
        admin.send(
            "DELETE", "/admin/users/" + userId + "/consents/photos", null, TestServer.ADMIN_TOKEN);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);

    HttpResponse<String> again = authorizeAgain(b, "photos");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("action=\"/consent\"", "Test photos wants access");
  }

  @Test
  void aUserReadFromMemoryIsSignedOutOnceDisabled() {
    String userId = fx.user("memo-user", PASSWORD);
    Browser b = fx.browser();
    JsonObject notes = tokens(b, "notes", "memo-user");
    assertThat(authorizeAgain(b, "notes").statusCode()).isEqualTo(303);
    assertThat(refresh("notes", notes).statusCode()).isEqualTo(200);

    assertThat(admin.post("/admin/users/" + userId + "/disable", new JsonObject()).status())
        .isEqualTo(200);

    HttpResponse<String> again = authorizeAgain(b, "notes");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("action=\"/login\"").doesNotContain("action=\"/consent\"");
  }

  // ---------------------------------------------------------------- admin API

  @Test
  void anOperatorWithdrawsAConsentThroughTheAdminApi() throws Exception {
    String userId = fx.user("erin", PASSWORD);
    Browser b = fx.browser();
    JsonObject photos = tokens(b, "photos", "erin");

    AdminHttp.Response listed = admin.get("/admin/users/" + userId + "/consents");
    assertThat(listed.status()).isEqualTo(200);
    assertThat(listed.items()).hasSize(1);
    JsonObject consent = listed.items().getJsonObject(0);
    assertThat(consent.getString("client_id")).isEqualTo("photos");
    assertThat(consent.getString("client_name")).isEqualTo("Test photos");
    assertThat(consent.getString("scope")).isEqualTo("offline_access openid profile");
    assertThat(consent.getString("granted_at")).isNotBlank();
    assertThat(consent.containsKey("revoked_at")).isFalse();

    AdminHttp.Response deleted =
        admin.send(
            "DELETE", "/admin/users/" + userId + "/consents/photos", null, TestServer.ADMIN_TOKEN);

    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
    assertThat(deleted.json())
        .isEqualTo(
            new JsonObject()
                .put("user_id", userId)
                .put("client_id", "photos")
                .put("consent_revoked", true)
                .put("grants_revoked", 1));
    assertInvalidGrant(refresh("photos", photos));
    assertThat(active("photos", photos.getString("access_token"))).isFalse();
    assertThat(
            admin
                .get("/admin/users/" + userId + "/consents")
                .items()
                .getJsonObject(0)
                .getString("revoked_at"))
        .isNotBlank();
    Row consentRevoked = events(Consent.streamId(userId, "photos"), "consent.revoked.v1").get(0);
    assertThat(consentRevoked.getJsonObject("payload").getString("actor")).isEqualTo("admin");
    assertThat(consentRevoked.getJsonObject("metadata").getString("actor")).isEqualTo("admin");
    Row grantRevoked = grantRevocations(photos).get(0);
    assertThat(grantRevoked.getJsonObject("payload").getString("reason"))
        .isEqualTo("consent_revoked");
    assertThat(grantRevoked.getJsonObject("payload").getString("actor")).isEqualTo("admin");
    assertThat(grantRevoked.getJsonObject("metadata").getString("actor")).isEqualTo("admin");

    HttpResponse<String> again = authorizeAgain(b, "photos");
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("action=\"/consent\"");

    // Again: nothing left to withdraw.
    AdminHttp.Response twice =
        admin.send(
            "DELETE", "/admin/users/" + userId + "/consents/photos", null, TestServer.ADMIN_TOKEN);
    assertThat(twice.json().getBoolean("consent_revoked")).isFalse();
    assertThat(twice.json().getInteger("grants_revoked")).isZero();
  }

  @Test
  void unknownUsersAndClientsAre404() {
    assertThat(admin.get("/admin/users/nobody/consents").status()).isEqualTo(404);
    assertThat(
            admin
                .send("DELETE", "/admin/users/nobody/consents/photos", null, TestServer.ADMIN_TOKEN)
                .status())
        .isEqualTo(404);
    assertThat(admin.post("/admin/users/nobody/revoke-grants", null).status()).isEqualTo(404);
    assertThat(admin.post("/admin/clients/nothing/revoke-grants", null).status()).isEqualTo(404);
    assertThat(admin.send("GET", "/admin/users/nobody/consents", null, null).status())
        .isEqualTo(401);
    assertThat(admin.send("POST", "/admin/clients/photos/revoke-grants", null, null).status())
        .isEqualTo(401);
  }

  @Test
  void anOperatorRevokesEveryGrantOfAClient() throws Exception {
    String secret = fx.confidentialClient("crm", CB, "openid profile offline_access api.read");
    fx.user("hank", PASSWORD);
    fx.user("iris", PASSWORD);
    Browser hank = fx.browser();
    JsonObject hankCrm = fx.tokens(hank, "crm", secret, CB, SCOPE, "hank", PASSWORD);
    JsonObject irisCrm = fx.tokens(fx.browser(), "crm", secret, CB, SCOPE, "iris", PASSWORD);
    JsonObject hankNotes = tokens(hank, "notes", "hank");
    HttpResponse<String> cc =
        fx.token("crm", secret, Map.of("grant_type", "client_credentials", "scope", "api.read"));
    String ccToken = new JsonObject(cc.body()).getString("access_token");

    AdminHttp.Response r = admin.post("/admin/clients/crm/revoke-grants", null);

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json())
        .isEqualTo(new JsonObject().put("client_id", "crm").put("grants_revoked", 3));
    assertInvalidGrant(fx.refresh("crm", secret, hankCrm.getString("refresh_token"), null));
    assertInvalidGrant(fx.refresh("crm", secret, irisCrm.getString("refresh_token"), null));
    assertThat(fx.introspect("crm", secret, ccToken).getBoolean("active")).isFalse();
    assertThat(fx.introspect("crm", secret, irisCrm.getString("access_token")).getBoolean("active"))
        .isFalse();
    Row revoked = grantRevocations(hankCrm).get(0);
    assertThat(revoked.getJsonObject("payload").getString("reason")).isEqualTo("admin");
    assertThat(revoked.getJsonObject("metadata").getString("actor")).isEqualTo("admin");
    assertThat(refresh("notes", hankNotes).statusCode()).isEqualTo(200);

    // Nothing live is left.
    assertThat(
            admin
                .post("/admin/clients/crm/revoke-grants", null)
                .json()
                .getInteger("grants_revoked"))
        .isZero();
  }

  @Test
  void anOperatorRevokesEveryGrantOfAUser() throws Exception {
    String jackId = fx.user("jack", PASSWORD);
    fx.user("kate", PASSWORD);
    Browser jack = fx.browser();
    JsonObject jackPhotos = tokens(jack, "photos", "jack");
    JsonObject jackNotes = tokens(jack, "notes", "jack");
    JsonObject katePhotos = tokens(fx.browser(), "photos", "kate");

    AdminHttp.Response r = admin.post("/admin/users/" + jackId + "/revoke-grants", null);

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json())
        .isEqualTo(new JsonObject().put("user_id", jackId).put("grants_revoked", 2));
    assertInvalidGrant(refresh("photos", jackPhotos));
    assertInvalidGrant(refresh("notes", jackNotes));
    assertThat(refresh("photos", katePhotos).statusCode()).isEqualTo(200);
    // The consents stay: only the grants were ended.
    JsonArray consents = admin.get("/admin/users/" + jackId + "/consents").items();
    assertThat(consents).hasSize(2);
    assertThat(consents.getJsonObject(0).containsKey("revoked_at")).isFalse();
  }
}
