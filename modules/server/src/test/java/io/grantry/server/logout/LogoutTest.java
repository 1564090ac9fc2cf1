package io.grantry.server.logout;

import static io.grantry.server.testing.OAuthFixtures.enc;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTParser;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.openid.connect.sdk.LogoutRequest;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenID Connect RP-Initiated Logout 1.0 at {@code /logout}, driven with Nimbus's {@code
 * LogoutRequest}: a hint of the signed-in user ends the session and returns to a registered URI; an
 * unregistered URI is never followed; without a hint, or with another user's, the person confirms
 * on a page protected by CSRF; the session ends on the server, so {@code prompt=none} then answers
 * {@code login_required}.
 */
class LogoutTest {
  static final String CB = "https://app.example.test/cb";
  static final String BACK = "https://app.example.test/signed-out";
  static final String PASSWORD = "correct horse battery";
  static final MutableClock CLOCK = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of("GRANTRY_ID_TOKEN_TTL_SECONDS", "60", "GRANTRY_SESSION_IDLE_SECONDS", "36000"),
            CLOCK);
    fx = new OAuthFixtures(server);
    secret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "web")
                    .put("client_name", "Web app")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("redirect_uris", new JsonArray().add(CB))
                    .put("post_logout_redirect_uris", new JsonArray().add(BACK))
                    .put("grant_types", new JsonArray().add("authorization_code"))
                    .put("scope", "openid profile"))
            .getString("client_secret");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  record SignedIn(Browser browser, String idToken) {}

  static SignedIn signIn(String username) {
    fx.user(username, PASSWORD);
    Browser b = fx.browser();
    JsonObject tokens = fx.tokens(b, "web", secret, CB, "openid", username, PASSWORD);
    return new SignedIn(b, tokens.getString("id_token"));
  }

  static String logoutUrl(String idToken, String postLogout, String state) throws Exception {
    return new LogoutRequest(
            URI.create(server.url("/logout")),
            idToken == null ? null : JWTParser.parse(idToken),
            postLogout == null ? null : URI.create(postLogout),
            state == null ? null : new State(state))
        .toURI()
        .toString();
  }

  static boolean signedIn(Browser b) {
    HttpResponse<String> r =
        b.get(
            "/authorize?response_type=code&client_id=web&redirect_uri="
                + enc(CB)
                + "&scope=openid&state=s&prompt=none");
    return OAuthFixtures.queryOf(r.headers().firstValue("Location").orElseThrow())
        .containsKey("code");
  }

  static Map<String, String> confirmForm(HttpResponse<String> page) {
    Map<String, String> form = new LinkedHashMap<>(OAuthFixtures.hidden(page.body()));
    form.put("confirm", "yes");
    return form;
  }

  @Test
  void discoveryAndTheAdminApiNameTheEndpointAndTheUris() {
    JsonObject meta = new JsonObject(fx.browser().get("/.well-known/openid-configuration").body());
    assertThat(meta.getString("end_session_endpoint")).isEqualTo(server.url("/logout"));
    assertThat(
            fx.admin("GET", "/admin/clients/web", null).getJsonArray("post_logout_redirect_uris"))
        .containsExactly(BACK);
  }

  @Test
  void aHintOfTheSignedInUserEndsTheSessionAndReturnsToTheRegisteredUri() throws Exception {
    SignedIn ann = signIn("ann");
    assertThat(signedIn(ann.browser())).isTrue();
    assertThat(OAuthFixtures.claims(ann.idToken()).getString("sid")).isNotBlank();

    HttpResponse<String> r = ann.browser().get(logoutUrl(ann.idToken(), BACK, "st-1"));
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue(BACK + "?state=st-1");
    assertThat(signedIn(ann.browser())).isFalse();
  }

  @Test
  void anExpiredHintIsStillAHint() throws Exception {
    SignedIn bob = signIn("bob");
    CLOCK.advance(Duration.ofMinutes(10)); // the ID token lives 60 s
    HttpResponse<String> r = bob.browser().get(logoutUrl(bob.idToken(), BACK, null));
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue(BACK);
    assertThat(signedIn(bob.browser())).isFalse();
  }

  @Test
  void anUnregisteredUriIsNeverFollowedAndThePersonConfirmsFirst() throws Exception {
    SignedIn cat = signIn("cat");
    HttpResponse<String> page =
        cat.browser().get(logoutUrl(cat.idToken(), "https://evil.example/", "st"));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Location")).isEmpty();
    assertThat(page.body()).contains("Sign out of Grantry?").doesNotContain("evil.example");
    assertThat(signedIn(cat.browser())).as("asking signs nobody out").isTrue();

    // The form without this browser's CSRF token changes nothing.
    Map<String, String> forged = confirmForm(page);
    forged.put("csrf", "forged");
    assertThat(cat.browser().post("/logout", forged).statusCode()).isEqualTo(403);
    assertThat(signedIn(cat.browser())).isTrue();

    HttpResponse<String> done = cat.browser().post("/logout", confirmForm(page));
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.headers().firstValue("Location")).isEmpty();
    assertThat(done.body()).contains("You are signed out");
    assertThat(signedIn(cat.browser())).isFalse();
  }

  @Test
  void anotherUsersHintOrAForgedOneSignsNobodyOutUnasked() throws Exception {
    SignedIn dee = signIn("dee");
    SignedIn mallory = signIn("mallory");
    HttpResponse<String> page = dee.browser().get(logoutUrl(mallory.idToken(), BACK, "x"));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("Sign out of Grantry?");
    assertThat(signedIn(dee.browser())).isTrue();

    String[] parts = dee.idToken().split("\\.");
    String forged =
        parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 4) + "AAAA";
    HttpResponse<String> again =
        dee.browser()
            .get("/logout?id_token_hint=" + enc(forged) + "&post_logout_redirect_uri=" + enc(BACK));
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("Sign out of Grantry?");
    assertThat(signedIn(dee.browser())).isTrue();
    // Confirmed, with client_id to tell whose registered URI it is: back to the application.
    HttpResponse<String> confirmed =
        dee.browser()
            .get("/logout?client_id=web&post_logout_redirect_uri=" + enc(BACK) + "&state=s2");
    HttpResponse<String> out = dee.browser().post("/logout", confirmForm(confirmed));
    assertThat(out.statusCode()).isEqualTo(303);
    assertThat(out.headers().firstValue("Location")).hasValue(BACK + "?state=s2");
    assertThat(signedIn(dee.browser())).isFalse();
  }

  @Test
  void aClientIdTheHintWasNotForIsAnErrorAndSignsNobodyOut() throws Exception {
    SignedIn eve = signIn("eve");
    HttpResponse<String> r =
        eve.browser()
            .get(
                "/logout?id_token_hint="
                    + enc(eve.idToken())
                    + "&client_id=other&post_logout_redirect_uri="
                    + enc(BACK));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Location")).isEmpty();
    assertThat(signedIn(eve.browser())).isTrue();
  }

  @Test
  void withoutASessionThereIsNothingToEndAndOnlyARegisteredUriIsFollowed() throws Exception {
    SignedIn fay = signIn("fay");
    Browser stranger = fx.browser();
    HttpResponse<String> r = stranger.get(logoutUrl(fay.idToken(), BACK, "z"));
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue(BACK + "?state=z");
    HttpResponse<String> page = stranger.get("/logout?post_logout_redirect_uri=" + enc(BACK));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("You are signed out");
    assertThat(signedIn(fay.browser())).as("a stranger's logout is not fay's").isTrue();
  }
}
