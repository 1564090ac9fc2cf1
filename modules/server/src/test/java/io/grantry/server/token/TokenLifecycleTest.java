package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.OAuthFixtures.Pkce;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a token does after it is born, against a real server: refresh rotation with reuse detection,
 * concurrency, scope narrowing, client binding, the sliding window (on a clock the test moves),
 * client credentials, revocation (RFC 7009), introspection (RFC 7662) and single-use codes.
 */
class TokenLifecycleTest {
  static final String CB = "https://app.example/cb";
  static final String SCOPE = "openid profile offline_access api.read";
  static final String PASSWORD = "correct horse battery";

  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String webSecret;
  static String otherSecret;
  static String svcSecret;
  static String rsSecret;
  static String aliceId;
  static Browser alice;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of(), clock);
    fx = new OAuthFixtures(server);
    webSecret = fx.confidentialClient("web", CB, "openid profile email offline_access api.read");
    otherSecret =
        fx.confidentialClient("other", CB, "openid profile email offline_access api.read");
    svcSecret = fx.confidentialClient("svc", CB, "api.read api.write", "client_credentials");
    rsSecret = fx.resourceServer("rs");
    fx.publicClient("pub", CB, "openid offline_access");
    aliceId = fx.user("alice", PASSWORD);
    fx.user("bob", PASSWORD);
    alice = fx.browser();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static JsonObject webTokens() {
    return fx.tokens(alice, "web", webSecret, CB, SCOPE, "alice", PASSWORD);
  }

  static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  static void assertError(HttpResponse<String> r, int status, String error) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(json(r).getString("error")).isEqualTo(error);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
  }

  static String grantIdOf(String token) {
    return GrantTokens.grantIdOf(token).orElseThrow();
  }

  static String hashOf(String token) {
    return GrantTokens.hash(GrantTokens.secretOf(token).orElseThrow());
  }

  static List<Row> events(String grantId, String type) throws Exception {
    return server.query(
        "SELECT payload, metadata FROM events WHERE stream_id = $1 AND type = $2 ORDER BY version",
        GrantTokens.streamId(grantId),
        type);
  }

  static boolean active(String token) {
    return fx.introspect("web", webSecret, token).getBoolean("active");
  }

  /** The status of {@code GET /userinfo} with {@code access} as the bearer token. */
  static int userinfo(String access) {
    return fx.userinfo(access).statusCode();
  }

  // ---------------------------------------------------------------- rotation and reuse

  /**
   * A chain of 10 refreshes; then presenting the i-th old refresh token revokes the whole grant.
   */
  @ParameterizedTest(name = "reuse of refresh token #{0} of 10")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
  void aRotatedTokenPresentedAgainRevokesTheGrant(int reused) throws Exception {
    JsonObject first = webTokens();
    List<String> refreshTokens = new ArrayList<>(List.of(first.getString("refresh_token")));
    String access = first.getString("access_token");
    List<String> accessTokens = new ArrayList<>(List.of(access));
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = fx.refresh("web", webSecret, refreshTokens.get(i), null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonObject body = json(r);
      assertThat(body.getString("refresh_token")).isNotIn(refreshTokens);
      assertThat(grantIdOf(body.getString("refresh_token")))
          .isEqualTo(grantIdOf(refreshTokens.get(0)));
      refreshTokens.add(body.getString("refresh_token"));
      access = body.getString("access_token");
      accessTokens.add(access);
    }
    String grantId = grantIdOf(refreshTokens.get(0));
    assertThat(events(grantId, "grant.refresh_token_rotated.v1")).hasSize(10);
    assertThat(active(access)).isTrue();
    String newest = refreshTokens.get(10);
    assertThat(active(newest)).isTrue();

    HttpResponse<String> replay = fx.refresh("web", webSecret, refreshTokens.get(reused), null);

    assertError(replay, 400, "invalid_grant");
    // Every access token of the grant is dead at once, not only the newest (the grant state keeps
    // none of them: the token-state projection ends them by grant id).
    for (int i = 0; i < accessTokens.size(); i++) {
      assertThat(active(accessTokens.get(i))).as("access token #%d", i).isFalse();
      assertThat(userinfo(accessTokens.get(i)))
          .as("userinfo with access token #%d", i)
          .isEqualTo(401);
    }
    assertThat(active(newest)).as("the newest refresh token").isFalse();
    assertError(fx.refresh("web", webSecret, newest, null), 400, "invalid_grant");
    List<Row> reuse = events(grantId, "grant.refresh_token_reuse_detected.v1");
    assertThat(reuse).hasSize(1);
    assertThat(reuse.get(0).getJsonObject("payload").getString("presented_refresh_token_hash"))
        .isEqualTo(hashOf(refreshTokens.get(reused)));
    List<Row> revoked = events(grantId, "grant.revoked.v1");
    assertThat(revoked).hasSize(1);
    assertThat(revoked.get(0).getJsonObject("payload").getString("reason"))
        .isEqualTo("refresh_reuse");
  }

  @Test
  void fiftyConcurrentRefreshesOfOneTokenRotateItExactlyOnce() throws Exception {
    JsonObject first = webTokens();
    String refresh = first.getString("refresh_token");
    String grantId = grantIdOf(refresh);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(("web:" + webSecret).getBytes(StandardCharsets.UTF_8));
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(server.url("/token")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", basic)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    OAuthFixtures.formBody(
                        Map.of("grant_type", "refresh_token", "refresh_token", refresh))))
            .build();
    ExecutorService pool = Executors.newFixedThreadPool(50);
    List<HttpResponse<String>> responses = new ArrayList<>();
    try {
      CountDownLatch ready = new CountDownLatch(50);
      List<Future<HttpResponse<String>>> futures = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        futures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  ready.await();
                  return http.send(request, HttpResponse.BodyHandlers.ofString());
                }));
      }
      for (Future<HttpResponse<String>> f : futures) {
        responses.add(f.get());
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(responses.stream().filter(r -> r.statusCode() == 200)).hasSize(1);
    assertThat(responses.stream().filter(r -> r.statusCode() != 200))
        .hasSize(49)
        .allSatisfy(r -> assertError(r, 400, "invalid_grant"));
    List<Row> rotations = events(grantId, "grant.refresh_token_rotated.v1");
    assertThat(rotations).hasSize(1);
    assertThat(rotations.get(0).getJsonObject("payload").getString("old_refresh_token_hash"))
        .isEqualTo(hashOf(refresh));
    // The losers presented a token that had just been rotated: that is reuse, and it ends the grant
    // once.
    // Every loser either detects the reuse or finds the grant already revoked by the one that did.
    assertThat(events(grantId, "grant.refresh_token_reuse_detected.v1")).hasSize(1);
    List<Row> revoked = events(grantId, "grant.revoked.v1");
    assertThat(revoked).hasSize(1);
    assertThat(revoked.get(0).getJsonObject("payload").getString("reason"))
        .isEqualTo("refresh_reuse");
    List<Row> versions =
        server.query(
            "SELECT version FROM events WHERE stream_id = $1 ORDER BY version",
            GrantTokens.streamId(grantId));
    for (int i = 0; i < versions.size(); i++) {
      assertThat(versions.get(i).getLong("version")).isEqualTo(i + 1L);
    }
  }

  // ---------------------------------------------------------------- scope

  @Test
  void aRefreshMayNarrowTheScopeButNotWidenIt() {
    JsonObject first = webTokens();
    assertThat(Set.of(first.getString("scope").split(" ")))
        .containsExactlyInAnyOrder(SCOPE.split(" "));

    HttpResponse<String> narrow =
        fx.refresh("web", webSecret, first.getString("refresh_token"), "openid api.read");
    assertThat(narrow.statusCode()).as(narrow.body()).isEqualTo(200);
    JsonObject narrowed = json(narrow);
    assertThat(Set.of(narrowed.getString("scope").split(" ")))
        .containsExactlyInAnyOrder("openid", "api.read");
    assertThat(
            Set.of(
                OAuthFixtures.claims(narrowed.getString("access_token"))
                    .getString("scope")
                    .split(" ")))
        .containsExactlyInAnyOrder("openid", "api.read");
    assertThat(
            Set.of(
                fx.introspect("web", webSecret, narrowed.getString("access_token"))
                    .getString("scope")
                    .split(" ")))
        .containsExactlyInAnyOrder("openid", "api.read");

    // Widening beyond the grant, even by a scope the client may ask for: refused, nothing rotated.
    HttpResponse<String> wide =
        fx.refresh("web", webSecret, narrowed.getString("refresh_token"), "openid email");
    assertError(wide, 400, "invalid_scope");

    // The refresh token keeps the original grant: without a scope, the next one has all of it.
    HttpResponse<String> full =
        fx.refresh("web", webSecret, narrowed.getString("refresh_token"), null);
    assertThat(full.statusCode()).as(full.body()).isEqualTo(200);
    assertThat(Set.of(json(full).getString("scope").split(" ")))
        .containsExactlyInAnyOrder(SCOPE.split(" "));
  }

  @Test
  void anotherClientCannotUseTheRefreshToken() throws Exception {
    JsonObject first = webTokens();
    String refresh = first.getString("refresh_token");

    assertError(fx.refresh("other", otherSecret, refresh, null), 400, "invalid_grant");

    assertThat(events(grantIdOf(refresh), "grant.revoked.v1")).isEmpty();
    assertThat(fx.refresh("web", webSecret, refresh, null).statusCode()).isEqualTo(200);
  }

  @Test
  void aPublicClientRefreshesWithItsClientIdAndRotates() {
    Browser b = fx.browser();
    Pkce pkce = Pkce.create();
    String code = fx.code(b, "pub", CB, "openid offline_access", pkce, "bob", PASSWORD);
    HttpResponse<String> redeemed = fx.redeem("pub", null, code, CB, pkce);
    assertThat(redeemed.statusCode()).as(redeemed.body()).isEqualTo(200);
    String refresh = json(redeemed).getString("refresh_token");
    HttpResponse<String> r =
        fx.token(
            "pub",
            null,
            Map.of("grant_type", "refresh_token", "refresh_token", refresh, "client_id", "pub"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).getString("refresh_token")).isNotEqualTo(refresh);
  }

  // ---------------------------------------------------------------- sliding window

  @Test
  void theRefreshWindowSlidesWithEachRotationAndThenExpires() throws Exception {
    String r0 = webTokens().getString("refresh_token");

    clock.advance(Duration.ofDays(14));
    HttpResponse<String> one = fx.refresh("web", webSecret, r0, null);
    assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
    String r1 = json(one).getString("refresh_token");

    // 28 days after the first token was issued: beyond its 15 days, within r1's.
    clock.advance(Duration.ofDays(14));
    HttpResponse<String> two = fx.refresh("web", webSecret, r1, null);
    assertThat(two.statusCode()).as(two.body()).isEqualTo(200);
    String r2 = json(two).getString("refresh_token");
    assertThat(active(r2)).isTrue();

    clock.advance(Duration.ofDays(15).plusSeconds(1));
    assertThat(active(r2)).isFalse();
    HttpResponse<String> expired = fx.refresh("web", webSecret, r2, null);
    assertError(expired, 400, "invalid_grant");
    assertThat(json(expired).getString("error_description")).contains("expired");
    // Expiry is not reuse: nothing was revoked.
    assertThat(events(grantIdOf(r2), "grant.revoked.v1")).isEmpty();
  }

  // ---------------------------------------------------------------- disabled user or client

  @Test
  void aDisabledUserCannotRefresh() throws Exception {
    String carolId = fx.user("carol", PASSWORD);
    JsonObject tokens = fx.tokens(fx.browser(), "web", webSecret, CB, SCOPE, "carol", PASSWORD);
    HttpResponse<String> before =
        fx.refresh("web", webSecret, tokens.getString("refresh_token"), null);
    assertThat(before.statusCode()).as(before.body()).isEqualTo(200);

    fx.admin("POST", "/admin/users/" + carolId + "/disable", null);

    assertError(
        fx.refresh("web", webSecret, json(before).getString("refresh_token"), null),
        400,
        "invalid_grant");
    assertThat(
            events(grantIdOf(tokens.getString("refresh_token")), "grant.refresh_token_rotated.v1"))
        .hasSize(1);
    // Disabling the user revoked the grant: its access token is dead at once, not at expiry.
    assertThat(events(grantIdOf(tokens.getString("refresh_token")), "grant.revoked.v1"))
        .hasSize(1)
        .allSatisfy(
            e ->
                assertThat(((JsonObject) e.getValue("payload")).getString("reason"))
                    .isEqualTo("user_disabled"));
    assertThat(active(json(before).getString("access_token"))).isFalse();
  }

  @Test
  void aDisabledClientCannotAuthenticateToRefresh() {
    String secret = fx.confidentialClient("doomed", CB, "openid offline_access");
    JsonObject tokens =
        fx.tokens(alice, "doomed", secret, CB, "openid offline_access", "alice", PASSWORD);

    fx.admin("POST", "/admin/clients/doomed/disable", null);

    HttpResponse<String> r = fx.refresh("doomed", secret, tokens.getString("refresh_token"), null);
    assertError(r, 401, "invalid_client");
    assertThat(r.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(h -> assertThat(h).startsWith("Basic"));
  }

  // ---------------------------------------------------------------- client credentials

  @Test
  void clientCredentialsIssueAnAccessTokenForTheClientItself() throws Exception {
    HttpResponse<String> r =
        fx.token("svc", svcSecret, Map.of("grant_type", "client_credentials", "scope", "api.read"));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.headers().firstValue("Pragma")).hasValue("no-cache");
    JsonObject body = json(r);
    assertThat(body.containsKey("refresh_token")).isFalse();
    assertThat(body.containsKey("id_token")).isFalse();
    assertThat(body.getString("token_type")).isEqualTo("Bearer");
    assertThat(body.getString("scope")).isEqualTo("api.read");
    JsonObject claims = OAuthFixtures.claims(body.getString("access_token"));
    assertThat(claims.getString("sub")).isEqualTo("svc");
    assertThat(claims.getString("client_id")).isEqualTo("svc");
    assertThat(claims.getString("scope")).isEqualTo("api.read");
    String jti = claims.getString("jti");
    List<Row> issued =
        events(GrantTokens.grantIdOf(jti).orElseThrow(), "grant.client_credentials_issued.v1");
    assertThat(issued).hasSize(1);
    assertThat(issued.get(0).getJsonObject("metadata").getString("actor")).isEqualTo("client:svc");
    JsonObject seen = fx.introspect("svc", svcSecret, body.getString("access_token"));
    assertThat(seen.getBoolean("active")).isTrue();
    assertThat(seen.getString("sub")).isEqualTo("svc");

    HttpResponse<String> all =
        fx.token("svc", svcSecret, Map.of("grant_type", "client_credentials"));
    assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
    assertThat(Set.of(json(all).getString("scope").split(" ")))
        .containsExactlyInAnyOrder("api.read", "api.write");
  }

  @Test
  void clientCredentialsNeverCarryUserOnlyScopes() {
    // "web" may ask for openid profile email offline_access api.read and may use
    // client_credentials: without a scope parameter its machine token carries only api.read.
    HttpResponse<String> all =
        fx.token("web", webSecret, Map.of("grant_type", "client_credentials"));
    assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
    assertThat(json(all).getString("scope")).isEqualTo("api.read");
    assertThat(OAuthFixtures.claims(json(all).getString("access_token")).getString("scope"))
        .isEqualTo("api.read");
    // Asked for explicitly, a user-only scope is refused, not dropped (RFC 6749 §4.4.2, §5.2).
    for (String scope : new String[] {"email", "profile", "profile email", "api.read email"}) {
      assertError(
          fx.token("web", webSecret, Map.of("grant_type", "client_credentials", "scope", scope)),
          400,
          "invalid_scope");
    }
  }

  @Test
  void clientCredentialsErrors() {
    assertError(
        fx.token(
            "svc",
            svcSecret,
            Map.of("grant_type", "client_credentials", "scope", "api.read admin")),
        400,
        "invalid_scope");
    assertError(
        fx.token("svc", svcSecret, Map.of("grant_type", "client_credentials", "scope", "openid")),
        400,
        "invalid_scope");

    HttpResponse<String> wrong =
        fx.token("svc", svcSecret + "x", Map.of("grant_type", "client_credentials"));
    assertError(wrong, 401, "invalid_client");
    assertThat(wrong.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(h -> assertThat(h).startsWith("Basic"));

    HttpResponse<String> pub =
        fx.token("pub", null, Map.of("grant_type", "client_credentials", "client_id", "pub"));
    assertError(pub, 401, "invalid_client");

    HttpResponse<String> noAuth =
        fx.token("svc", null, Map.of("grant_type", "client_credentials", "client_id", "svc"));
    assertError(noAuth, 401, "invalid_client");

    // A confidential client without the grant type.
    String codeOnly =
        fx.confidentialClient("code-only", CB, "openid api.read", "authorization_code");
    assertError(
        fx.token(
            "code-only", codeOnly, Map.of("grant_type", "client_credentials", "scope", "api.read")),
        400,
        "unauthorized_client");
  }

  // ---------------------------------------------------------------- revocation (RFC 7009)

  HttpResponse<String> revoke(String clientId, String secret, Map<String, String> form) {
    return fx.postForm("/revoke", clientId, secret, form);
  }

  @Test
  void revokingAnUnknownOrMalformedTokenIs200() {
    for (String token :
        List.of(
            "nonsense",
            "AAAAAAAAAAAAAAAAAAAAAA.bm90LWEtdG9rZW4",
            "a.b.c",
            "eyJhbGciOiJub25lIn0.e30.")) {
      HttpResponse<String> r = revoke("web", webSecret, Map.of("token", token));
      assertThat(r.statusCode()).as(token).isEqualTo(200);
    }
    assertThat(
            revoke("web", webSecret, Map.of("token", "x", "token_type_hint", "something_else"))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void revocationNeedsClientAuthentication() {
    JsonObject tokens = webTokens();
    assertError(
        revoke("web", webSecret + "x", Map.of("token", tokens.getString("refresh_token"))),
        401,
        "invalid_client");
    assertError(
        fx.postForm("/revoke", "web", null, Map.of("token", tokens.getString("refresh_token"))),
        401,
        "invalid_client");
    assertThat(active(tokens.getString("refresh_token"))).isTrue();
  }

  @Test
  void revokingARefreshTokenRevokesTheGrantAndItsAccessTokens() throws Exception {
    JsonObject first = webTokens();
    HttpResponse<String> refreshed =
        fx.refresh("web", webSecret, first.getString("refresh_token"), null);
    String access1 = first.getString("access_token");
    String access2 = json(refreshed).getString("access_token");
    String refresh = json(refreshed).getString("refresh_token");
    assertThat(active(access1)).isTrue();
    assertThat(active(access2)).isTrue();

    HttpResponse<String> r =
        revoke("web", webSecret, Map.of("token", refresh, "token_type_hint", "access_token"));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(active(access1)).isFalse();
    assertThat(active(access2)).isFalse();
    assertThat(active(refresh)).isFalse();
    assertError(fx.refresh("web", webSecret, refresh, null), 400, "invalid_grant");
    List<Row> revoked = events(grantIdOf(refresh), "grant.revoked.v1");
    assertThat(revoked).hasSize(1);
    assertThat(revoked.get(0).getJsonObject("payload").getString("reason"))
        .isEqualTo("revoked_by_client");
    // Again: already revoked, still 200, nothing new.
    assertThat(revoke("web", webSecret, Map.of("token", refresh)).statusCode()).isEqualTo(200);
    assertThat(events(grantIdOf(refresh), "grant.revoked.v1")).hasSize(1);
  }

  /**
   * The holder of a refresh token the grant rotated away may still revoke the grant (the grant
   * state keeps only the current token; the projection knows the old ones), and a made-up secret
   * for a real grant id revokes nothing and is not taken for reuse at the token endpoint either.
   */
  @Test
  void aRotatedRefreshTokenRevokesItsGrantAndAGuessedOneDoesNothing() throws Exception {
    JsonObject first = webTokens();
    String old = first.getString("refresh_token");
    HttpResponse<String> refreshed = fx.refresh("web", webSecret, old, null);
    assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
    String current = json(refreshed).getString("refresh_token");
    String grantId = grantIdOf(current);
    // The same form and length as a real secret (43 base64url characters), but never issued.
    String guessed = GrantTokens.token(grantId, "A".repeat(43));

    assertError(fx.refresh("web", webSecret, guessed, null), 400, "invalid_grant");
    assertThat(revoke("web", webSecret, Map.of("token", guessed)).statusCode()).isEqualTo(200);
    assertThat(events(grantId, "grant.refresh_token_reuse_detected.v1")).isEmpty();
    assertThat(events(grantId, "grant.revoked.v1")).isEmpty();
    assertThat(active(current)).isTrue();

    assertThat(revoke("web", webSecret, Map.of("token", old)).statusCode()).isEqualTo(200);
    assertThat(active(current)).isFalse();
    List<Row> revoked = events(grantId, "grant.revoked.v1");
    assertThat(revoked).hasSize(1);
    assertThat(revoked.get(0).getJsonObject("payload").getString("reason"))
        .isEqualTo("revoked_by_client");
  }

  @Test
  void revokingAnAccessTokenRevokesOnlyThatToken() {
    JsonObject tokens = webTokens();

    assertThat(
            revoke("web", webSecret, Map.of("token", tokens.getString("access_token")))
                .statusCode())
        .isEqualTo(200);

    assertThat(active(tokens.getString("access_token"))).isFalse();
    assertThat(active(tokens.getString("refresh_token"))).isTrue();
    HttpResponse<String> r = fx.refresh("web", webSecret, tokens.getString("refresh_token"), null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(active(json(r).getString("access_token"))).isTrue();
  }

  /**
   * The grant state keeps no access tokens: a revocation of one issued several rotations ago is
   * decided on the token-state projection (issued by this grant, still live), ends that one only,
   * and only once.
   */
  @Test
  void revokingAnOlderAccessTokenOfAChainEndsOnlyThatOneAndOnlyOnce() throws Exception {
    JsonObject first = webTokens();
    List<String> access = new ArrayList<>(List.of(first.getString("access_token")));
    String refresh = first.getString("refresh_token");
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = fx.refresh("web", webSecret, refresh, null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      refresh = json(r).getString("refresh_token");
      access.add(json(r).getString("access_token"));
    }
    String grantId = grantIdOf(refresh);

    for (int attempt = 0; attempt < 2; attempt++) {
      assertThat(revoke("web", webSecret, Map.of("token", access.get(1))).statusCode())
          .isEqualTo(200);
    }

    assertThat(active(access.get(1))).isFalse();
    assertThat(userinfo(access.get(1))).isEqualTo(401);
    for (int i : List.of(0, 2, 3)) {
      assertThat(active(access.get(i))).as("access token #%d", i).isTrue();
      assertThat(userinfo(access.get(i))).as("userinfo with access token #%d", i).isEqualTo(200);
    }
    assertThat(active(refresh)).isTrue();
    List<Row> revoked = events(grantId, "grant.access_token_revoked.v1");
    assertThat(revoked).hasSize(1);
    assertThat(events(grantId, "grant.revoked.v1")).isEmpty();
  }

  @Test
  void aClientCannotRevokeAnotherClientsTokens() throws Exception {
    JsonObject tokens = webTokens();

    for (String token :
        List.of(tokens.getString("access_token"), tokens.getString("refresh_token"))) {
      assertThat(revoke("other", otherSecret, Map.of("token", token)).statusCode()).isEqualTo(200);
    }

    assertThat(active(tokens.getString("access_token"))).isTrue();
    assertThat(active(tokens.getString("refresh_token"))).isTrue();
    assertThat(events(grantIdOf(tokens.getString("refresh_token")), "grant.revoked.v1")).isEmpty();
    assertThat(
            events(grantIdOf(tokens.getString("refresh_token")), "grant.access_token_revoked.v1"))
        .isEmpty();
  }

  // ---------------------------------------------------------------- introspection (RFC 7662)

  @Test
  void introspectionNeedsAnAuthenticatedClient() {
    String access = webTokens().getString("access_token");
    HttpResponse<String> none = fx.postForm("/introspect", "web", null, Map.of("token", access));
    assertError(none, 401, "invalid_client");
    HttpResponse<String> noClient = fx.postForm("/introspect", null, null, Map.of("token", access));
    assertError(noClient, 401, "invalid_client");
    HttpResponse<String> wrong =
        fx.postForm("/introspect", "web", webSecret + "x", Map.of("token", access));
    assertError(wrong, 401, "invalid_client");
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).isPresent();
    HttpResponse<String> pub =
        fx.postForm("/introspect", "pub", null, Map.of("token", access, "client_id", "pub"));
    assertError(pub, 401, "invalid_client");
  }

  @Test
  void aClientSeesItsOwnTokens() {
    JsonObject tokens = webTokens();
    String access = tokens.getString("access_token");
    JsonObject claims = OAuthFixtures.claims(access);

    JsonObject a = fx.introspect("web", webSecret, access);

    assertThat(a.getBoolean("active")).isTrue();
    assertThat(a.getString("client_id")).isEqualTo("web");
    assertThat(a.getString("sub")).isEqualTo(aliceId);
    assertThat(Set.of(a.getString("scope").split(" "))).containsExactlyInAnyOrder(SCOPE.split(" "));
    assertThat(a.getString("token_type")).isEqualTo("Bearer");
    assertThat(a.getString("jti")).isEqualTo(claims.getString("jti"));
    assertThat(a.getString("iss")).isEqualTo(claims.getString("iss"));
    assertThat(a.getValue("aud")).isEqualTo(claims.getValue("aud"));
    assertThat(a.getLong("exp")).isEqualTo(claims.getLong("exp"));
    assertThat(a.getLong("iat")).isEqualTo(claims.getLong("iat"));

    JsonObject r = fx.introspect("web", webSecret, tokens.getString("refresh_token"));
    assertThat(r.getBoolean("active")).isTrue();
    assertThat(r.getString("client_id")).isEqualTo("web");
    assertThat(r.getString("sub")).isEqualTo(aliceId);
    assertThat(r.getString("token_type")).isEqualTo("refresh_token");
  }

  @Test
  void anotherClientsTokenIsExactlyInactiveUnlessTheCallerMayIntrospectAll() {
    JsonObject tokens = webTokens();

    for (String token :
        List.of(tokens.getString("access_token"), tokens.getString("refresh_token"))) {
      assertThat(fx.introspect("other", otherSecret, token))
          .isEqualTo(new JsonObject().put("active", false));
      JsonObject seen = fx.introspect("rs", rsSecret, token);
      assertThat(seen.getBoolean("active")).isTrue();
      assertThat(seen.getString("client_id")).isEqualTo("web");
      assertThat(seen.getString("sub")).isEqualTo(aliceId);
    }
  }

  @Test
  void malformedUnknownOrForgedTokensAreExactlyInactive() {
    String access = webTokens().getString("access_token");
    String[] parts = access.split("\\.");
    JsonObject forgedClaims = OAuthFixtures.claims(access).put("scope", "admin");
    String forged =
        parts[0]
            + "."
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(forgedClaims.encode().getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    for (String token :
        List.of(
            "garbage",
            "a.b",
            "a.b.c",
            "..",
            "AAAAAAAAAAAAAAAAAAAAAA.c2VjcmV0",
            forged,
            "x".repeat(8000))) {
      assertThat(fx.introspect("rs", rsSecret, token))
          .as(token.length() > 40 ? token.substring(0, 40) : token)
          .isEqualTo(new JsonObject().put("active", false));
    }
    assertError(fx.postForm("/introspect", "rs", rsSecret, Map.of()), 400, "invalid_request");
  }

  @Test
  void anExpiredAccessTokenIsInactive() {
    String access = webTokens().getString("access_token");
    assertThat(active(access)).isTrue();
    clock.advance(Duration.ofHours(1).plusSeconds(1));
    assertThat(active(access)).isFalse();
  }

  /**
   * Active JWT answers are cached in memory (IntrospectionCache); a revocation through this server
   * must still be seen by the very next introspection, by whichever verticle answers it.
   */
  @Test
  void aRevokedTokenIsInactiveAtOnceEvenRightAfterCachedActiveAnswers() {
    String access =
        json(fx.token(
                "svc", svcSecret, Map.of("grant_type", "client_credentials", "scope", "api.read")))
            .getString("access_token");
    for (int i = 0; i < 4; i++) {
      assertThat(fx.introspect("svc", svcSecret, access).getBoolean("active")).isTrue();
    }
    assertThat(fx.postForm("/revoke", "svc", svcSecret, Map.of("token", access)).statusCode())
        .isEqualTo(200);
    for (int i = 0; i < 4; i++) {
      assertThat(fx.introspect("svc", svcSecret, access))
          .isEqualTo(new JsonObject().put("active", false));
    }
  }

  // ---------------------------------------------------------------- single-use codes

  @Test
  void aCodePresentedTwiceIsRefusedAndRevokesWhatTheFirstUseIssued() throws Exception {
    Pkce pkce = Pkce.create();
    String code = fx.code(alice, "web", CB, SCOPE, pkce, "alice", PASSWORD);
    HttpResponse<String> first = fx.redeem("web", webSecret, code, CB, pkce);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    String access = json(first).getString("access_token");
    String refresh = json(first).getString("refresh_token");
    assertThat(active(access)).isTrue();

    HttpResponse<String> second = fx.redeem("web", webSecret, code, CB, pkce);

    assertError(second, 400, "invalid_grant");
    assertThat(active(access)).isFalse();
    assertThat(active(refresh)).isFalse();
    assertError(fx.refresh("web", webSecret, refresh, null), 400, "invalid_grant");
    assertThat(events(grantIdOf(code), "grant.authorization_code_replayed.v1")).hasSize(1);
    assertThat(
            events(grantIdOf(code), "grant.revoked.v1")
                .get(0)
                .getJsonObject("payload")
                .getString("reason"))
        .isEqualTo("code_replayed");
  }

  @Test
  void twoConcurrentRedemptionsOfOneCodeGiveOneToken() throws Exception {
    Pkce pkce = Pkce.create();
    String code = fx.code(alice, "web", CB, SCOPE, pkce, "alice", PASSWORD);
    CountDownLatch ready = new CountDownLatch(2);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    List<CompletableFuture<HttpResponse<String>>> both = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      both.add(
          CompletableFuture.supplyAsync(
              () -> {
                ready.countDown();
                try {
                  ready.await();
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
                return fx.redeem("web", webSecret, code, CB, pkce);
              },
              threads));
    }
    List<HttpResponse<String>> responses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : both) {
      responses.add(f.get());
    }
    threads.shutdown();

    assertThat(responses.stream().filter(r -> r.statusCode() == 200)).hasSize(1);
    assertThat(responses.stream().filter(r -> r.statusCode() != 200))
        .singleElement()
        .satisfies(r -> assertError(r, 400, "invalid_grant"));
    assertThat(events(grantIdOf(code), "grant.authorization_code_redeemed.v1")).hasSize(1);
  }

  @Test
  void aCodeCannotBeRedeemedByAnotherClient() throws Exception {
    Pkce pkce = Pkce.create();
    String code = fx.code(alice, "web", CB, SCOPE, pkce, "alice", PASSWORD);
    assertError(fx.redeem("other", otherSecret, code, CB, pkce), 400, "invalid_grant");
    HttpResponse<String> mine = fx.redeem("web", webSecret, code, CB, pkce);
    assertThat(mine.statusCode()).as(mine.body()).isEqualTo(200);
  }
}
