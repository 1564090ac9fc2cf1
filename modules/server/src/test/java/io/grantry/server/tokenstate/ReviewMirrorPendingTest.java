package io.grantry.server.tokenstate;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Review 6, H1: when the transactions the feed keeps as pending (running below its cursor) all
 * commit before its next read, and their events together exceed the read's limit (2,000), the
 * pending transactions after the cut are dropped from {@code pending} without being read. A
 * revocation in one of them is never applied: the mirror answers the revoked token active.
 */
class ReviewMirrorPendingTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  static String grantId() {
    byte[] r = new byte[12];
    RANDOM.nextBytes(r);
    return GrantTokens.newGrantId(System.currentTimeMillis(), r);
  }

  static Future insert(SqlClient c, List<GrantEvent> events) {
    List<Tuple> rows = new ArrayList<>();
    for (GrantEvent e : events) {
      JsonObject p = GrantEventCodec.INSTANCE.toJson(e);
      rows.add(
          Tuple.of(
              UUID.randomUUID(),
              "review6-" + UUID.randomUUID(),
              GrantEventCodec.INSTANCE.type(e),
              p));
    }
    return new Future(
        c.preparedQuery(
                "INSERT INTO events (event_id, stream_id, version, type, payload, metadata,"
                    + " recorded_at, prev_hash, hash) VALUES ($1, $2, 1, $3, $4, '{}'::jsonb,"
                    + " now(), '\\x00'::bytea, '\\x00'::bytea)")
            .executeBatch(rows));
  }

  /** A tiny holder so the helper reads as one line at each use. */
  record Future(io.vertx.core.Future<?> f) {
    void await() throws Exception {
      TestServer.await(f);
    }
  }

  static List<GrantEvent> issuances(int n, Instant now) {
    List<GrantEvent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String g = grantId();
      out.add(
          new ClientCredentialsIssued(
              g,
              "filler",
              GrantTokens.jti(g, "f" + i),
              Scopes.of("api"),
              now,
              now.plus(1, ChronoUnit.HOURS)));
    }
    return out;
  }

  /** Fails on mirror c00dc83: 1,200 + 900 events pending exceed the read's limit of 2,000. */
  @Test
  void aRevocationInAPendingTransactionAfterTheCutIsApplied() throws Exception {
    pendingThenRevoked(1200, 900);
  }

  /** The control: the same history with small pending transactions passes on mirror c00dc83. */
  @Test
  void controlWithSmallPendingTransactions() throws Exception {
    pendingThenRevoked(10, 10);
  }

  void pendingThenRevoked(int first, int second) throws Exception {
    try (TestServer s = TestServer.start(Map.of("GRANTRY_INTROSPECTION_CACHE_MS", "1000"))) {
      AccessTokenMirror mirror = s.server.resources().accessTokenMirror();
      Pool pool = PgBuilder.pool().connectingTo(s.db.connectOptions()).using(s.vertx).build();
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      String g = grantId();
      String jti = GrantTokens.jti(g, "victim");
      insert(
              pool,
              List.of(
                  new ClientCredentialsIssued(
                      g, "victim", jti, Scopes.of("api"), now, now.plus(1, ChronoUnit.HOURS))))
          .await();
      MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
      assertThat(mirror.find(jti)).isNotNull();
      assertThat(mirror.find(jti).activeAt(Instant.now())).isTrue();

      SqlConnection c1 = await(pool.getConnection());
      SqlConnection c2 = await(pool.getConnection());
      SqlConnection c3 = await(pool.getConnection());
      try {
        for (SqlConnection c : List.of(c1, c2, c3)) {
          await(c.query("BEGIN").execute());
        }
        // Txids in this order: c1 < c2 < c3 (assigned at the first write).
        insert(c1, issuances(first, now)).await();
        insert(c2, issuances(second, now)).await();
        insert(c3, List.of(new AccessTokenRevoked(g, jti, "review6", now))).await();
        // A later transaction commits: the feed's cursor passes all three, which are pending.
        insert(pool, issuances(1, now)).await();
        MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
        // All three commit before the next read (the feed reads every 200 ms).
        for (SqlConnection c : List.of(c1, c2, c3)) {
          await(c.query("COMMIT").execute());
        }
        long committed = System.nanoTime();
        MirrorWaits.awaitCaughtUp(mirror, committed);
        // Give the feed a few more rounds (no new commit is needed for a correct one).
        MirrorWaits.awaitCaughtUp(mirror, System.nanoTime());
        AccessTokenFacts f = mirror.find(jti);
        assertThat(f).as("the mirror holds the token").isNotNull();
        assertThat(f.activeAt(Instant.now()))
            .as("revoked in a committed transaction the feed has caught up with")
            .isFalse();
      } finally {
        c1.close();
        c2.close();
        c3.close();
        await(pool.close());
      }
    }
  }
}
