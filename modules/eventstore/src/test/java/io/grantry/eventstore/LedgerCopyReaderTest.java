package io.grantry.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bulk read of the ledger ({@link LedgerCopy.Reader}) gives the events {@link
 * EventStore#readAll} gives, field for field, on a real PostgreSQL: with payloads far larger than a
 * network read, non-ASCII and escapes; and the hash of each event from its jsonb text as PostgreSQL
 * sends it ({@link EventHash.FromText}) is the hash stored at append.
 */
class LedgerCopyReaderTest {
  static Vertx vertx;
  static TestDatabase db;
  static Pool pool;
  static EventStore store;
  static List<RecordedEvent> appended;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(4))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    store =
        EventStore.create(
            vertx, pool, EventStoreOptions.defaults().withPollInterval(Duration.ofMillis(100)));
    String big = "x\u00e9\"\\\n\ud83d\ude00".repeat(40_000); // ~400 KB of JSON text
    for (int i = 0; i < 60; i++) {
      JsonObject payload =
          new JsonObject()
              .put("grant_id", "g-" + i)
              .put("n", i - 30)
              .put("big_integer", Long.MAX_VALUE)
              .put("scopes", new JsonArray().add("openid").add("\u4e2d\u6587"))
              .put("\ue000", new JsonObject().put("b", true).put("a", (Object) null))
              .put("\ud83d\ude00", "supplementary name")
              .put("text", i % 20 == 7 ? big : "tab\tquote\"" + i);
      JsonObject metadata = new JsonObject().put("request_id", "r-" + i).put("actor", "c:web");
      await(
          store.append(
              "stream-" + (i % 7),
              ExpectedVersion.ANY,
              NewEvent.of("test.copied.v1", payload, metadata)));
    }
    appended = await(store.readAll(GlobalPosition.START, 1000));
    assertThat(appended).hasSize(60);
  }

  @AfterAll
  static void stop() throws Exception {
    await(store.close());
    await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static List<LedgerCopy.Raw> readAll(Connection c, LedgerCopy.Columns columns)
      throws Exception {
    List<LedgerCopy.Raw> raws = new ArrayList<>();
    try (LedgerCopy.Reader r = new LedgerCopy.Reader(c, GlobalPosition.START, columns)) {
      for (LedgerCopy.Raw raw = r.next(); raw != null; raw = r.next()) {
        raws.add(raw);
      }
      assertThat(r.next()).isNull();
    }
    return raws;
  }

  @Test
  void readsWhatReadAllReadsAndEachTextHashesToTheStoredHash() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      List<LedgerCopy.Raw> raws = readAll(c, LedgerCopy.Columns.FULL);
      assertThat(raws).hasSize(appended.size());
      EventHash.FromText hasher = new EventHash.FromText();
      for (int i = 0; i < raws.size(); i++) {
        LedgerCopy.Raw raw = raws.get(i);
        RecordedEvent e = raw.decode();
        RecordedEvent want = appended.get(i);
        assertThat(e.commitOrder()).isEqualTo(want.commitOrder());
        assertThat(e.eventId()).isEqualTo(want.eventId());
        assertThat(e.streamId()).isEqualTo(want.streamId());
        assertThat(e.version()).isEqualTo(want.version());
        assertThat(e.type()).isEqualTo(want.type());
        assertThat(e.payload()).isEqualTo(want.payload());
        assertThat(e.metadata()).isEqualTo(want.metadata());
        assertThat(e.recordedAt()).isEqualTo(want.recordedAt());
        assertThat(e.prevHash()).isEqualTo(want.prevHash());
        assertThat(e.hash()).isEqualTo(want.hash());
        assertThat(
                hasher.hash(
                    raw.prevHash(),
                    raw.streamId(),
                    raw.version(),
                    raw.eventId(),
                    raw.type(),
                    raw.recordedAtPgMicros() + LedgerCopy.PG_EPOCH_MICROS,
                    raw.payload(),
                    raw.metadata()))
            .as("event %d from its jsonb text", i)
            .isEqualTo(want.hash());
      }
      // The connection is free again after the COPY's end.
      assertThat(one(c)).isEqualTo(1);
      c.commit();
    }
  }

  @Test
  void aReplayReadLeavesOutTheMetadataAndHashes() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      List<LedgerCopy.Raw> raws = readAll(c, LedgerCopy.Columns.REPLAY);
      assertThat(raws).hasSize(appended.size());
      assertThat(raws.get(7).decode().payload()).isEqualTo(appended.get(7).payload());
      assertThat(raws.get(7).metadata()).isNull();
      assertThat(raws.get(7).hash()).isNull();
      c.commit();
    }
  }

  @Test
  void closingBeforeTheEndCancelsTheCopyAndFreesTheConnection() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(true);
      try (LedgerCopy.Reader r =
          new LedgerCopy.Reader(c, GlobalPosition.START, LedgerCopy.Columns.FULL)) {
        assertThat(r.next().eventId()).isEqualTo(appended.get(0).eventId());
        assertThat(r.next().eventId()).isEqualTo(appended.get(1).eventId());
      }
      // The server's answer to the cancel may come with the next statement (as with the driver's
      // own PGCopyInputStream): the cancel request travels apart from the connection, so it may
      // reach the server after the COPY ended and hit that statement instead (57014, or 02000 as
      // the driver reads it; both seen). After it the connection serves statements again.
      try {
        one(c);
      } catch (SQLException e) {
        assertThat(e.getSQLState()).isIn("57014", "02000");
      }
      assertThat(one(c)).isEqualTo(1);
    }
  }

  @Test
  void thePipelineHandsEveryEventOnInCommitOrderWithItsPagesStageResult() throws Exception {
    List<GlobalPosition> seen = new ArrayList<>();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      GlobalPosition last =
          LedgerCopy.pipeline(
              c,
              GlobalPosition.START,
              LedgerCopy.Columns.FULL,
              7,
              2,
              raws -> raws.size(),
              (raws, n) -> {
                assertThat(n).isEqualTo(raws.size());
                raws.forEach(r -> seen.add(r.commitOrder()));
                return true;
              });
      assertThat(seen).isEqualTo(appended.stream().map(RecordedEvent::commitOrder).toList());
      assertThat(last).isEqualTo(seen.get(seen.size() - 1));
      c.commit();
    }
  }

  @Test
  void aPipelineWhoseSinkStopsEndsAtThatPage() throws Exception {
    // One event a page and a queue of a few pages: when the sink stops at the first page, the
    // reader still has events to go (as audit verify at the first bad event).
    List<GlobalPosition> seen = new ArrayList<>();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      GlobalPosition last =
          LedgerCopy.pipeline(
              c,
              GlobalPosition.START,
              LedgerCopy.Columns.FULL,
              1,
              2,
              raws -> raws.size(),
              (raws, n) -> {
                seen.add(raws.get(0).commitOrder());
                return false;
              });
      assertThat(seen).containsExactly(appended.get(0).commitOrder());
      assertThat(last).isEqualTo(seen.get(0));
    }
  }

  private static int one(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
