package io.grantry.server.cluster;

import static io.grantry.server.testing.OAuthFixtures.enc;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.grantry.server.tokenstate.AccessTokenMirror;
import io.grantry.server.tokenstate.MirrorWaits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two server instances on one database, as behind a load balancer: nothing either needs lives only
 * in its own memory, so whatever one does the other sees. A and B answer introspection from the
 * database alone (GRANTRY_INTROSPECTION_CACHE_MS=0: no cache, no mirror), so a change on one is
 * seen at once on the other; C and D run with the defaults, where an instance may answer from
 * memory for up to that bound (500 ms) after a change made through the other.
 */
class TwoInstancesTest {
  static TestServer a;
  static TestServer b;
  static TestServer c;
  static TestServer d;
  static OAuthFixtures onA;
  static OAuthFixtures onB;
  static String secret;
  static final Map<String, String> boundSecrets = new LinkedHashMap<>();
  static final String CB = "https://app.example.test/cb";

  @BeforeAll
  static void start() throws Exception {
    TestDatabase db = TestDatabase.fresh();
    Map<String, String> shared = new LinkedHashMap<>(TestServer.sharedSecrets());
    shared.put("GRANTRY_INTROSPECTION_CACHE_MS", "0");
    a = TestServer.startOn(db, shared, Clock.systemUTC());
    b = TestServer.startOn(db, shared, Clock.systemUTC());
    onA = new OAuthFixtures(a);
    onB = new OAuthFixtures(b);
    secret = onA.confidentialClient("shared-app", CB, "openid offline_access api");
    onB.user("sam", "a long enough password");

    TestDatabase defaults = TestDatabase.fresh();
    Map<String, String> sharedByDefaults = TestServer.sharedSecrets();
    c = TestServer.startOn(defaults, sharedByDefaults, Clock.systemUTC());
    d = TestServer.startOn(defaults, sharedByDefaults, Clock.systemUTC());
    OAuthFixtures onC = new OAuthFixtures(c);
    for (String format : List.of("jwt", "opaque")) {
      boundSecrets.put(
          format,
          onC.admin(
                  "POST",
                  "/admin/clients",
                  new JsonObject()
                      .put("client_id", "bound-" + format)
                      .put("client_name", "Test " + format)
                      .put("token_endpoint_auth_method", "client_secret_basic")
                      .put("grant_types", new JsonArray().add("client_credentials"))
                      .put("scope", "api")
                      .put("access_token_format", format))
              .getString("client_secret"));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    d.close();
    c.close();
    b.close();
    a.close();
  }

  /**
   * With the defaults, D answers a token issued on C from memory (its mirror of the access tokens
   * follows the ledger); once C has revoked it, every introspection D begins more than
   * GRANTRY_INTROSPECTION_CACHE_MS after the revocation was acknowledged says inactive (D's answers
   * from memory are never older than that), and D soon says so.
   */
  @Test
  void withTheDefaultsARevocationOnOneInstanceIsSeenOnTheOtherWithinTheBound() throws Exception {
    long bound = d.server.config().caches().introspection().toNanos();
    OAuthFixtures onC = new OAuthFixtures(c);
    OAuthFixtures onD = new OAuthFixtures(d);
    AccessTokenMirror mirrorOfD = d.server.resources().accessTokenMirror();
    for (String format : List.of("jwt", "opaque")) {
      String client = "bound-" + format;
      String clientSecret = boundSecrets.get(format);
      String at =
          json(onC.token(
                  client, clientSecret, Map.of("grant_type", "client_credentials", "scope", "api")))
              .getString("access_token");
      String jti =
          GrantTokens.opaqueJtiOf(at).orElseGet(() -> OAuthFixtures.claims(at).getString("jti"));
      MirrorWaits.caughtUp(mirrorOfD, jti, System.nanoTime());
      assertThat(onD.introspect(client, clientSecret, at).getBoolean("active")).isTrue();

      assertThat(onC.postForm("/revoke", client, clientSecret, Map.of("token", at)).statusCode())
          .isEqualTo(200);
      long acknowledged = System.nanoTime();
      long deadline = acknowledged + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        long asked = System.nanoTime();
        boolean active = onD.introspect(client, clientSecret, at).getBoolean("active");
        if (asked - acknowledged > bound) {
          assertThat(active)
              .as(
                  "%s token asked %d ms after its revocation was acknowledged",
                  format, (asked - acknowledged) / 1_000_000)
              .isFalse();
        }
        if (!active) {
          break;
        }
        assertThat(System.nanoTime() - deadline).as("never inactive on D").isNegative();
        MirrorWaits.awaitCaughtUp(mirrorOfD, System.nanoTime()); // D's next catch-up
      }
      assertThat(onC.introspect(client, clientSecret, at).getBoolean("active"))
          .as("at once on the instance it was revoked through")
          .isFalse();
    }
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
