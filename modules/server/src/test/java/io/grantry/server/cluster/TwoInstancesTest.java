package io.grantry.server.cluster;

import static io.grantry.server.testing.OAuthFixtures.enc;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two server instances on one database, as behind a load balancer: nothing either needs lives only
 * in its own memory, so whatever one does the other sees.
 */
class TwoInstancesTest {
  static TestServer a;
  static TestServer b;
  static OAuthFixtures onA;
  static OAuthFixtures onB;
  static String secret;
  static final String CB = "https://app.example.test/cb";

  @BeforeAll
  static void start() throws Exception {
    TestDatabase db = TestDatabase.fresh();
    Map<String, String> shared = TestServer.sharedSecrets();
    a = TestServer.startOn(db, shared, Clock.systemUTC());
    b = TestServer.startOn(db, shared, Clock.systemUTC());
    onA = new OAuthFixtures(a);
    onB = new OAuthFixtures(b);
    secret = onA.confidentialClient("shared-app", CB, "openid offline_access api");
    onB.user("sam", "a long enough password");
  }

  @AfterAll
  static void stop() throws Exception {
    b.close();
    a.close();
  }

  static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  HttpResponse<String> token(OAuthFixtures on, Map<String, String> form) {
    return on.postForm("/token", "shared-app", secret, form);
  }

  @Test
  void aTokenFromOneInstanceIsLiveOnTheOtherAndARevocationOnOneIsSeenAtOnceOnTheOther() {
    String at =
        json(token(onA, Map.of("grant_type", "client_credentials", "scope", "api")))
            .getString("access_token");
    assertThat(
            json(onB.postForm("/introspect", "shared-app", secret, Map.of("token", at)))
                .getBoolean("active"))
        .isTrue();
    assertThat(onB.postForm("/revoke", "shared-app", secret, Map.of("token", at)).statusCode())
        .isEqualTo(200);
    assertThat(
            json(onA.postForm("/introspect", "shared-app", secret, Map.of("token", at)))
                .getBoolean("active"))
        .isFalse();
  }

  String code(OAuthFixtures on, OAuthFixtures.Pkce pkce) {
    return on.browser()
        .authorize(
            "response_type=code&client_id=shared-app&redirect_uri="
                + enc(CB)
                + "&scope=openid%20offline_access&state=s&code_challenge="
                + pkce.challenge()
                + "&code_challenge_method=S256",
            "sam",
            "a long enough password")
        .get("code");
  }

  @Test
  void aCodeFromOneInstanceIsRedeemedOnTheOtherAndRacedOnBothSucceedsOnce() {
    OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
    Map<String, String> form =
        Map.of(
            "grant_type",
            "authorization_code",
            "code",
            code(onA, pkce),
            "redirect_uri",
            CB,
            "code_verifier",
            pkce.verifier());
    HttpResponse<String> onOther = token(onB, form);
    assertThat(onOther.statusCode()).as(onOther.body()).isEqualTo(200);

    OAuthFixtures.Pkce pkce2 = OAuthFixtures.Pkce.create();
    Map<String, String> raced =
        Map.of(
            "grant_type",
            "authorization_code",
            "code",
            code(onB, pkce2),
            "redirect_uri",
            CB,
            "code_verifier",
            pkce2.verifier());
    List<CompletableFuture<HttpResponse<String>>> both =
        List.of(
            CompletableFuture.supplyAsync(() -> token(onA, raced)),
            CompletableFuture.supplyAsync(() -> token(onB, raced)));
    long ok = both.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 200).count();
    assertThat(ok).isEqualTo(1);
  }

  @Test
  void aRefreshTokenRotatedOnOneInstanceAndReusedOnTheOtherRevokesTheGrant() {
    OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
    JsonObject first =
        json(
            token(
                onA,
                Map.of(
                    "grant_type",
                    "authorization_code",
                    "code",
                    code(onA, pkce),
                    "redirect_uri",
                    CB,
                    "code_verifier",
                    pkce.verifier())));
    String rt = first.getString("refresh_token");
    JsonObject rotated =
        json(token(onA, Map.of("grant_type", "refresh_token", "refresh_token", rt)));
    assertThat(rotated.getString("refresh_token")).isNotEqualTo(rt);
    HttpResponse<String> reuse =
        token(onB, Map.of("grant_type", "refresh_token", "refresh_token", rt));
    assertThat(json(reuse).getString("error")).isEqualTo("invalid_grant");
    // Every access token of the grant, on both instances: the first one too, which neither
    // instance's grant state holds (the token-state projection ends them by grant id).
    for (OAuthFixtures instance : List.of(onA, onB)) {
      for (String access :
          List.of(first.getString("access_token"), rotated.getString("access_token"))) {
        assertThat(
                json(instance.postForm(
                        "/introspect", "shared-app", secret, Map.of("token", access)))
                    .getBoolean("active"))
            .isFalse();
      }
    }
    assertThat(
            json(token(
                    onA,
                    Map.of(
                        "grant_type",
                        "refresh_token",
                        "refresh_token",
                        rotated.getString("refresh_token"))))
                .getString("error"))
        .isEqualTo("invalid_grant");
  }

  /**
   * Each instance caches the grant states it used (a refresh then reads no events): a state the
   * other instance moved on since must never decide alone. A's cache still holds t1 as current when
   * B has rotated it to t2: t2 at A is a successful rotation (A reads what is newer before
   * refusing), and t1 at A is reuse (A's append with the stale version fails, A decides again).
   */
  @Test
  void anInstanceWhoseCachedGrantStateIsBehindDecidesOnTheLedger() {
    OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
    String t0 =
        json(token(
                onA,
                Map.of(
                    "grant_type",
                    "authorization_code",
                    "code",
                    code(onA, pkce),
                    "redirect_uri",
                    CB,
                    "code_verifier",
                    pkce.verifier())))
            .getString("refresh_token");
    String t1 =
        json(token(onA, Map.of("grant_type", "refresh_token", "refresh_token", t0)))
            .getString("refresh_token");
    String t2 =
        json(token(onB, Map.of("grant_type", "refresh_token", "refresh_token", t1)))
            .getString("refresh_token");
    HttpResponse<String> atA =
        token(onA, Map.of("grant_type", "refresh_token", "refresh_token", t2));
    assertThat(atA.statusCode()).as(atA.body()).isEqualTo(200);
    String t3 = json(atA).getString("refresh_token");
    // B's cache now holds t2 as current; t3 came from A.
    HttpResponse<String> atB =
        token(onB, Map.of("grant_type", "refresh_token", "refresh_token", t3));
    assertThat(atB.statusCode()).as(atB.body()).isEqualTo(200);
    String t4 = json(atB).getString("refresh_token");
    // A still holds t3 as current: presenting it there is reuse of a token B rotated.
    assertThat(
            json(token(onA, Map.of("grant_type", "refresh_token", "refresh_token", t3)))
                .getString("error"))
        .isEqualTo("invalid_grant");
    assertThat(
            json(token(onB, Map.of("grant_type", "refresh_token", "refresh_token", t4)))
                .getString("error"))
        .as("the reuse revoked the grant, B's current token included")
        .isEqualTo("invalid_grant");
    assertThat(
            json(token(onA, Map.of("grant_type", "refresh_token", "refresh_token", t4)))
                .getString("error"))
        .isEqualTo("invalid_grant");
  }

  /**
   * The instance that issues a code keeps the issued grant in its cache, so the redemption there
   * reads no events. A code issued on A and redeemed on B is still a spent code on A: A's append
   * with the version it cached fails, A decides on the ledger, sees the replay and revokes what B
   * issued.
   */
  @Test
  void aCodeRedeemedOnTheOtherInstanceIsAReplayWhereItWasIssued() {
    OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
    Map<String, String> form =
        Map.of(
            "grant_type",
            "authorization_code",
            "code",
            code(onA, pkce),
            "redirect_uri",
            CB,
            "code_verifier",
            pkce.verifier());
    HttpResponse<String> onB = token(TwoInstancesTest.onB, form);
    assertThat(onB.statusCode()).as(onB.body()).isEqualTo(200);
    String accessToken = json(onB).getString("access_token");

    HttpResponse<String> replayOnA = token(onA, form);

    assertThat(replayOnA.statusCode()).as(replayOnA.body()).isEqualTo(400);
    assertThat(json(replayOnA).getString("error")).isEqualTo("invalid_grant");
    assertThat(
            json(onA.postForm("/introspect", "shared-app", secret, Map.of("token", accessToken)))
                .getBoolean("active"))
        .isFalse();
    assertThat(
            json(token(
                    TwoInstancesTest.onB,
                    Map.of(
                        "grant_type",
                        "refresh_token",
                        "refresh_token",
                        json(onB).getString("refresh_token"))))
                .getString("error"))
        .isEqualTo("invalid_grant");
  }
}
