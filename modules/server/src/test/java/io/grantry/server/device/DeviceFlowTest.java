package io.grantry.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCode;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The device authorization grant (RFC 8628) end to end, the device's side driven by Nimbus ({@code
 * DeviceAuthorizationRequest}, {@code DeviceCodeGrant}) and the person's side by the verification
 * page at {@code /device} (sign-in through {@code /account/login}, code entry, consent). The server
 * runs on a {@link MutableClock}: polls at one instant are "too fast", and expiry is a step of the
 * clock.
 */
class DeviceFlowTest {
  static final String PASSWORD = "correct horse battery";
  static final String SCOPE = "openid profile offline_access";
  static final MutableClock CLOCK = new MutableClock();
  static final String DEVICE_GRANT = DeviceServer.DEVICE_GRANT;
  static final String CODE_LETTERS = "[BCDFGHJKLMNPQRSTVWXZ]";

  static DeviceServer device;
  static String cliSecret;
  static String webSecret;

  @BeforeAll
  static void start() throws Exception {
    device = new DeviceServer(CLOCK);
    // A TV app: public, the device grant and refresh only, no redirect URI.
    device.register(
        DeviceServer.deviceClient("tv", "Living Room TV", "none", SCOPE, "refresh_token"));
    // A confidential command-line tool.
    cliSecret =
        device.register(
            DeviceServer.deviceClient(
                "cli", "Deploy CLI", "client_secret_basic", "openid profile"));
    webSecret =
        device.fx.confidentialClient("web", "https://web.example.test/cb", "openid profile");
  }

  @AfterAll
  static void stop() throws Exception {
    device.close();
  }

  // ---------------------------------------------------------------- the device (Nimbus)

  static DeviceAuthorizationSuccessResponse request(String clientId, String scope)
      throws Exception {
    HTTPResponse http = requestHttp(clientId, scope);
    DeviceAuthorizationResponse r = DeviceAuthorizationResponse.parse(http);
    assertThat(r.indicatesSuccess()).as(http.getBody()).isTrue();
    assertThat(http.getHeaderValue("Cache-Control")).isEqualTo("no-store");
    return r.toSuccessResponse();
  }

  static HTTPResponse requestHttp(String clientId, String scope) throws Exception {
    Scope s = scope == null ? null : Scope.parse(scope);
    DeviceAuthorizationRequest request =
        "cli".equals(clientId)
            ? new DeviceAuthorizationRequest(
                device.meta.getDeviceAuthorizationEndpointURI(),
                new ClientSecretBasic(new ClientID("cli"), new Secret(cliSecret)),
                s,
                Map.of())
            : new DeviceAuthorizationRequest(
                device.meta.getDeviceAuthorizationEndpointURI(), new ClientID(clientId), s);
    return request.toHTTPRequest().send();
  }

  static TokenResponse poll(String clientId, DeviceCode code) throws Exception {
    return TokenResponse.parse(pollHttp(clientId, code));
  }

  static HTTPResponse pollHttp(String clientId, DeviceCode code) throws Exception {
    TokenRequest request =
        "cli".equals(clientId)
            ? new TokenRequest(
                device.meta.getTokenEndpointURI(),
                new ClientSecretBasic(new ClientID("cli"), new Secret(cliSecret)),
                new DeviceCodeGrant(code))
            : new TokenRequest(
                device.meta.getTokenEndpointURI(),
                new ClientID(clientId),
                new DeviceCodeGrant(code));
    return request.toHTTPRequest().send();
  }

  /** The error code of a refusal (and a refusal is a 400 with an OAuth error). */
  static String error(TokenResponse r) {
    assertThat(r.indicatesSuccess()).as("expected an error").isFalse();
    ErrorObject e = r.toErrorResponse().getErrorObject();
    assertThat(e.getHTTPStatusCode()).as(e.getCode()).isEqualTo(400);
    return e.getCode();
  }

  static OIDCTokenResponse tokens(String clientId, DeviceCode code) throws Exception {
    HTTPResponse http = pollHttp(clientId, code);
    TokenResponse r = OIDCTokenResponseParser.parse(http);
    assertThat(r.indicatesSuccess()).as(http.getBody()).isTrue();
    return (OIDCTokenResponse) r.toSuccessResponse();
  }

  /** The TV (a public client) refreshes. */
  static HttpResponse<String> refresh(String refreshToken) {
    return device.fx.token(
        "tv",
        null,
        Map.of("grant_type", "refresh_token", "refresh_token", refreshToken, "client_id", "tv"));
  }

  static String grantId(DeviceCode code) {
    return GrantTokens.grantIdOf(code.getValue()).orElseThrow();
  }

  // ---------------------------------------------------------------- the person (the page)

  /** A browser signed in as {@code username} (a new user) through the device page's sign-in. */
  static Browser signedIn(String username) {
    device.fx.user(username, PASSWORD);
    Browser b = device.fx.browser();
    HttpResponse<String> r = b.get("/device");
    assertThat(r.statusCode()).isEqualTo(303);
    String login = r.headers().firstValue("Location").orElseThrow();
    assertThat(login).isEqualTo("/account/login?next=%2Fdevice");
    HttpResponse<String> page = b.get(login);
    assertThat(page.statusCode()).isEqualTo(200);
    Map<String, String> form = OAuthFixtures.hidden(page.body());
    assertThat(form).containsEntry("next", "/device");
    form.put("username", username);
    form.put("password", PASSWORD);
    HttpResponse<String> back = b.post("/account/login", form);
    assertThat(back.statusCode()).as(back.body()).isEqualTo(303);
    assertThat(back.headers().firstValue("Location")).hasValue("/device");
    return b;
  }

  /** Enters {@code typed} on the device page: the consent page, or the entry page's refusal. */
  static HttpResponse<String> enter(Browser b, String typed) {
    HttpResponse<String> page = b.get("/device");
    assertThat(page.statusCode()).isEqualTo(200);
    Map<String, String> form = OAuthFixtures.hidden(page.body());
    form.put("user_code", typed);
    return b.post("/device", form);
  }

  /** Enters {@code typed} and answers the consent page with {@code decision}. */
  static HttpResponse<String> answer(Browser b, String typed, String decision) {
    HttpResponse<String> consent = enter(b, typed);
    assertThat(consent.statusCode()).as(consent.body()).isEqualTo(200);
    assertThat(consent.body()).contains("value=\"allow\"");
    Map<String, String> form = OAuthFixtures.hidden(consent.body());
    form.put("decision", decision);
    return b.post("/device", form);
  }

  static List<String> grantHistory(String grantId) {
    return types(device.fx.admin("GET", "/admin/audit/grants/" + grantId + "?limit=200", null));
  }

  static List<String> types(JsonObject history) {
    List<String> out = new ArrayList<>();
    history.getJsonArray("items").forEach(e -> out.add(((JsonObject) e).getString("type")));
    return out;
  }

  // ---------------------------------------------------------------- the scenarios

  @Test
  void discoveryNamesTheEndpointAndTheGrantType() {
    assertThat(device.meta.getDeviceAuthorizationEndpointURI())
        .isEqualTo(URI.create(device.server.url("/device_authorization")));
    assertThat(device.meta.getGrantTypes())
        .contains(com.nimbusds.oauth2.sdk.GrantType.DEVICE_CODE)
        .contains(com.nimbusds.oauth2.sdk.GrantType.AUTHORIZATION_CODE);
    assertThat(device.fx.admin("GET", "/admin/clients/tv", null).getJsonArray("grant_types"))
        .containsExactlyInAnyOrder(DEVICE_GRANT, "refresh_token");
  }

  @Test
  void theUserAllowsTheDeviceGetsTokensOnceAndRefreshesLikeACodeGrant() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("tv", SCOPE);
    assertThat(d.getUserCode().getValue()).matches(CODE_LETTERS + "{4}-" + CODE_LETTERS + "{4}");
    assertThat(d.getVerificationURI()).isEqualTo(URI.create(device.server.url("/device")));
    assertThat(d.getVerificationURIComplete().toString())
        .isEqualTo(device.server.url("/device?user_code=" + d.getUserCode().getValue()));
    assertThat(d.getLifetime()).isEqualTo(600);
    assertThat(d.getInterval()).isEqualTo(5);
    // At least 128 bits of secret in the device code; neither code is in the ledger.
    assertThat(d.getDeviceCode().getValue().length()).isGreaterThanOrEqualTo(22);
    String grant = grantId(d.getDeviceCode());
    String ledger =
        device
            .server
            .query("SELECT string_agg(payload::text, ' ') AS p FROM events")
            .get(0)
            .getString("p");
    assertThat(ledger)
        .doesNotContain(d.getDeviceCode().getValue())
        .doesNotContain(d.getUserCode().getValue())
        .doesNotContain(d.getUserCode().getValue().replace("-", ""));

    assertThat(error(poll("tv", d.getDeviceCode()))).isEqualTo("authorization_pending");

    // The person opens verification_uri_complete: signs in, comes back with the code prefilled.
    String ann = device.fx.user("ann", PASSWORD);
    Browser b = device.fx.browser();
    HttpResponse<String> r = b.get(d.getVerificationURIComplete().toString());
    assertThat(r.statusCode()).isEqualTo(303);
    HttpResponse<String> login = b.get(r.headers().firstValue("Location").orElseThrow());
    Map<String, String> form = OAuthFixtures.hidden(login.body());
    form.put("username", "ann");
    form.put("password", PASSWORD);
    HttpResponse<String> back = b.post("/account/login", form);
    assertThat(back.headers().firstValue("Location"))
        .hasValue("/device?user_code=" + d.getUserCode().getValue());
    HttpResponse<String> entry = b.get(back.headers().firstValue("Location").orElseThrow());
    assertThat(entry.body()).contains("value=\"" + d.getUserCode().getValue() + "\"");

    // Typed in lower case without the dash, the code is the same code.
    String typed = d.getUserCode().getValue().replace("-", "").toLowerCase();
    HttpResponse<String> consent = enter(b, typed);
    assertThat(consent.statusCode()).isEqualTo(200);
    assertThat(consent.body())
        .contains("Living Room TV wants access")
        .contains(d.getUserCode().getValue())
        .contains("Stay connected");
    Map<String, String> allow = OAuthFixtures.hidden(consent.body());
    allow.put("decision", "allow");
    CLOCK.advance(Duration.ofSeconds(5));
    HttpResponse<String> done = b.post("/device", allow);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).contains("Device connected");

    CLOCK.advance(Duration.ofSeconds(5));
    OIDCTokenResponse t = tokens("tv", d.getDeviceCode());
    assertThat(t.getOIDCTokens().getRefreshToken()).isNotNull();
    JsonObject id = OAuthFixtures.claims(t.getOIDCTokens().getIDTokenString());
    assertThat(id.getString("sub")).isEqualTo(ann);
    assertThat(id.getValue("aud").toString()).contains("tv");
    // No sid: the TV has no session here; the phone's browser session that approved it is not the
    // TV's, so signing out of that browser does not sign the TV out (back-channel logout).
    assertThat(id.containsKey("sid")).isFalse();
    assertThat(id.getLong("auth_time")).isNotNull();
    String access = t.getOIDCTokens().getAccessToken().getValue();
    assertThat(device.fx.introspect("rs", device.rsSecret, access).getBoolean("active")).isTrue();
    // The account page lists the device's application: the consent was remembered.
    assertThat(b.get("/account/apps").body()).contains("Living Room TV");

    // Refresh, as for a code grant: a new pair, the old refresh token spent.
    String refresh = t.getOIDCTokens().getRefreshToken().getValue();
    HttpResponse<String> refreshed = refresh(refresh);
    assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
    String refresh2 = new JsonObject(refreshed.body()).getString("refresh_token");
    assertThat(refresh2).isNotEqualTo(refresh);

    // The device code is single use: presented again it is a replay, and the grant is revoked
    // (RFC 6749 §10.5, as for a replayed authorization code).
    assertThat(error(poll("tv", d.getDeviceCode()))).isEqualTo("invalid_grant");
    assertThat(refresh(refresh2).statusCode()).isEqualTo(400);
    assertThat(device.fx.introspect("rs", device.rsSecret, access).getBoolean("active")).isFalse();

    assertThat(grantHistory(grant))
        .containsExactly(
            "grant.device_authorization_requested.v1",
            "grant.device_authorization_approved.v1",
            "grant.device_code_redeemed.v1",
            "grant.refresh_token_rotated.v1",
            "grant.device_code_replayed.v1",
            "grant.revoked.v1");
    // The user's history and the client's show the grant too.
    assertThat(types(device.fx.admin("GET", "/admin/audit/users/" + ann + "?limit=200", null)))
        .contains("grant.device_authorization_approved.v1", "grant.device_code_redeemed.v1");
    assertThat(types(device.fx.admin("GET", "/admin/audit/clients/tv?limit=200", null)))
        .contains("grant.device_authorization_requested.v1");
  }

  @Test
  void aDeniedDeviceGetsAccessDeniedAndNoTokens() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("cli", null);
    Browser b = signedIn("bea");
    HttpResponse<String> done = answer(b, d.getUserCode().getValue(), "deny");
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).contains("Device not connected");
    CLOCK.advance(Duration.ofSeconds(5));
    assertThat(error(poll("cli", d.getDeviceCode()))).isEqualTo("access_denied");
    CLOCK.advance(Duration.ofSeconds(5));
    assertThat(error(poll("cli", d.getDeviceCode()))).isEqualTo("access_denied");
    // Denied once, the code cannot be allowed after all.
    HttpResponse<String> again = enter(b, d.getUserCode().getValue());
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(again.body()).contains("already used").doesNotContain("value=\"allow\"");
    assertThat(grantHistory(grantId(d.getDeviceCode())))
        .containsExactly(
            "grant.device_authorization_requested.v1", "grant.device_authorization_denied.v1");
    JsonObject grants = device.fx.admin("GET", "/admin/grants?client=cli&limit=100", null);
    assertThat(grants.getJsonArray("items").stream().map(g -> (JsonObject) g))
        .anySatisfy(
            g -> {
              assertThat(g.getString("grant_id")).isEqualTo(grantId(d.getDeviceCode()));
              assertThat(g.getString("status")).isEqualTo("denied");
              assertThat(g.getString("grant_type")).isEqualTo(DEVICE_GRANT);
            });
  }

  @Test
  void anExpiredCodeCanNeitherBeEnteredNorRedeemed() throws Exception {
    DeviceAuthorizationSuccessResponse late = request("tv", "openid");
    DeviceAuthorizationSuccessResponse slow = request("tv", "openid");
    Browser b = signedIn("cyd");
    // One is allowed in time but fetched only after its life; the other is entered too late.
    assertThat(answer(b, slow.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    CLOCK.advance(Duration.ofSeconds(601));
    assertThat(error(poll("tv", late.getDeviceCode()))).isEqualTo("expired_token");
    assertThat(error(poll("tv", slow.getDeviceCode()))).isEqualTo("expired_token");
    HttpResponse<String> entered = enter(b, late.getUserCode().getValue());
    assertThat(entered.statusCode()).isEqualTo(400);
    assertThat(entered.body()).doesNotContain("value=\"allow\"");
    assertThat(error(poll("tv", late.getDeviceCode()))).isEqualTo("expired_token");
  }

  @Test
  void pollingFasterThanTheIntervalGetsSlowDownAndFiveSecondsMore() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("tv", "openid");
    DeviceCode code = d.getDeviceCode();
    assertThat(error(poll("tv", code))).isEqualTo("authorization_pending");
    // At once again: too fast; the interval is now 10 s.
    assertThat(error(poll("tv", code))).isEqualTo("slow_down");
    CLOCK.advance(Duration.ofSeconds(10));
    assertThat(error(poll("tv", code))).isEqualTo("authorization_pending");
    // 9 s is too soon for 10: slow_down, and 15 s from now on.
    CLOCK.advance(Duration.ofSeconds(9));
    assertThat(error(poll("tv", code))).isEqualTo("slow_down");
    CLOCK.advance(Duration.ofSeconds(14));
    assertThat(error(poll("tv", code))).isEqualTo("slow_down");
    CLOCK.advance(Duration.ofSeconds(20));
    assertThat(error(poll("tv", code))).isEqualTo("authorization_pending");
    // The poll record is the database's, not this instance's memory.
    assertThat(
            device
                .server
                .query(
                    "SELECT interval_seconds FROM device_polls WHERE grant_id = $1", grantId(code))
                .get(0)
                .getInteger("interval_seconds"))
        .isEqualTo(20);
  }

  @Test
  void slowDownHoldsAcrossServerInstances() throws Exception {
    try (TestServer other = TestServer.startOn(device.server.db, device.secrets, CLOCK)) {
      DeviceAuthorizationSuccessResponse d = request("tv", "openid");
      DeviceCode code = d.getDeviceCode();
      TokenRequest there =
          new TokenRequest(
              URI.create(other.url("/token")), new ClientID("tv"), new DeviceCodeGrant(code));
      assertThat(error(poll("tv", code))).isEqualTo("authorization_pending");
      // The same device at once on the other instance: too fast, whichever instance it reaches.
      assertThat(error(TokenResponse.parse(there.toHTTPRequest().send()))).isEqualTo("slow_down");
      CLOCK.advance(Duration.ofSeconds(5));
      assertThat(error(poll("tv", code))).as("the interval is 10 s now").isEqualTo("slow_down");
      CLOCK.advance(Duration.ofSeconds(15));
      assertThat(error(TokenResponse.parse(there.toHTTPRequest().send())))
          .isEqualTo("authorization_pending");
      // The code typed on the other instance's page is the same code; the answer there reaches
      // the device polling here.
      Browser b = new OAuthFixtures(other).browser();
      device.fx.user("ivo", PASSWORD);
      HttpResponse<String> login = b.get("/account/login?next=%2Fdevice");
      Map<String, String> form = OAuthFixtures.hidden(login.body());
      form.put("username", "ivo");
      form.put("password", PASSWORD);
      assertThat(b.post("/account/login", form).statusCode()).isEqualTo(303);
      assertThat(answer(b, d.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
      CLOCK.advance(Duration.ofSeconds(15));
      assertThat(tokens("tv", code).getOIDCTokens().getIDToken()).isNotNull();
    }
  }

  @Test
  void twoPollsRacingAfterTheApprovalGetTokensOnce() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("tv", "openid offline_access");
    Browser b = signedIn("dov");
    assertThat(answer(b, d.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    CLOCK.advance(Duration.ofSeconds(5));
    int racers = 4;
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<HTTPResponse>> polls = new ArrayList<>();
    for (int i = 0; i < racers; i++) {
      polls.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  go.await();
                  return pollHttp("tv", d.getDeviceCode());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    go.countDown();
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<HTTPResponse> p : polls) {
      HTTPResponse r = p.get();
      statuses.add(r.getStatusCode());
      if (r.getStatusCode() != 200) {
        assertThat(r.getBody()).contains("invalid_grant");
      }
    }
    assertThat(statuses).as("one poll gets tokens, every other a refusal").containsOnlyOnce(200);
    assertThat(statuses).doesNotContain(500, 503);
    assertThat(grantHistory(grantId(d.getDeviceCode())))
        .containsOnlyOnce("grant.device_code_redeemed.v1");
  }

  @Test
  void anotherClientsPollLearnsNothingAndChangesNothing() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("tv", "openid");
    assertThat(error(poll("tv", d.getDeviceCode()))).isEqualTo("authorization_pending");
    // The CLI presents the TV's device code, now and after the approval: invalid_grant, and the
    // TV is not slowed down by it.
    assertThat(error(poll("cli", d.getDeviceCode()))).isEqualTo("invalid_grant");
    assertThat(answer(signedIn("eli"), d.getUserCode().getValue(), "allow").statusCode())
        .isEqualTo(200);
    CLOCK.advance(Duration.ofSeconds(5));
    assertThat(error(poll("cli", d.getDeviceCode()))).isEqualTo("invalid_grant");
    assertThat(tokens("tv", d.getDeviceCode()).getOIDCTokens().getAccessToken()).isNotNull();
    // A device code with its secret changed is no device code.
    String forged =
        d.getDeviceCode().getValue().substring(0, d.getDeviceCode().getValue().length() - 2) + "AA";
    assertThat(error(poll("tv", new DeviceCode(forged)))).isEqualTo("invalid_grant");
  }

  @Test
  void aDeviceAllowedByAUserDisabledBeforeItsPollGetsNothing() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("tv", "openid offline_access");
    Browser b = signedIn("jon");
    assertThat(answer(b, d.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    String jon =
        device
            .fx
            .admin("GET", "/admin/users?username=jon", null)
            .getJsonArray("items")
            .getJsonObject(0)
            .getString("user_id");
    // Disabling the user revokes the grant the device has not fetched yet.
    device.fx.admin("POST", "/admin/users/" + jon + "/disable", null);
    CLOCK.advance(Duration.ofSeconds(5));
    assertThat(error(poll("tv", d.getDeviceCode()))).isEqualTo("invalid_grant");
    assertThat(grantHistory(grantId(d.getDeviceCode()))).endsWith("grant.revoked.v1");
  }

  @Test
  void wrongUnusedAndMalformedUserCodesAreRefusedOnThePage() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("tv", "openid");
    Browser b = signedIn("fen");
    HttpResponse<String> malformed = enter(b, "hello");
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.body()).contains("not a code from a device");
    HttpResponse<String> unknown = enter(b, "BBBB-BBBB");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("not known").doesNotContain("value=\"allow\"");

    assertThat(answer(b, d.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    HttpResponse<String> used = enter(signedIn("gus"), d.getUserCode().getValue());
    assertThat(used.statusCode()).isEqualTo(400);
    assertThat(used.body()).contains("already used");

    // Without this browser's CSRF token nothing is looked up or answered.
    DeviceAuthorizationSuccessResponse other = request("tv", "openid");
    Map<String, String> forged = new LinkedHashMap<>();
    forged.put("csrf", "forged");
    forged.put("user_code", other.getUserCode().getValue());
    forged.put("decision", "allow");
    assertThat(b.post("/device", forged).statusCode()).isEqualTo(403);
    // Nor without a session.
    Map<String, String> anonymous = new LinkedHashMap<>(forged);
    anonymous.remove("csrf");
    assertThat(device.fx.browser().post("/device", anonymous).statusCode()).isIn(303, 403);
    CLOCK.advance(Duration.ofSeconds(5));
    assertThat(error(poll("tv", other.getDeviceCode()))).isEqualTo("authorization_pending");
  }

  @Test
  void theSignInReturnsOnlyToAPageOfThisServer() {
    device.fx.user("kim", PASSWORD);
    for (String next :
        List.of(
            "//evil.example/device",
            "/\\evil.example/device",
            "https://evil.example/device",
            "/device\r\nSet-Cookie: x=y")) {
      Browser b = device.fx.browser();
      HttpResponse<String> page = b.get("/account/login?next=" + OAuthFixtures.enc(next));
      Map<String, String> form = OAuthFixtures.hidden(page.body());
      assertThat(form).doesNotContainKey("next");
      form.put("next", next);
      form.put("username", "kim");
      form.put("password", PASSWORD);
      HttpResponse<String> r = b.post("/account/login", form);
      assertThat(r.statusCode()).isEqualTo(303);
      assertThat(r.headers().firstValue("Location")).as(next).hasValue("/account/apps");
    }
  }

  @Test
  void guessingUserCodesIsThrottledPerAccount() throws Exception {
    DeviceAuthorizationSuccessResponse d = request("tv", "openid");
    Browser b = signedIn("hal");
    for (int i = 0; i < 5; i++) {
      assertThat(enter(b, "BBBB-BBB" + "CDFGH".charAt(i)).statusCode()).isEqualTo(400);
    }
    // The sixth entry is refused unlooked-at, the right code too.
    HttpResponse<String> refused = enter(b, d.getUserCode().getValue());
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.body()).contains("Too many wrong codes").doesNotContain("value=\"allow\"");
    // Another account on the same address is not locked out by hal's guesses.
    assertThat(enter(signedIn("ida"), d.getUserCode().getValue()).statusCode()).isEqualTo(200);
    // After the window (15 min) hal may enter codes again.
    CLOCK.advance(Duration.ofMinutes(15).plusSeconds(1));
    DeviceAuthorizationSuccessResponse fresh = request("tv", "openid");
    assertThat(enter(b, fresh.getUserCode().getValue()).statusCode()).isEqualTo(200);
  }

  @Test
  void badRequestsAreOAuthErrorsNeverServerErrors() throws Exception {
    // A client not allowed the grant, a scope beyond the client's, no authentication.
    HTTPResponse web = requestHttp("web", "openid");
    assertThat(web.getStatusCode()).isIn(400, 401);
    assertThat(web.getBody()).contains("invalid_client");
    HTTPResponse scope = requestHttp("tv", "openid admin");
    assertThat(scope.getStatusCode()).isEqualTo(400);
    assertThat(scope.getBody()).contains("invalid_scope");
    HttpResponse<String> unknown =
        device.fx.postForm("/device_authorization", "nobody", null, Map.of("client_id", "nobody"));
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.body()).contains("invalid_client");
    HttpResponse<String> wrongSecret =
        device.fx.postForm("/device_authorization", "cli", "not-the-secret", Map.of());
    assertThat(wrongSecret.statusCode()).isEqualTo(401);

    // At /token: no device code, a malformed one, an empty one.
    for (Map<String, String> form :
        List.of(
            Map.of("grant_type", DEVICE_GRANT, "client_id", "tv"),
            Map.of("grant_type", DEVICE_GRANT, "client_id", "tv", "device_code", "x"),
            Map.of("grant_type", DEVICE_GRANT, "client_id", "tv", "device_code", ""),
            Map.of(
                "grant_type",
                DEVICE_GRANT,
                "client_id",
                "tv",
                "device_code",
                "g_" + "A".repeat(400)))) {
      HttpResponse<String> r = device.fx.token("tv", null, form);
      assertThat(r.statusCode()).as(form.toString()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error"))
          .isIn("invalid_request", "invalid_grant");
    }
    // The web app may not poll with the device grant at all.
    DeviceAuthorizationSuccessResponse d = request("tv", "openid");
    HttpResponse<String> notAllowed =
        device.fx.token(
            "web",
            null,
            Map.of(
                "grant_type",
                DEVICE_GRANT,
                "device_code",
                d.getDeviceCode().getValue(),
                "client_id",
                "web"));
    assertThat(notAllowed.statusCode()).isIn(400, 401);
  }

  /**
   * A token exchange by {@code client} of {@code subject} (of {@code type}) for {@code audience}.
   */
  static HTTPResponse exchange(
      ClientSecretBasic client, String subject, TokenTypeURI type, String audience)
      throws Exception {
    return new TokenRequest(
            device.meta.getTokenEndpointURI(),
            client,
            new TokenExchangeGrant(
                new BearerAccessToken(subject),
                type,
                null,
                null,
                null,
                List.of(new Audience(audience))))
        .toHTTPRequest()
        .send();
  }

  @Test
  void aDeviceGrantsTokensAreExchangedAndTheExchangedOnesDieWithTheDeviceGrant() throws Exception {
    // A media hub: a confidential device client that may also exchange its tokens (RFC 8693) for
    // the media API's.
    String hubSecret =
        device
            .fx
            .admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "hub")
                    .put("client_name", "Media hub")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put(
                        "grant_types",
                        new JsonArray()
                            .add(DEVICE_GRANT)
                            .add("urn:ietf:params:oauth:grant-type:token-exchange"))
                    .put("response_types", new JsonArray())
                    .put("scope", "openid profile")
                    .put("token_exchange_audiences", new JsonArray().add("media-api")))
            .getString("client_secret");
    ClientSecretBasic hub = new ClientSecretBasic(new ClientID("hub"), new Secret(hubSecret));
    HTTPResponse started =
        new DeviceAuthorizationRequest(
                device.meta.getDeviceAuthorizationEndpointURI(),
                hub,
                Scope.parse("openid profile"),
                Map.of())
            .toHTTPRequest()
            .send();
    DeviceAuthorizationSuccessResponse d =
        DeviceAuthorizationResponse.parse(started).toSuccessResponse();
    String lea = device.fx.user("lea", PASSWORD);
    Browser b = device.fx.browser();
    HttpResponse<String> login = b.get("/account/login?next=%2Fdevice");
    Map<String, String> form = OAuthFixtures.hidden(login.body());
    form.put("username", "lea");
    form.put("password", PASSWORD);
    assertThat(b.post("/account/login", form).statusCode()).isEqualTo(303);
    assertThat(answer(b, d.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    CLOCK.advance(Duration.ofSeconds(5));
    TokenRequest redeem =
        new TokenRequest(
            device.meta.getTokenEndpointURI(), hub, new DeviceCodeGrant(d.getDeviceCode()));
    HTTPResponse redeemed = redeem.toHTTPRequest().send();
    TokenResponse t = OIDCTokenResponseParser.parse(redeemed);
    assertThat(t.indicatesSuccess()).as(redeemed.getBody()).isTrue();
    String access =
        ((OIDCTokenResponse) t.toSuccessResponse()).getOIDCTokens().getAccessToken().getValue();
    String idToken = ((OIDCTokenResponse) t.toSuccessResponse()).getOIDCTokens().getIDTokenString();

    // The device's access token and its ID token are subject tokens like a code grant's: the
    // exchanged tokens are lea's, for the media API, issued to the hub.
    List<String> exchanged = new ArrayList<>();
    for (Map.Entry<String, TokenTypeURI> subject :
        List.of(
            Map.entry(access, TokenTypeURI.ACCESS_TOKEN),
            Map.entry(idToken, TokenTypeURI.ID_TOKEN))) {
      HTTPResponse http = exchange(hub, subject.getKey(), subject.getValue(), "media-api");
      TokenResponse r = TokenResponse.parse(http);
      assertThat(r.indicatesSuccess()).as(http.getBody()).isTrue();
      String x = r.toSuccessResponse().getTokens().getAccessToken().getValue();
      JsonObject claims = OAuthFixtures.claims(x);
      assertThat(claims.getString("sub")).isEqualTo(lea);
      assertThat(claims.getString("aud")).isEqualTo("media-api");
      assertThat(claims.getString("client_id")).isEqualTo("hub");
      assertThat(device.fx.introspect("rs", device.rsSecret, x).getBoolean("active")).isTrue();
      exchanged.add(x);
    }
    // And an exchanged token exchanged again: a chain of two from the device grant.
    HTTPResponse again = exchange(hub, exchanged.get(0), TokenTypeURI.ACCESS_TOKEN, "media-api");
    assertThat(again.getStatusCode()).as(again.getBody()).isEqualTo(200);
    exchanged.add(
        TokenResponse.parse(again).toSuccessResponse().getTokens().getAccessToken().getValue());

    // The device code presented again revokes the device grant, and with it every token exchanged
    // from it, at once: introspection, and a further exchange.
    assertThat(error(TokenResponse.parse(redeem.toHTTPRequest().send())))
        .isEqualTo("invalid_grant");
    assertThat(device.fx.introspect("rs", device.rsSecret, access).getBoolean("active")).isFalse();
    for (String x : exchanged) {
      assertThat(device.fx.introspect("rs", device.rsSecret, x).getBoolean("active")).isFalse();
      HTTPResponse refused = exchange(hub, x, TokenTypeURI.ACCESS_TOKEN, "media-api");
      assertThat(refused.getStatusCode()).as(refused.getBody()).isEqualTo(400);
      assertThat(refused.getBody()).contains("invalid_grant");
    }
    HTTPResponse fromId = exchange(hub, idToken, TokenTypeURI.ID_TOKEN, "media-api");
    assertThat(fromId.getStatusCode()).as(fromId.getBody()).isEqualTo(400);

    // The device grant's history shows the exchanges made from it (the audit follows the links).
    assertThat(grantHistory(grantId(d.getDeviceCode())))
        .contains(
            "grant.device_authorization_requested.v1",
            "grant.device_code_redeemed.v1",
            "grant.token_exchanged.v1",
            "grant.device_code_replayed.v1",
            "grant.revoked.v1");
  }

  @Test
  void aDisabledClientsDevicesGetNothingAndItsDeviceTokensDie() throws Exception {
    device.fx.admin(
        "POST",
        "/admin/clients",
        new JsonObject()
            .put("client_id", "kiosk")
            .put("client_name", "Lobby kiosk")
            .put("token_endpoint_auth_method", "none")
            .put("grant_types", new JsonArray().add(DEVICE_GRANT).add("refresh_token"))
            .put("response_types", new JsonArray())
            .put("scope", SCOPE));
    // Three devices of the kiosk's: one with its tokens, one allowed but not polled yet, one
    // waiting for its user.
    Browser b = signedIn("max");
    DeviceAuthorizationSuccessResponse fetched = request("kiosk", SCOPE);
    DeviceAuthorizationSuccessResponse allowed = request("kiosk", "openid");
    DeviceAuthorizationSuccessResponse waiting = request("kiosk", "openid");
    assertThat(answer(b, fetched.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    assertThat(answer(b, allowed.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    CLOCK.advance(Duration.ofSeconds(5));
    OIDCTokenResponse t = tokens("kiosk", fetched.getDeviceCode());
    String access = t.getOIDCTokens().getAccessToken().getValue();
    String refresh = t.getOIDCTokens().getRefreshToken().getValue();

    device.fx.admin("POST", "/admin/clients/kiosk/disable", null);
    CLOCK.advance(Duration.ofSeconds(5));
    // No tokens for the allowed device, no code for a new one, no answer to the waiting one.
    HTTPResponse polled = pollHttp("kiosk", allowed.getDeviceCode());
    assertThat(polled.getStatusCode()).as(polled.getBody()).isIn(400, 401);
    assertThat(polled.getBody()).doesNotContain("access_token");
    HTTPResponse waited = pollHttp("kiosk", waiting.getDeviceCode());
    assertThat(waited.getStatusCode()).as(waited.getBody()).isIn(400, 401);
    HTTPResponse fresh = requestHttp("kiosk", "openid");
    assertThat(fresh.getStatusCode()).as(fresh.getBody()).isIn(400, 401);
    assertThat(fresh.getBody()).contains("invalid_client");
    HttpResponse<String> entered = enter(b, waiting.getUserCode().getValue());
    assertThat(entered.statusCode()).as(entered.body()).isEqualTo(400);
    assertThat(entered.body()).doesNotContain("value=\"allow\"");
    // The fetched device's tokens are dead: introspection, refresh.
    assertThat(device.fx.introspect("rs", device.rsSecret, access).getBoolean("active")).isFalse();
    HttpResponse<String> refreshed =
        device.fx.token(
            "kiosk",
            null,
            Map.of("grant_type", "refresh_token", "refresh_token", refresh, "client_id", "kiosk"));
    assertThat(refreshed.statusCode()).as(refreshed.body()).isIn(400, 401);
    assertThat(refreshed.body()).doesNotContain("access_token");
    for (DeviceAuthorizationSuccessResponse d : List.of(fetched, allowed, waiting)) {
      assertThat(grantHistory(grantId(d.getDeviceCode()))).endsWith("grant.revoked.v1");
    }
  }

  @Test
  void codesOfTheGuessersOwnDevicesDoNotBuyMoreGuesses() throws Exception {
    // A guesser with a TV of their own enters its (right) code between wrong ones: each right
    // entry gives back only itself, never the wrong ones before it.
    Browser b = signedIn("ned");
    DeviceAuthorizationSuccessResponse own = request("tv", "openid");
    for (int round = 0; round < 4; round++) {
      assertThat(enter(b, "BBBB-BBC" + "DFGH".charAt(round)).statusCode()).isEqualTo(400);
      assertThat(enter(b, own.getUserCode().getValue()).statusCode()).isEqualTo(200);
    }
    // The fifth wrong code is the last one looked up; after it the right code is refused too.
    assertThat(enter(b, "BBBB-BBCJ").statusCode()).isEqualTo(400);
    HttpResponse<String> refused = enter(b, own.getUserCode().getValue());
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.body()).doesNotContain("value=\"allow\"");
  }

  @Test
  void aDeviceCodePresentedAsAnAuthorizationCodeIsAnOAuthErrorAndChangesNothing() throws Exception {
    // The same token shape as a code: a code-flow client sends a device code at each step of the
    // device's life as its authorization code. A refusal each time, never a server error, and the
    // device's grant goes on as if nothing happened.
    DeviceAuthorizationSuccessResponse d = request("tv", "openid");
    Map<String, String> asCode =
        Map.of(
            "grant_type",
            "authorization_code",
            "code",
            d.getDeviceCode().getValue(),
            "redirect_uri",
            "https://web.example.test/cb",
            "code_verifier",
            "v".repeat(43));
    HttpResponse<String> pending = device.fx.token("web", webSecret, asCode);
    assertThat(pending.statusCode()).as(pending.body()).isEqualTo(400);
    assertThat(new JsonObject(pending.body()).getString("error")).isEqualTo("invalid_grant");
    assertThat(answer(signedIn("ora"), d.getUserCode().getValue(), "allow").statusCode())
        .isEqualTo(200);
    HttpResponse<String> approved = device.fx.token("web", webSecret, asCode);
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(400);
    assertThat(new JsonObject(approved.body()).getString("error")).isEqualTo("invalid_grant");
    CLOCK.advance(Duration.ofSeconds(5));
    assertThat(tokens("tv", d.getDeviceCode()).getOIDCTokens().getAccessToken()).isNotNull();
    assertThat(grantHistory(grantId(d.getDeviceCode())))
        .containsExactly(
            "grant.device_authorization_requested.v1",
            "grant.device_authorization_approved.v1",
            "grant.device_code_redeemed.v1");
  }

  @Test
  void asOfItsExpiryAnUnredeemedDeviceGrantIsExpiredNotPending() throws Exception {
    DeviceAuthorizationSuccessResponse waiting = request("tv", "openid");
    DeviceAuthorizationSuccessResponse allowed = request("tv", "openid");
    Browser b = signedIn("asa");
    assertThat(answer(b, allowed.getUserCode().getValue(), "allow").statusCode()).isEqualTo(200);
    Instant during = CLOCK.instant();
    CLOCK.advance(Duration.ofMinutes(11));
    Instant after = CLOCK.instant();
    // The device comes back too late: expired_token, as the as-of view must say.
    assertThat(error(poll("tv", allowed.getDeviceCode()))).isEqualTo("expired_token");
    assertThat(error(poll("tv", waiting.getDeviceCode()))).isEqualTo("expired_token");
    for (String surface : List.of("api", "api-now")) {
      Instant at = surface.equals("api") ? during : after;
      String query = surface.equals("api") ? "&time=" + at : "";
      JsonObject asOf = device.fx.admin("GET", "/admin/audit/as-of?client=tv" + query, null);
      Map<String, String> status = new LinkedHashMap<>();
      asOf.getJsonArray("grants")
          .forEach(
              g ->
                  status.put(
                      ((JsonObject) g).getString("grant_id"),
                      ((JsonObject) g).getString("status")));
      String w = grantId(waiting.getDeviceCode());
      String a = grantId(allowed.getDeviceCode());
      if (at.equals(during)) {
        assertThat(status).containsEntry(w, "authorization_pending").containsEntry(a, "approved");
      } else {
        assertThat(status).containsEntry(w, "expired").containsEntry(a, "expired");
      }
    }
  }
}
