package io.grantry.server.sessions;

import static io.grantry.server.testing.OAuthFixtures.enc;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Browser sessions are server-side state that can be ended (issue 15): after sign-out, a password
 * change, a disable or an administrator's action, a copy of the old cookie opens nothing and {@code
 * prompt=none} answers {@code login_required}; idle and absolute lifetimes bound a session; the
 * ledger records each session's start and end, never its secret.
 */
class SessionsTest {
  static final String CB = "https://app.example.test/cb";
  static final String PASSWORD = "correct horse battery";
  static final Duration IDLE = Duration.ofMinutes(10);
  static final Duration MAX = Duration.ofHours(1);
  static final MutableClock CLOCK = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_SESSION_IDLE_SECONDS", String.valueOf(IDLE.toSeconds()),
                "GRANTRY_SESSION_MAX_SECONDS", String.valueOf(MAX.toSeconds()),
                "GRANTRY_USER_CACHE_MS", "60000"),
            CLOCK);
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("web", CB, "openid profile offline_access");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /**
   * Signs {@code username} in through /authorize and allows the client: a browser with a session.
   */
  static Browser signedIn(String username) {
    Browser b = fx.browser();
    assertThat(b.authorize(query(""), username, PASSWORD)).containsKey("code");
    return b;
  }

  static String query(String extra) {
    return "response_type=code&client_id=web&redirect_uri="
        + enc(CB)
        + "&scope=openid&state=st&code_challenge="
        + OAuthFixtures.Pkce.create().challenge()
        + "&code_challenge_method=S256"
        + extra;
  }

  /** What /authorize?prompt=none answers this browser: its redirect's query. */
  static Map<String, String> silently(Browser b) {
    HttpResponse<String> r = b.get("/authorize?" + query("&prompt=none"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    return OAuthFixtures.queryOf(r.headers().firstValue("Location").orElseThrow());
  }

  static void assertSignedIn(Browser b) {
    assertThat(silently(b)).containsKey("code");
    assertThat(b.get("/account/apps").statusCode()).isEqualTo(200);
  }

  static void assertSignedOut(Browser b) {
    assertThat(silently(b)).containsEntry("error", "login_required").doesNotContainKey("code");
    HttpResponse<String> apps = b.get("/account/apps");
    assertThat(apps.statusCode()).isEqualTo(303);
    assertThat(apps.headers().firstValue("Location")).hasValue("/account/login");
  }

  static Map<String, String> csrfOf(Browser b) {
    Map<String, String> form =
        new LinkedHashMap<>(OAuthFixtures.hidden(b.get("/account/apps").body()));
    form.keySet().retainAll(List.of("csrf"));
    return form;
  }

  @Test
  void signingOutEndsTheSessionForACopyOfTheCookieToo() {
    fx.user("sam", PASSWORD);
    Browser b = signedIn("sam");
    Browser stolen = b.copy();
    assertSignedIn(stolen);

    assertThat(b.post("/account/logout", csrfOf(b)).statusCode()).isEqualTo(303);

    assertSignedOut(b);
    assertSignedOut(stolen);
  }

  @Test
  void aPasswordSetByAnAdministratorEndsEverySessionOfTheUser() {
    String id = fx.user("pat", PASSWORD);
    Browser one = signedIn("pat");
    Browser two = signedIn("pat");
    fx.admin(
        "PUT",
        "/admin/users/" + id + "/password",
        new JsonObject().put("password", PASSWORD + " 2"));
    assertSignedOut(one);
    assertSignedOut(two);
  }

  @Test
  void disablingTheUserEndsEverySession() {
    String id = fx.user("dan", PASSWORD);
    Browser b = signedIn("dan");
    fx.admin("POST", "/admin/users/" + id + "/disable", null);
    assertSignedOut(b);
  }

  @Test
  void theAdminApiListsAndEndsSessions() {
    String id = fx.user("ada", PASSWORD);
    Browser one = signedIn("ada");
    Browser two = signedIn("ada");
    JsonArray live =
        fx.admin("GET", "/admin/users/" + id + "/sessions", null).getJsonArray("items");
    assertThat(live).hasSize(2);
    assertThat(live.getJsonObject(0).getString("method")).isEqualTo("pwd");
    assertThat(live.getJsonObject(0).getString("address")).isEqualTo("127.0.0.1");
    String first = live.getJsonObject(1).getString("session_id");

    JsonObject ended = fx.admin("DELETE", "/admin/users/" + id + "/sessions/" + first, null);
    assertThat(ended.getBoolean("ended")).isTrue();
    assertThat(
            fx.admin("DELETE", "/admin/users/" + id + "/sessions/" + first, null)
                .getBoolean("ended"))
        .isFalse();
    assertSignedOut(one);
    assertSignedIn(two);

    assertThat(
            fx.admin("DELETE", "/admin/users/" + id + "/sessions", null)
                .getInteger("sessions_ended"))
        .isEqualTo(1);
    assertSignedOut(two);
    assertThat(fx.admin("GET", "/admin/users/" + id + "/sessions", null).getJsonArray("items"))
        .isEmpty();
  }

  @Test
  void signingOutEverywhereElseKeepsOnlyThisBrowser() {
    fx.user("eve", PASSWORD);
    Browser here = signedIn("eve");
    Browser laptop = signedIn("eve");
    Browser phone = signedIn("eve");
    String page = here.get("/account/apps").body();
    assertThat(page).contains("(this browser)", "id=\"sign-out-others\"");

    HttpResponse<String> r = here.post("/account/sessions/end-others", csrfOf(here));
    assertThat(r.statusCode()).isEqualTo(303);

    assertSignedIn(here);
    assertSignedOut(laptop);
    assertSignedOut(phone);
    // Without this browser's CSRF token nothing happens.
    Browser other = signedIn("eve");
    assertThat(here.post("/account/sessions/end-others", Map.of("csrf", "forged")).statusCode())
        .isEqualTo(403);
    assertSignedIn(other);
  }

  @Test
  void anIdleSessionEndsAndUseKeepsItAliveUntilItsAbsoluteLifetime() {
    fx.user("ida", PASSWORD);
    Browser b = signedIn("ida");
    Browser idle = b.copy();
    // Used every 8 minutes, the session outlives its 10-minute idle time ...
    for (int i = 0; i < 3; i++) {
      CLOCK.advance(Duration.ofMinutes(8));
      assertSignedIn(b);
    }
    // ... while the copy that was not used went idle.
    assertSignedOut(idle);
    // Until the absolute lifetime ends it anyway.
    for (int i = 0; i < 5; i++) {
      CLOCK.advance(Duration.ofMinutes(8));
      if (i < 4) {
        assertSignedIn(b);
      }
    }
    assertSignedOut(b);
  }

  @Test
  void theLedgerRecordsSessionsWithoutTheirSecret() throws Exception {
    String id = fx.user("leo", PASSWORD);
    Browser b = signedIn("leo");
    String cookie = b.cookie("grantry_session");
    assertThat(cookie).isNotNull();
    assertThat(b.post("/account/logout", csrfOf(b)).statusCode()).isEqualTo(303);

    JsonArray history =
        fx.admin("GET", "/admin/audit/users/" + id + "?limit=100", null).getJsonArray("items");
    List<String> types = new ArrayList<>();
    history.forEach(e -> types.add(((JsonObject) e).getString("type")));
    assertThat(types).contains("user.session_started.v1", "user.session_ended.v1");
    JsonObject ended =
        history.stream()
            .map(JsonObject.class::cast)
            .filter(e -> e.getString("type").equals("user.session_ended.v1"))
            .findFirst()
            .orElseThrow();
    assertThat(ended.encode()).contains("signed_out");

    // The cookie's secret is nowhere in the ledger or the projection; its session id is.
    String sessionId =
        server.query("SELECT session_id FROM sessions WHERE user_id = $1", id).get(0).getString(0);
    List<Row> events =
        server.query("SELECT payload::text FROM events WHERE stream_id = $1", "user:" + id);
    StringBuilder all = new StringBuilder();
    events.forEach(r -> all.append(r.getString(0)));
    server
        .query("SELECT secret_hash FROM sessions WHERE user_id = $1", id)
        .forEach(r -> all.append(r.getString(0)));
    assertThat(all).contains(sessionId);
    String[] parts = cookieSecretCandidates(cookie);
    for (String part : parts) {
      if (part.length() >= 40) {
        assertThat(all.toString()).doesNotContain(part);
      }
    }
    assertThat(sessionId).hasSizeGreaterThanOrEqualTo(22); // 128 bits, base64url
  }

  /** The strings inside the cookie's signed JSON value (the secret among them). */
  static String[] cookieSecretCandidates(String cookie) {
    String json =
        new String(
            Base64.getUrlDecoder().decode(cookie.substring(0, cookie.indexOf('.'))),
            StandardCharsets.UTF_8);
    JsonObject value = new JsonObject(json);
    assertThat(value.getString("sec")).hasSizeGreaterThanOrEqualTo(43); // 256 bits
    return new String[] {value.getString("sec")};
  }
}
