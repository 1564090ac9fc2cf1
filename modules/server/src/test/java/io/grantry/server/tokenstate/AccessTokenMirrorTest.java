package io.grantry.server.tokenstate;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The in-memory mirror of the access tokens ({@link AccessTokenMirror}) answers as the token-state
 * projection does, on the instance a change was made through and on another one; it stops answering
 * when it cannot prove it has caught up; it holds no more than its bound.
 */
class AccessTokenMirrorTest {
  static final String CB = "https://app.example.test/cb";
  static final String PASSWORD = "a long enough password";
  static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String AT_TYPE = "urn:ietf:params:oauth:token-type:access_token";

  static TestServer a;
  static TestServer b;

  /** A third instance whose mirror holds at most {@link #SMALL} tokens: it never issues. */
  static TestServer c;

  static final int SMALL = 4;
  static final Map<String, String> secrets = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    TestDatabase db = TestDatabase.fresh();
    Map<String, String> shared = TestServer.sharedSecrets();
    a = TestServer.startOn(db, shared, Clock.systemUTC());
    b = TestServer.startOn(db, shared, Clock.systemUTC());
    Map<String, String> small = new LinkedHashMap<>(shared);
    small.put("GRANTRY_INTROSPECTION_MIRROR_MAX", String.valueOf(SMALL));
    c = TestServer.startOn(db, small, Clock.systemUTC());
    OAuthFixtures fx = new OAuthFixtures(a);
    register(fx, "web", new JsonObject());
    register(fx, "web-opaque", new JsonObject().put("access_token_format", "opaque"));
    fx.admin(
        "POST",
        "/admin/clients",
        new JsonObject()
            .put("client_id", "svc")
            .put("client_name", "Test svc")
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("grant_types", new JsonArray().add("client_credentials"))
            .put("scope", "api"));
    fx.user("sam", PASSWORD);
  }

  static void register(OAuthFixtures fx, String id, JsonObject body) {
    body.put("client_id", id)
        .put("client_name", "Test " + id)
        .put("token_endpoint_auth_method", "client_secret_basic")
        .put("redirect_uris", new JsonArray().add(CB))
        .put(
            "grant_types",
            new JsonArray()
                .add("authorization_code")
                .add("refresh_token")
                .add("client_credentials")
                .add(EXCHANGE))
        .put("scope", "openid offline_access api")
        .put("token_exchange_audiences", new JsonArray().add("svc"));
    secrets.put(id, fx.admin("POST", "/admin/clients", body).getString("client_secret"));
  }

  @AfterAll
  static void stop() throws Exception {
    c.close();
    b.close();
    a.close();
  }

  static AccessTokenMirror mirror(TestServer s) {
    return s.server.resources().accessTokenMirror();
  }

  static String jti(String accessToken) {
    return GrantTokens.opaqueJtiOf(accessToken)
        .orElseGet(() -> OAuthFixtures.claims(accessToken).getString("jti"));
  }

  /** The token as the projection has it (the database path). */
  static Optional<TokenState.Token> fromDatabase(String jti) throws Exception {
    return await(new TokenState(a.server.resources().pool()).accessToken(jti));
  }

  static void assertSame(AccessTokenFacts m, TokenState.Token d, Instant now, String what) {
    assertThat(m.activeAt(now)).as(what + ": active").isEqualTo(d.activeAt(now));
    assertThat(m.clientId()).as(what + ": client").isEqualTo(d.clientId());
    assertThat(m.subject()).as(what + ": subject").isEqualTo(d.subject());
    assertThat(m.scope()).as(what + ": scope").isEqualTo(d.scope());
    assertThat(m.issuedAt()).as(what + ": iat").isEqualTo(d.issuedAt());
    assertThat(m.expiresAt()).as(what + ": exp").isEqualTo(d.expiresAt());
    assertThat(m.act()).as(what + ": act").isEqualTo(d.act());
    assertThat(m.audience()).as(what + ": aud").isEqualTo(d.audience());
    assertThat(m.tokenHash()).as(what + ": the JWT's recorded hash").isEqualTo(d.tokenHash());
  }

  /** A random history made through two instances. */
  static final class History {
    final Random random;
    final List<String> accessTokens = new ArrayList<>();
    final List<String> refreshTokens = new ArrayList<>();
    final List<String> rotatedRefreshTokens = new ArrayList<>();
    final List<String> userAccessTokens = new ArrayList<>();
    final Map<String, String> clientOf = new LinkedHashMap<>();

    /** The access tokens made by a token exchange (never held: review 6, L2). */
    final List<String> exchangedTokens = new ArrayList<>();

    /** Where each user token was issued: its {@code iss}, which an exchange must match. */
    final Map<String, TestServer> issuerOf = new LinkedHashMap<>();

    final Map<String, OAuthFixtures.Browser> browsers = new LinkedHashMap<>();
    final List<String> log = new ArrayList<>();
    int exchanged;

    History(long seed) {
      this.random = new Random(seed);
    }

    <T> T pick(List<T> from) {
      return from.get(random.nextInt(from.size()));
    }

    static JsonObject ok(HttpResponse<String> r, String what) {
      assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(200);
      return new JsonObject(r.body());
    }

    String issued(List<String> to, String token, String client) {
      to.add(token);
      clientOf.put(token, client);
      return token;
    }

    /** One random step through a random instance (none when there is nothing to act on yet). */
    void step() throws Exception {
      TestServer server = random.nextBoolean() ? a : b;
      OAuthFixtures on = new OAuthFixtures(server);
      String client = random.nextBoolean() ? "web" : "web-opaque";
      String secret = secrets.get(client);
      switch (random.nextInt(8)) {
        case 0, 1 -> {
          log.add("client_credentials");
          issued(
              accessTokens,
              ok(
                      on.token(
                          client,
                          secret,
                          Map.of("grant_type", "client_credentials", "scope", "api")),
                      "client_credentials")
                  .getString("access_token"),
              client);
        }
        case 2 -> {
          log.add("code flow");
          // One browser per instance: signed in and the consent remembered after the first flow.
          OAuthFixtures.Browser browser =
              browsers.computeIfAbsent(client + server.port, k -> on.browser());
          JsonObject t =
              on.tokens(browser, client, secret, CB, "openid offline_access api", "sam", PASSWORD);
          issued(accessTokens, t.getString("access_token"), client);
          userAccessTokens.add(t.getString("access_token"));
          issuerOf.put(t.getString("access_token"), server);
          issued(refreshTokens, t.getString("refresh_token"), client);
        }
        case 3 -> {
          if (refreshTokens.isEmpty()) {
            return;
          }
          String rt = pick(refreshTokens);
          String c = clientOf.get(rt);
          log.add("refresh");
          HttpResponse<String> r = on.refresh(c, secrets.get(c), rt, null);
          if (r.statusCode() == 200) {
            JsonObject t = new JsonObject(r.body());
            refreshTokens.remove(rt);
            rotatedRefreshTokens.add(rt);
            issued(refreshTokens, t.getString("refresh_token"), c);
            issued(accessTokens, t.getString("access_token"), c);
            userAccessTokens.add(t.getString("access_token"));
            issuerOf.put(t.getString("access_token"), server);
          }
        }
        case 4 -> {
          if (rotatedRefreshTokens.isEmpty()) {
            return;
          }
          String rt = pick(rotatedRefreshTokens);
          String c = clientOf.get(rt);
          log.add("reuse");
          // A rotated token again: reuse, the whole grant is revoked.
          assertThat(on.refresh(c, secrets.get(c), rt, null).statusCode()).isEqualTo(400);
        }
        case 5 -> {
          if (accessTokens.isEmpty()) {
            return;
          }
          log.add("revoke an access token");
          revoke(server, pick(accessTokens));
        }
        case 6 -> {
          if (refreshTokens.isEmpty()) {
            return;
          }
          log.add("revoke a grant");
          revoke(server, pick(refreshTokens));
        }
        default -> {
          if (userAccessTokens.isEmpty()) {
            return;
          }
          String subject = pick(userAccessTokens);
          String by = clientOf.get(subject);
          // Exchanged where it was issued: each test instance is an issuer of its own.
          TestServer issuer = issuerOf.get(subject);
          log.add("exchange");
          HttpResponse<String> r =
              new OAuthFixtures(issuer)
                  .token(
                      by,
                      secrets.get(by),
                      Map.of(
                          "grant_type",
                          EXCHANGE,
                          "subject_token",
                          subject,
                          "subject_token_type",
                          AT_TYPE,
                          "audience",
                          "svc"));
          // A subject token no longer active is refused: nothing issued.
          if (r.statusCode() == 200) {
            String t = new JsonObject(r.body()).getString("access_token");
            issued(accessTokens, t, by);
            exchangedTokens.add(t);
            userAccessTokens.add(t);
            issuerOf.put(t, issuer);
            exchanged++;
          } else {
            log.add("(refused: " + r.body() + ")");
          }
        }
      }
    }

    /**
     * Revokes {@code token} through {@code server}: that instance's mirror sees it at once (its
     * answer, when it has one, is no longer active).
     */
    void revoke(TestServer server, String token) throws Exception {
      String client = clientOf.get(token);
      // Only a live token's revocation appends anything (one already revoked, perhaps through the
      // other instance, whose change this one may not have seen yet, is answered 200 alone).
      boolean live =
          accessTokens.contains(token)
              && fromDatabase(jti(token)).map(t -> t.activeAt(Instant.now())).orElse(false);
      HttpResponse<String> r =
          new OAuthFixtures(server)
              .postForm("/revoke", client, secrets.get(client), Map.of("token", token));
      assertThat(r.statusCode()).isEqualTo(200);
      if (live) {
        AccessTokenFacts f = mirror(server).find(jti(token));
        if (f != null) {
          assertThat(f.activeAt(Instant.now()))
              .as("revoked through this instance after " + log)
              .isFalse();
        }
      }
    }
  }

  /**
   * After random histories of client_credentials tokens, code flows, rotations, reuse, revocations
   * of access tokens and of grants, and token exchanges (whose tokens die with the grants they came
   * from), made through either of two instances, each instance's mirror, once caught up, says of
   * every token it holds exactly what the projection says. The two unbounded mirrors hold every
   * token but those made by a token exchange (the database answers those: review 6, L2); the third
   * instance's mirror, bounded to {@link #SMALL} under many more live tokens, holds no more than
   * that, and those that expire last: every token it does not hold expires no later (to its
   * one-second buckets) than every one it holds.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void afterAnyHistoryTheMirrorAnswersAsTheDatabase(long seed) throws Exception {
    History h = new History(seed);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 15; i++) {
        h.step();
      }
      long after = System.nanoTime();
      for (TestServer s : List.of(a, b, c)) {
        MirrorWaits.awaitCaughtUp(mirror(s), after);
      }
      Instant now = Instant.now();
      long earliestHeld = mirror(c).earliestHeldSecond();
      int notHeldByC = 0;
      for (String at : h.accessTokens) {
        String jti = jti(at);
        TokenState.Token d = fromDatabase(jti).orElseThrow();
        boolean exchanged = h.exchangedTokens.contains(at);
        for (TestServer s : List.of(a, b, c)) {
          String what = "seed " + seed + " after " + h.log + ", " + jti + " on " + s.port;
          AccessTokenFacts m = mirror(s).held(jti);
          if (m != null) {
            assertThat(exchanged).as(what + ": an exchanged token held").isFalse();
            assertSame(m, d, now, what);
          } else if (s != c) {
            assertThat(exchanged).as(what + ": held").isTrue();
          } else if (!exchanged && d.expiresAt().isAfter(now)) {
            notHeldByC++;
            assertThat(AccessTokenMirror.expirySecond(LedgerCopy.pgMicros(d.expiresAt())))
                .as(what + ": not held, so it expires no later than every token held")
                .isLessThanOrEqualTo(earliestHeld);
          }
        }
      }
      assertThat(mirror(c).size()).as("the bounded mirror").isLessThanOrEqualTo(SMALL);
      if (h.accessTokens.size() - h.exchangedTokens.size() > SMALL) {
        assertThat(mirror(c).size()).as("the bounded mirror is full").isEqualTo(SMALL);
        assertThat(notHeldByC).isPositive();
      }
    }
    assertThat(h.exchanged).as("exchanged tokens in " + h.log).isPositive();
  }

  static String clientCredentials(TestServer server, String client) {
    return History.ok(
            new OAuthFixtures(server)
                .token(
                    client,
                    secrets.get(client),
                    Map.of("grant_type", "client_credentials", "scope", "api")),
            "client_credentials")
        .getString("access_token");
  }

  /**
   * A feed that cannot read the ledger (every read waits behind a lock) leaves the mirror stale
   * once the bound has passed: answers come from the database again. The change made here behind
   * the ledger's back (the projection's row revoked with no event) is one the mirror can never see:
   * only the database path answers "inactive". The bound's time is the mirror's clock, which the
   * test moves on instead of waiting.
   */
  @Test
  void aStalledFeedHandsTheAnswersBackToTheDatabase() throws Exception {
    try (TestServer s = TestServer.start()) {
      OAuthFixtures on = new OAuthFixtures(s);
      String secret = on.confidentialClient("stalled", CB, "api", "client_credentials");
      String at =
          History.ok(
                  on.token(
                      "stalled",
                      secret,
                      Map.of("grant_type", "client_credentials", "scope", "api")),
                  "client_credentials")
              .getString("access_token");
      String jti = jti(at);
      AccessTokenMirror mirror = mirror(s);
      AtomicLong ahead = new AtomicLong();
      mirror.useNanoClock(() -> System.nanoTime() + ahead.get());
      assertThat(MirrorWaits.caughtUp(mirror, jti, System.nanoTime()).activeAt(Instant.now()))
          .isTrue();
      Pool pool = PgBuilder.pool().connectingTo(s.db.connectOptions()).using(s.vertx).build();
      SqlConnection lock = await(pool.getConnection());
      try {
        await(lock.query("BEGIN").execute());
        await(lock.query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE").execute());
        await(
            pool.preparedQuery("UPDATE access_tokens SET revoked_at = now() WHERE jti = $1")
                .execute(Tuple.of(jti)));
        // Every read from now on waits for the lock: no catch-up completes after this point.
        ahead.addAndGet(TimeUnit.MILLISECONDS.toNanos(500) + 1);
        assertThat(mirror.find(jti)).as("a stale mirror does not answer").isNull();
        assertThat(on.introspect("stalled", secret, at).getBoolean("active"))
            .as("the database answers")
            .isFalse();
      } finally {
        await(lock.query("ROLLBACK").execute());
        await(lock.close());
        await(pool.close());
      }
    }
  }

  /**
   * With GRANTRY_INTROSPECTION_MIRROR_MAX the mirror holds that many tokens, those that expire last
   * (here the newest: one lifetime, issued seconds apart on the server's clock), both as they are
   * issued and after a restart's load; the others are read from the database, revocations included.
   */
  @Test
  void theMirrorHoldsTheNewestTokensUpToItsBound() throws Exception {
    Map<String, String> settings = new LinkedHashMap<>(TestServer.sharedSecrets());
    settings.put("GRANTRY_INTROSPECTION_MIRROR_MAX", "3");
    MutableClock clock = new MutableClock();
    try (TestServer s = TestServer.start(settings, clock)) {
      OAuthFixtures fx = new OAuthFixtures(s);
      String secret = fx.confidentialClient("bounded", CB, "api", "client_credentials");
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        clock.advance(Duration.ofSeconds(2));
        tokens.add(
            History.ok(
                    fx.token(
                        "bounded",
                        secret,
                        Map.of("grant_type", "client_credentials", "scope", "api")),
                    "client_credentials")
                .getString("access_token"));
      }
      AccessTokenMirror mirror = mirror(s);
      MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
      assertThat(mirror.size()).isEqualTo(3);
      for (int i = 0; i < 6; i++) {
        assertThat(mirror.held(jti(tokens.get(i))) != null)
            .as("token " + i + " of 6 held")
            .isEqualTo(i >= 3);
        assertThat(fx.introspect("bounded", secret, tokens.get(i)).getBoolean("active")).isTrue();
      }
      String notHeld = tokens.get(1);
      assertThat(fx.postForm("/revoke", "bounded", secret, Map.of("token", notHeld)).statusCode())
          .isEqualTo(200);
      assertThat(fx.introspect("bounded", secret, notHeld).getBoolean("active")).isFalse();

      // Another instance starting on this ledger loads the three that expire last.
      try (TestServer other = TestServer.startOn(s.db, settings, clock)) {
        AccessTokenMirror loaded = mirror(other);
        MirrorWaits.awaitCaughtUp(loaded, System.nanoTime());
        assertThat(loaded.size()).isEqualTo(3);
        for (int i = 0; i < 6; i++) {
          assertThat(loaded.held(jti(tokens.get(i))) != null)
              .as("token " + i + " of 6 loaded")
              .isEqualTo(i >= 3);
        }
        // A newer one still goes in, in place of one that expires first.
        clock.advance(Duration.ofSeconds(2));
        String newest =
            History.ok(
                    new OAuthFixtures(other)
                        .token(
                            "bounded",
                            secret,
                            Map.of("grant_type", "client_credentials", "scope", "api")),
                    "client_credentials")
                .getString("access_token");
        MirrorWaits.awaitCaughtUp(loaded, System.nanoTime());
        assertThat(loaded.size()).isEqualTo(3);
        assertThat(loaded.held(jti(newest))).isNotNull();
        assertThat(loaded.held(jti(tokens.get(3)))).as("the one expiring first").isNull();
        assertThat(fx.introspect("bounded", secret, tokens.get(3)).getBoolean("active")).isTrue();
      }
    }
  }

  /**
   * A JWT answered from memory is still checked to be the one we issued (its recorded hash, else
   * its signature): the same jti with changed claims and the original signature, or unsigned, is
   * inactive while the token itself is active from the mirror.
   */
  @Test
  void aForgedJwtNamingAMirroredJtiIsInactive() throws Exception {
    String at = clientCredentials(a, "web");
    String jti = jti(at);
    MirrorWaits.caughtUp(mirror(a), jti, System.nanoTime());
    OAuthFixtures on = new OAuthFixtures(a);
    assertThat(on.introspect("web", secrets.get("web"), at).getBoolean("active")).isTrue();
    String[] parts = at.split("\\.");
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    JsonObject claims = OAuthFixtures.claims(at).put("scope", "api admin");
    String changed =
        parts[0]
            + "."
            + b64.encodeToString(claims.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8))
            + "."
            + parts[2];
    JsonObject header =
        new JsonObject(
                new String(
                    java.util.Base64.getUrlDecoder().decode(parts[0]),
                    java.nio.charset.StandardCharsets.UTF_8))
            .put("alg", "none");
    String unsigned =
        b64.encodeToString(header.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8))
            + "."
            + parts[1]
            + ".";
    for (String forged :
        List.of(changed, unsigned, parts[0] + "." + parts[1] + "." + parts[2].substring(1) + "A")) {
      assertThat(mirror(a).find(jti)).as("the mirror holds the jti").isNotNull();
      assertThat(on.introspect("web", secrets.get("web"), forged).getBoolean("active"))
          .as(forged)
          .isFalse();
    }
  }
}
