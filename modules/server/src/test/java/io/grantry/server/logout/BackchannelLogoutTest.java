package io.grantry.server.logout;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.openid.connect.sdk.claims.LogoutTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.validators.LogoutTokenValidator;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenID Connect Back-Channel Logout 1.0: when a session ends, each client that received an ID
 * token in it and registered a back-channel logout URI is POSTed a logout token, which Nimbus's
 * {@code LogoutTokenValidator} accepts; a receiver that is down is tried again until it answers, a
 * restart in between loses nothing, and every attempt is in the user's history.
 */
class BackchannelLogoutTest {
  static final String CB = "https://app.example.test/cb";
  static final String PASSWORD = "correct horse battery";
  static final Map<String, String> SECRETS = TestServer.sharedSecrets();
  static final MutableClock CLOCK = new MutableClock();
  static Vertx receiverVertx;
  static HttpServer receiver;
  static final ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();

  /** How many of the next requests the receiver answers 503. */
  static final AtomicInteger refuse = new AtomicInteger();

  static TestServer server;
  static OAuthFixtures fx;

  @BeforeAll
  static void start() throws Exception {
    receiverVertx = Vertx.vertx();
    receiver =
        TestServer.await(
            receiverVertx
                .createHttpServer()
                .requestHandler(
                    req ->
                        req.body()
                            .onSuccess(
                                body -> {
                                  if (refuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                    req.response().setStatusCode(503).end();
                                    return;
                                  }
                                  String form = body.toString(StandardCharsets.UTF_8);
                                  received.add(
                                      URLDecoder.decode(
                                          form.substring(form.indexOf('=') + 1),
                                          StandardCharsets.UTF_8));
                                  req.response().setStatusCode(200).end();
                                }))
                .listen(0, "127.0.0.1"));
    server = TestServer.start(SECRETS, CLOCK);
    fx = new OAuthFixtures(server);
    client("bc", "http://127.0.0.1:" + receiver.actualPort() + "/backchannel");
    client("quiet", null);
  }

  static String client(String id, String backchannel) {
    JsonObject body =
        new JsonObject()
            .put("client_id", id)
            .put("client_name", "App " + id)
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("redirect_uris", new JsonArray().add(CB))
            .put("grant_types", new JsonArray().add("authorization_code"))
            .put("scope", "openid profile");
    if (backchannel != null) {
      body.put("backchannel_logout_uri", backchannel)
          .put("backchannel_logout_session_required", true);
    }
    String secret = fx.admin("POST", "/admin/clients", body).getString("client_secret");
    SECRETS_BY_CLIENT.put(id, secret);
    return secret;
  }

  static final Map<String, String> SECRETS_BY_CLIENT = new LinkedHashMap<>();

  @AfterAll
  static void stop() throws Exception {
    server.close();
    TestServer.await(receiverVertx.close());
  }

  record SignedIn(String userId, Browser browser, String idToken) {}

  /** Signs in and lets both clients get ID tokens in the same session. */
  static SignedIn signIn(String username) {
    String userId = fx.user(username, PASSWORD);
    Browser b = fx.browser();
    JsonObject bc =
        fx.tokens(b, "bc", SECRETS_BY_CLIENT.get("bc"), CB, "openid", username, PASSWORD);
    fx.tokens(b, "quiet", SECRETS_BY_CLIENT.get("quiet"), CB, "openid", username, PASSWORD);
    return new SignedIn(userId, b, bc.getString("id_token"));
  }

  static void signOut(Browser b) {
    Map<String, String> form =
        new LinkedHashMap<>(OAuthFixtures.hidden(b.get("/account/apps").body()));
    form.keySet().retainAll(List.of("csrf"));
    assertThat(b.post("/account/logout", form).statusCode()).isEqualTo(303);
  }

  /** Runs the sender until {@code done} holds: the projection follows the ledger asynchronously. */
  static void sendUntil(BooleanSupplier done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("deliveries within 20 s").isLessThan(deadline);
      TestServer.await(server.server.backchannel().sendDue());
      Thread.onSpinWait();
    }
  }

  static List<String> historyTypes(String userId) {
    JsonArray items =
        fx.admin("GET", "/admin/audit/users/" + userId + "?limit=200", null).getJsonArray("items");
    List<String> types = new ArrayList<>();
    items.forEach(e -> types.add(((JsonObject) e).getString("type")));
    return types;
  }

  static LogoutTokenClaimsSet validate(String logoutToken) throws Exception {
    JWKSet keys = JWKSet.parse(fx.browser().get("/jwks").body());
    JWT jwt = JWTParser.parse(logoutToken);
    JWSAlgorithm alg =
        JWSAlgorithm.parse(
            new JsonObject(
                    new String(
                        Base64.getUrlDecoder().decode(logoutToken.split("\\.")[0]),
                        StandardCharsets.UTF_8))
                .getString("alg"));
    // requireTypedToken: the header must say logout+jwt.
    return new LogoutTokenValidator(
            new Issuer(server.url("")),
            new ClientID("bc"),
            true,
            new JWSVerificationKeySelector<>(alg, new ImmutableJWKSet<>(keys)),
            null)
        .validate(jwt);
  }

  @Test
  void aSignOutTellsTheClientsThatReceivedAnIdTokenInTheSession() throws Exception {
    received.clear();
    SignedIn ann = signIn("ann");
    String sid = OAuthFixtures.claims(ann.idToken()).getString("sid");
    signOut(ann.browser());

    sendUntil(() -> !received.isEmpty());
    assertThat(received).hasSize(1);
    LogoutTokenClaimsSet claims = validate(received.peek());
    assertThat(claims.getSessionID().getValue()).isEqualTo(sid);
    assertThat(claims.getSubject().getValue()).isEqualTo(ann.userId());
    assertThat(claims.toJSONObject()).doesNotContainKey("nonce");
    JsonObject header =
        new JsonObject(
            new String(
                Base64.getUrlDecoder().decode(received.peek().split("\\.")[0]),
                StandardCharsets.UTF_8));
    assertThat(header.getString("typ")).isEqualTo("logout+jwt");

    sendUntil(() -> historyTypes(ann.userId()).contains("backchannel.logout_delivered.v1"));
    // Nothing more is owed: another round sends nothing.
    TestServer.await(server.server.backchannel().sendDue());
    assertThat(received).hasSize(1);
  }

  @Test
  void anAdministratorsPasswordResetTellsTheClientsToo() throws Exception {
    received.clear();
    SignedIn dan = signIn("dan");
    String sid = OAuthFixtures.claims(dan.idToken()).getString("sid");
    fx.admin(
        "PUT",
        "/admin/users/" + dan.userId() + "/password",
        new JsonObject().put("password", "another long passphrase"));

    sendUntil(() -> !received.isEmpty());
    LogoutTokenClaimsSet claims = validate(received.peek());
    assertThat(claims.getSessionID().getValue()).isEqualTo(sid);
    assertThat(claims.getSubject().getValue()).isEqualTo(dan.userId());
  }

  /**
   * The other ways a session ends: the application's own logout (RP-Initiated Logout, with
   * the ID token it holds as the hint) and an administrator ending the one session.
   */
  @Test
  void anRpInitiatedLogoutAndAnAdministratorEndingTheSessionTellTheClientsToo() throws Exception {
    received.clear();
    SignedIn eve = signIn("eve");
    String sid = OAuthFixtures.claims(eve.idToken()).getString("sid");
    HttpResponse<String> out =
        eve.browser().get("/logout?id_token_hint=" + OAuthFixtures.enc(eve.idToken()));
    assertThat(out.statusCode()).as(out.body()).isIn(200, 303);
    sendUntil(() -> !received.isEmpty());
    LogoutTokenClaimsSet byApp = validate(received.peek());
    assertThat(byApp.getSessionID().getValue()).isEqualTo(sid);
    assertThat(byApp.getSubject().getValue()).isEqualTo(eve.userId());

    received.clear();
    SignedIn fay = signIn("fay");
    String fays = OAuthFixtures.claims(fay.idToken()).getString("sid");
    JsonObject ended =
        fx.admin("DELETE", "/admin/users/" + fay.userId() + "/sessions/" + fays, null);
    assertThat(ended.getBoolean("ended")).isTrue();
    sendUntil(() -> !received.isEmpty());
    LogoutTokenClaimsSet byAdmin = validate(received.peek());
    assertThat(byAdmin.getSessionID().getValue()).isEqualTo(fays);
    assertThat(byAdmin.getSubject().getValue()).isEqualTo(fay.userId());
  }

  @Test
  void aReceiverThatIsDownIsTriedAgainUntilItAnswers() throws Exception {
    received.clear();
    SignedIn bob = signIn("bob");
    refuse.set(2);
    signOut(bob.browser());

    sendUntil(() -> historyTypes(bob.userId()).contains("backchannel.logout_attempt_failed.v1"));
    assertThat(received).isEmpty();
    CLOCK.advance(Duration.ofSeconds(6));
    sendUntil(
        () ->
            historyTypes(bob.userId()).stream()
                    .filter("backchannel.logout_attempt_failed.v1"::equals)
                    .count()
                == 2);
    CLOCK.advance(Duration.ofSeconds(31));
    sendUntil(() -> !received.isEmpty());
    assertThat(validate(received.peek()).getSubject().getValue()).isEqualTo(bob.userId());
    sendUntil(() -> historyTypes(bob.userId()).contains("backchannel.logout_delivered.v1"));
  }

  @Test
  void aRestartBetweenTheSignOutAndTheDeliveryLosesNothing() throws Exception {
    received.clear();
    SignedIn cat = signIn("cat");
    refuse.set(1);
    signOut(cat.browser());
    sendUntil(() -> historyTypes(cat.userId()).contains("backchannel.logout_attempt_failed.v1"));

    // The server stops with the delivery owed; another starts on the same database.
    TestDatabase db = server.db;
    server.close();
    server = TestServer.startOn(db, SECRETS, CLOCK);
    fx = new OAuthFixtures(server);
    CLOCK.advance(Duration.ofSeconds(6));
    sendUntil(() -> !received.isEmpty());
    assertThat(OAuthFixtures.claims(received.peek()).getString("sub")).isEqualTo(cat.userId());
  }
}
