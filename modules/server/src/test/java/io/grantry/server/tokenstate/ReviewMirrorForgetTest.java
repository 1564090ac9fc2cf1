package io.grantry.server.tokenstate;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Review 6, L1 and L2: what the mirror remembers of revocations. L1: while the feed does not follow
 * the ledger, the revocations made through the instance were remembered for as long as that lasted.
 * L2: a token made by a token exchange that commits after the mirror has forgotten the revocation
 * of the grant it was exchanged from was answered active from memory.
 */
class ReviewMirrorForgetTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String AT = "urn:ietf:params:oauth:token-type:access_token";

  static JsonObject ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static List<String> revokeSome(OAuthFixtures fx, String client, String secret, int n) {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String at =
          ok(fx.token(client, secret, Map.of("grant_type", "client_credentials", "scope", "api")))
              .getString("access_token");
      assertThat(fx.postForm("/revoke", client, secret, Map.of("token", at)).statusCode())
          .isEqualTo(200);
      tokens.add(at);
    }
    return tokens;
  }

  /** L1: a mirror that stopped for good (an event it could not read) remembers nothing more. */
  @Test
  void aBrokenMirrorRemembersNoRevocations() throws Exception {
    try (TestServer s = TestServer.start()) {
      OAuthFixtures fx = new OAuthFixtures(s);
      String secret = fx.confidentialClient("loop", CB, "api", "client_credentials");
      AccessTokenMirror mirror = s.server.resources().accessTokenMirror();
      MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
      mirror.broken("a test");
      List<String> revoked = revokeSome(fx, "loop", secret, 5);
      assertThat(mirror.revocationsHeld()).isZero();
      for (String at : revoked) {
        assertThat(fx.introspect("loop", secret, at).getBoolean("active")).isFalse();
      }
    }
  }

  /**
   * L1: a feed whose catch-up keeps failing for longer than revocations are remembered (a minute,
   * on the mirror's clock, which the test moves on) starts afresh: it forgets them and loads again
   * (the load's snapshot holds them). Here the catch-up waits behind a lock on the ledger, its
   * connection is ended, and the new load, which does not read the ledger, completes while the lock
   * is still held.
   */
  @Test
  void aFeedFailingLongerThanAMinuteForgetsAndLoadsAgain() throws Exception {
    try (TestServer s = TestServer.start()) {
      OAuthFixtures fx = new OAuthFixtures(s);
      String secret = fx.confidentialClient("loop", CB, "api", "client_credentials");
      AccessTokenMirror mirror = s.server.resources().accessTokenMirror();
      AtomicLong ahead = new AtomicLong();
      mirror.useNanoClock(() -> System.nanoTime() + ahead.get());
      MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
      List<String> revoked = revokeSome(fx, "loop", secret, 3);
      assertThat(mirror.revocationsHeld()).isGreaterThanOrEqualTo(3);
      Pool pool = PgBuilder.pool().connectingTo(s.db.connectOptions()).using(s.vertx).build();
      SqlConnection lock = await(pool.getConnection());
      try {
        await(lock.query("BEGIN").execute());
        await(lock.query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE").execute());
        // The feed's next read waits for the lock (it reads every 100 ms).
        String waiting =
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
                + " AND query LIKE '%pg_snapshot_xip(pg_current_snapshot())%'";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Row> feed = s.query(waiting);
        while (feed.isEmpty()) {
          assertThat(System.nanoTime() - deadline).as("the feed never waited").isNegative();
          Thread.onSpinWait();
          feed = s.query(waiting);
        }
        ahead.addAndGet(AccessTokenMirror.FORGET_AFTER_NANOS + TimeUnit.SECONDS.toNanos(1));
        long killed = System.nanoTime();
        s.query("SELECT pg_terminate_backend($1)", feed.get(0).getInteger("pid"));
        MirrorWaits.awaitCaughtUp(mirror, killed);
        assertThat(mirror.revocationsHeld()).as("forgotten with the new load").isZero();
        for (String at : revoked) {
          assertThat(mirror.held(OAuthFixtures.claims(at).getString("jti")).activeAt(Instant.now()))
              .as("loaded revoked")
              .isFalse();
        }
      } finally {
        await(lock.query("ROLLBACK").execute());
        await(lock.close());
        await(pool.close());
      }
    }
  }

  /**
   * L2: a token exchange decided before its subject grant's revocation may commit after it, and
   * after the mirror has forgotten that revocation (a minute later, or before this mirror's load).
   * Its issuance applied then (a new mirror stands for one that forgot) must not answer active
   * where the database path, which walks the chain, says inactive: the mirror does not take such
   * tokens, the database answers them.
   */
  @Test
  void anExchangedTokenCommittedAfterItsGrantsRevocationIsForgottenIsNotActive() throws Exception {
    try (TestServer s = TestServer.start()) {
      OAuthFixtures fx = new OAuthFixtures(s);
      String web =
          fx.admin(
                  "POST",
                  "/admin/clients",
                  new JsonObject()
                      .put("client_id", "web")
                      .put("client_name", "Test web")
                      .put("token_endpoint_auth_method", "client_secret_basic")
                      .put("redirect_uris", new JsonArray().add(CB))
                      .put(
                          "grant_types",
                          new JsonArray()
                              .add("authorization_code")
                              .add("refresh_token")
                              .add(EXCHANGE))
                      .put("scope", "openid offline_access api")
                      .put("token_exchange_audiences", new JsonArray().add("svc")))
              .getString("client_secret");
      fx.confidentialClient("svc", CB, "api", "client_credentials");
      fx.user("alice", PASSWORD);
      JsonObject alice =
          fx.tokens(fx.browser(), "web", web, CB, "openid offline_access api", "alice", PASSWORD);
      String exchanged =
          ok(fx.token(
                  "web",
                  web,
                  Map.of(
                      "grant_type",
                      EXCHANGE,
                      "subject_token",
                      alice.getString("access_token"),
                      "subject_token_type",
                      AT,
                      "audience",
                      "svc")))
              .getString("access_token");
      String jti = OAuthFixtures.claims(exchanged).getString("jti");
      assertThat(
              fx.postForm("/revoke", "web", web, Map.of("token", alice.getString("refresh_token")))
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              await(new TokenState(s.server.resources().pool()).accessToken(jti))
                  .orElseThrow()
                  .activeAt(Instant.now()))
          .as("the database path says")
          .isFalse();

      // The exchange's event as the feed reads it, applied by a mirror that knows of no revocation.
      Row event =
          s.query(
                  "SELECT txid, type, payload::text AS payload FROM events WHERE type = $1",
                  TokenExchanged.TYPE)
              .get(0);
      AccessTokenMirror forgot =
          new AccessTokenMirror(
              Duration.ofMillis(500), 1000, Clock.systemUTC(), new SimpleMeterRegistry());
      forgot.apply(
          event.getLong("txid"),
          TokenChange.of(
              GrantEventCodec.INSTANCE.fromJson(
                  event.getString("type"), new JsonObject(event.getString("payload")))),
          forgot.nanoTime());
      forgot.caughtUp(forgot.nanoTime());
      AccessTokenFacts answer = forgot.find(jti);
      assertThat(
              answer == null ? "the database answers" : "active: " + answer.activeAt(Instant.now()))
          .isIn("the database answers", "active: false");

      // And the server's own mirror does not hold it either.
      AccessTokenMirror mirror = s.server.resources().accessTokenMirror();
      MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
      assertThat(mirror.held(jti)).isNull();
      assertThat(fx.introspect("web", web, exchanged).getBoolean("active")).isFalse();
    }
  }
}
