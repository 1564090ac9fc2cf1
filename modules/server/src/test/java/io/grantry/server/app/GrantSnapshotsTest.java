package io.grantry.server.app;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantSnapshotCodec;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Grant-state snapshots on a real server whose grant cache is off, so that every refresh loads its
 * grant from the database: a snapshot is written with every fourth event, it equals the fold of the
 * stream up to its version, loads start from it, and a missing, older or unreadable one only makes
 * the load fold more events (refreshes and reuse detection answer as without snapshots).
 */
class GrantSnapshotsTest {
  static final String CB = "https://app.example/cb";
  static final String SCOPE = "openid offline_access";
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of("GRANTRY_GRANT_CACHE_ENTRIES", "0", "GRANTRY_GRANT_SNAPSHOT_EVERY", "4"));
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("web", CB, SCOPE);
    fx.user("alice", "correct horse battery");
  }

  @AfterAll
  static void stop() throws Exception {
    if (store != null) {
      await(store.close());
    }
    server.close();
  }

  /** An event store of the test's own on the server's database, for loads outside requests. */
  static EventStore store;

  private static Pool pool() {
    if (store == null) {
      store =
          EventStore.create(
              server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
    }
    return store.pool();
  }

  /** A new grant refreshed {@code n} times: its refresh tokens, the first one first. */
  private static List<String> chain(int n) {
    List<String> tokens = new ArrayList<>();
    tokens.add(
        fx.tokens(fx.browser(), "web", secret, CB, SCOPE, "alice", "correct horse battery")
            .getString("refresh_token"));
    for (int i = 0; i < n; i++) {
      tokens.add(refreshed(tokens.get(tokens.size() - 1)));
    }
    return tokens;
  }

  private static String refreshed(String token) {
    HttpResponse<String> r = fx.refresh("web", secret, token, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("refresh_token");
  }

  private static String stream(String token) {
    return GrantTokens.streamId(GrantTokens.grantIdOf(token).orElseThrow());
  }

  private static Row snapshot(String stream) throws Exception {
    List<Row> rows =
        server.query("SELECT version, state FROM grant_snapshots WHERE stream_id = $1", stream);
    return rows.isEmpty() ? null : rows.get(0);
  }

  /** The fold of the stream's first {@code upTo} events, read from the ledger. */
  private static GrantState fold(String stream, long upTo) throws Exception {
    List<GrantEvent> events = new ArrayList<>();
    for (Row r :
        server.query(
            "SELECT type, payload FROM events WHERE stream_id = $1 AND version <= $2 ORDER BY version",
            stream,
            upTo)) {
      events.add(
          GrantEventCodec.INSTANCE.fromJson(
              r.getString("type"), new JsonObject(r.getValue("payload").toString())));
    }
    return GrantDecider.replay(events);
  }

  @Test
  void everyFourthEventWritesASnapshotThatIsTheFoldUpToItsVersion() throws Exception {
    List<String> tokens = chain(9); // issued, redeemed, 9 rotations: versions 1 to 11
    String stream = stream(tokens.get(0));
    Row row = snapshot(stream);
    assertThat(row).isNotNull();
    assertThat(row.getLong("version")).isEqualTo(8);
    assertThat(GrantSnapshotCodec.decode(row.getBuffer("state").getBytes()))
        .contains(fold(stream, 8));
    refreshed(tokens.get(9)); // version 12
    assertThat(snapshot(stream).getLong("version")).isEqualTo(12);
    assertThat(GrantSnapshotCodec.decode(snapshot(stream).getBuffer("state").getBytes()))
        .contains(fold(stream, 12));
  }

  @Test
  void aLoadStartsFromTheSnapshot() throws Exception {
    List<String> tokens = chain(6); // versions 1 to 8, a snapshot at 8
    String stream = stream(tokens.get(0));
    Row row = snapshot(stream);
    assertThat(row.getLong("version")).isEqualTo(8);
    // A doctored snapshot at the stream's version, saying the grant was revoked: if the refresh
    // reads it, it is refused; the ledger says the grant is active.
    GrantState state = GrantSnapshotCodec.decode(row.getBuffer("state").getBytes()).orElseThrow();
    byte[] revoked =
        GrantSnapshotCodec.encode(
            new GrantState.Revoked(state, RevocationReason.ADMIN, "test", Instant.now()));
    server.query(
        "UPDATE grant_snapshots SET state = $2 WHERE stream_id = $1",
        stream,
        Buffer.buffer(revoked));
    assertThat(fx.refresh("web", secret, tokens.get(6), null).statusCode()).isEqualTo(400);
    // Without it the same token refreshes: the whole stream is folded.
    server.query("DELETE FROM grant_snapshots WHERE stream_id = $1", stream);
    refreshed(tokens.get(6));
  }

  @Test
  void anUnreadableOrOlderSnapshotOnlyMeansMoreEventsToFold() throws Exception {
    List<String> tokens = chain(10); // versions 1 to 12, snapshots at 4, 8, 12
    String stream = stream(tokens.get(0));
    byte[] atTwelve = snapshot(stream).getBuffer("state").getBytes();
    // Another format (a snapshot of a newer or older server): ignored.
    byte[] other = atTwelve.clone();
    other[0] = (byte) 99;
    server.query(
        "UPDATE grant_snapshots SET state = $2 WHERE stream_id = $1", stream, Buffer.buffer(other));
    String next = refreshed(tokens.get(10)); // version 13
    // An older snapshot (version 4): the events after it are folded on.
    GrantState atFour = fold(stream, 4);
    server.query(
        "UPDATE grant_snapshots SET version = 4, state = $2 WHERE stream_id = $1",
        stream,
        Buffer.buffer(GrantSnapshotCodec.encode(atFour)));
    String after = refreshed(next); // version 14
    // Reuse of a rotated token is still reuse: the grant is revoked, its current token dead.
    HttpResponse<String> reuse = fx.refresh("web", secret, tokens.get(3), null);
    assertThat(reuse.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(reuse.body()).getString("error")).isEqualTo("invalid_grant");
    assertThat(fx.refresh("web", secret, after, null).statusCode()).isEqualTo(400);
    assertThat(fx.introspect("web", secret, after).getBoolean("active")).isFalse();
    assertThat(fold(stream, Long.MAX_VALUE)).isInstanceOf(GrantState.Revoked.class);
  }

  /**
   * The load's one statement against the ledger, for histories made through the API (plain
   * rotations, a narrowed scope, reuse that revokes the grant, the refresh token revoked by its
   * client): with the stream's snapshot at each version k in turn (and with none), the load is the
   * fold of the whole stream at its last version. A load that drops, repeats or reorders events
   * after the snapshot, or stops at the snapshot, differs from it for some k.
   */
  @Test
  void aLoadFromASnapshotAtAnyVersionAndTheEventsAfterItIsTheFullFold() throws Exception {
    List<String> streams = new ArrayList<>();
    streams.add(stream(chain(0).get(0)));
    List<String> narrowed = chain(3);
    HttpResponse<String> r = fx.refresh("web", secret, narrowed.get(3), "openid");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    refreshed(new JsonObject(r.body()).getString("refresh_token"));
    streams.add(stream(narrowed.get(0)));
    List<String> reused = chain(13);
    assertThat(fx.refresh("web", secret, reused.get(5), null).statusCode()).isEqualTo(400);
    streams.add(stream(reused.get(0)));
    List<String> revoked = chain(2);
    assertThat(
            fx.postForm(
                    "/revoke",
                    "web",
                    secret,
                    Map.of("token", revoked.get(2), "token_type_hint", "refresh_token"))
                .statusCode())
        .isEqualTo(200);
    streams.add(stream(revoked.get(0)));

    Pool pool = pool();
    Aggregate<GrantState, GrantEvent> grants =
        new Aggregate<>(store, GrantEventCodec.INSTANCE, GrantState.initial(), GrantDecider::evolve)
            .withSnapshots(OAuthServices.grantSnapshots(pool, server.server.config().caches()));
    for (String stream : streams) {
      long last =
          server
              .query("SELECT max(version) FROM events WHERE stream_id = $1", stream)
              .get(0)
              .getLong(0);
      Aggregate.Loaded<GrantState> ledger = new Aggregate.Loaded<>(fold(stream, last), last);
      for (long k = 0; k <= last; k++) {
        if (k == 0) {
          server.query("DELETE FROM grant_snapshots WHERE stream_id = $1", stream);
        } else {
          server.query(
              "INSERT INTO grant_snapshots (stream_id, version, state) VALUES ($1, $2, $3)"
                  + " ON CONFLICT (stream_id) DO UPDATE SET version = $2, state = $3",
              stream,
              k,
              Buffer.buffer(GrantSnapshotCodec.encode(fold(stream, k))));
        }
        assertThat(await(grants.load(stream)))
            .as("%s loaded with its snapshot at %d of %d", stream, k, last)
            .isEqualTo(ledger);
      }
    }
    assertThat(fold(streams.get(2), Long.MAX_VALUE)).isInstanceOf(GrantState.Revoked.class);
    assertThat(fold(streams.get(3), Long.MAX_VALUE)).isInstanceOf(GrantState.Revoked.class);
  }

  @Test
  void theIntervalIsASettingAndABadOneIsRefusedNamingIt() {
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_GRANT_SNAPSHOT_EVERY", "1")))
        .hasMessageContaining("GRANTRY_GRANT_SNAPSHOT_EVERY");
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_GRANT_SNAPSHOT_EVERY", "-3")))
        .hasMessageContaining("GRANTRY_GRANT_SNAPSHOT_EVERY");
    assertThat(GrantryConfig.from(new JsonObject()).caches().grantSnapshotEvery()).isEqualTo(16);
  }
}
