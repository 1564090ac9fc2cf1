package io.grantry.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.eventstore.audit.LedgerVerifier;
import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EventStoreTest {
  static Vertx vertx;
  static TestDatabase db;
  static Pool pool;
  static EventStore store;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(8))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    store =
        EventStore.create(
            vertx, pool, EventStoreOptions.defaults().withPollInterval(Duration.ofMillis(100)));
  }

  @AfterAll
  static void stop() throws Exception {
    await(store.close());
    await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  static NewEvent event(String type, int n) {
    return NewEvent.of(
        type,
        new JsonObject().put("n", n).put("note", "é \"quoted\" \n"),
        new JsonObject().put("actor", "test").put("requestId", "r-" + n));
  }

  @Test
  void appendedEventsReadBackInOrderWithTheirContent() throws Exception {
    String s = "client-roundtrip";
    AppendResult r =
        await(store.append(s, ExpectedVersion.NO_STREAM, event("a.v1", 1), event("b.v1", 2)));
    assertThat(r.version()).isEqualTo(2);
    await(store.append(s, ExpectedVersion.exactly(2), event("c.v1", 3)));

    List<RecordedEvent> read = await(store.readStream(s));
    assertThat(read).extracting(RecordedEvent::type).containsExactly("a.v1", "b.v1", "c.v1");
    assertThat(read).extracting(RecordedEvent::version).containsExactly(1L, 2L, 3L);
    assertThat(read.get(0).payload().getInteger("n")).isEqualTo(1);
    assertThat(read.get(0).payload().getString("note")).isEqualTo("é \"quoted\" \n");
    assertThat(read.get(1).metadata().getString("requestId")).isEqualTo("r-2");
    assertThat(read.get(0).eventId()).isEqualTo(r.events().get(0).eventId());
    assertThat(read.get(0).position()).isLessThan(read.get(1).position());
    // What the append returned is what was stored, hash included.
    assertThat(read.get(1).hash()).isEqualTo(r.events().get(1).hash());
    assertThat(read.get(1).prevHash()).isEqualTo(read.get(0).hash());
    assertThat(await(store.readStream(s, 2)))
        .extracting(RecordedEvent::type)
        .containsExactly("c.v1");
    assertThat(await(store.readStream("no-such-stream"))).isEmpty();
  }

  @Test
  void aWrongExpectedVersionIsATypedConflictAndWritesNothing() throws Exception {
    String s = "conflict-stream";
    await(store.append(s, ExpectedVersion.NO_STREAM, event("a.v1", 1)));

    assertThatThrownBy(() -> await(store.append(s, ExpectedVersion.NO_STREAM, event("b.v1", 2))))
        .isInstanceOfSatisfying(
            WrongExpectedVersionException.class,
            e -> {
              assertThat(e.streamId()).isEqualTo(s);
              assertThat(e.actual()).isEqualTo(1);
            });
    assertThatThrownBy(() -> await(store.append(s, ExpectedVersion.exactly(5), event("b.v1", 2))))
        .isInstanceOf(WrongExpectedVersionException.class);
    assertThatThrownBy(
            () ->
                await(store.append("never-created", ExpectedVersion.exactly(1), event("b.v1", 2))))
        .isInstanceOf(WrongExpectedVersionException.class);
    assertThat(await(store.readStream(s))).hasSize(1);
    // ANY always appends.
    assertThat(await(store.append(s, ExpectedVersion.ANY, event("c.v1", 3))).version())
        .isEqualTo(2);
  }

  @Test
  void ofFiftyConcurrentAppendsWithOneExpectedVersionExactlyOneWins() throws Exception {
    String s = "race-stream";
    await(store.append(s, ExpectedVersion.NO_STREAM, event("created.v1", 0)));
    List<Future<AppendResult>> attempts = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      attempts.add(store.append(s, ExpectedVersion.exactly(1), event("raced.v1", i)));
    }
    await(Future.join(attempts).otherwiseEmpty());
    long won = attempts.stream().filter(Future::succeeded).count();
    assertThat(won).isEqualTo(1);
    assertThat(attempts.stream().filter(Future::failed))
        .allSatisfy(f -> assertThat(f.cause()).isInstanceOf(WrongExpectedVersionException.class));
    assertThat(await(store.readStream(s))).hasSize(2);
  }

  @Test
  void concurrentAppendsOfTwoStoresToOneNewStreamCreateItOnce() throws Exception {
    EventStore other = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    String s = "born-twice";
    List<Future<AppendResult>> attempts = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      attempts.add(
          (i % 2 == 0 ? store : other)
              .append(s, ExpectedVersion.NO_STREAM, event("created.v1", i)));
    }
    await(Future.join(attempts).otherwiseEmpty());
    assertThat(attempts.stream().filter(Future::succeeded).count()).isEqualTo(1);
    assertThat(await(store.readStream(s))).hasSize(1);
    await(other.close());
  }

  @Test
  void fiveHundredConcurrentAppendsToDistinctStreamsAllCommitInFewerTransactions()
      throws Exception {
    long batchesBefore = store.batchesCommitted();
    List<Future<AppendResult>> appends = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      appends.add(store.append("many-" + i, ExpectedVersion.NO_STREAM, event("one.v1", i)));
    }
    await(Future.all(appends));
    long batches = store.batchesCommitted() - batchesBefore;
    assertThat(batches).isGreaterThan(0).isLessThan(500);
    Long count =
        await(pool.query("SELECT count(*) FROM events WHERE stream_id LIKE 'many-%'").execute())
            .iterator()
            .next()
            .getLong(0);
    assertThat(count).isEqualTo(500);
  }

  @Test
  void theHashChainVerifiesAndATamperedRowIsFound() throws Exception {
    String s = "chain-stream";
    for (int i = 0; i < 5; i++) {
      await(store.append(s, ExpectedVersion.ANY, event("link.v1", i)));
    }
    LedgerVerifier.Result ok = verifyLedger();
    assertThat(ok.ok()).as(ok.summary()).isTrue();

    // The table refuses updates; an attacker with superuser rights can still switch triggers off.
    assertThatThrownBy(
            () ->
                await(
                    pool.query("UPDATE events SET type = 'x' WHERE stream_id = 'chain-stream'")
                        .execute()))
        .hasMessageContaining("append-only");
    long third = await(store.readStream(s)).get(2).position();
    await(
        pool.withConnection(
            c ->
                c.query("SET session_replication_role = replica")
                    .execute()
                    .compose(
                        v ->
                            c.preparedQuery(
                                    "UPDATE events SET payload = '{\"n\": 99}' WHERE position = $1")
                                .execute(Tuple.of(third)))
                    .compose(v -> c.query("SET session_replication_role = origin").execute())));

    LedgerVerifier.Result bad = verifyLedger();
    assertThat(bad.ok()).isFalse();
    assertThat(bad.summary()).contains(String.valueOf(third)).contains("edited");
  }

  /** What `grantry audit verify` says of this database (no checkpoints: the stream chains). */
  private LedgerVerifier.Result verifyLedger() throws Exception {
    LedgerVerifier v =
        new LedgerVerifier(
            jws -> {
              throw new IllegalStateException("no checkpoint expected");
            });
    for (RecordedEvent e : await(store.readAll(GlobalPosition.START, 100_000))) {
      if (!v.accept(e)) {
        break;
      }
    }
    return v.finish();
  }

  @Test
  void aSubscriberNeverSkipsAnEventThatCommitsAfterAHigherPosition() throws Exception {
    GlobalPosition start = await(store.head());
    // A store whose transactions stay open until we say so: its event takes a lower position
    // than the next one, but commits after it.
    Promise<Void> release = Promise.promise();
    Promise<Void> inserted = Promise.promise();
    EventStore slow = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    slow.addInlineProjection(
        new InlineProjection() {
          @Override
          public String name() {
            return "hold";
          }

          @Override
          public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
            inserted.tryComplete();
            return release.future();
          }
        });
    Future<AppendResult> held = slow.append("gap-early", ExpectedVersion.ANY, event("early.v1", 1));
    await(inserted.future());
    AppendResult later = await(store.append("gap-late", ExpectedVersion.ANY, event("late.v1", 2)));

    // The later event is committed, but a reader must not get past the open transaction.
    assertThat(await(store.readAll(start, 100)))
        .extracting(RecordedEvent::streamId)
        .doesNotContain("gap-late");

    List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
    Promise<Void> both = Promise.promise();
    EventStore.Subscription sub =
        store.subscribe(
            start,
            10,
            events -> {
              for (RecordedEvent e : events) {
                if (e.streamId().startsWith("gap-")) {
                  seen.add(e);
                }
              }
              if (seen.size() >= 2) {
                both.tryComplete();
              }
              return Future.succeededFuture();
            });
    release.complete();
    AppendResult early = await(held);
    await(both.future());
    sub.cancel();

    assertThat(early.events().get(0).position()).isLessThan(later.events().get(0).position());
    assertThat(seen).extracting(RecordedEvent::streamId).containsExactly("gap-early", "gap-late");
    await(slow.close());
  }

  /**
   * A follower in another process is woken by NOTIFY (its poll here is an hour away), and the
   * NOTIFY's asynchronous commit is its transaction's alone: the connection it used goes back to
   * the pool with synchronous_commit on, so the next append on it still waits for the disk.
   */
  @Test
  void anotherProcessesFollowerIsWokenByNotifyAndAppendsStaySynchronous() throws Exception {
    Pool single =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(1))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    EventStore follower =
        EventStore.create(
            vertx,
            pool,
            EventStoreOptions.defaults()
                .withListenOptions(db.connectOptions())
                .withPollInterval(Duration.ofHours(1)));
    EventStore writer = EventStore.create(vertx, single, EventStoreOptions.defaults());
    try {
      GlobalPosition start = await(store.head());
      Promise<Void> seen = Promise.promise();
      follower.subscribe(
          start,
          100,
          events -> {
            if (events.stream().anyMatch(e -> e.streamId().equals("notified"))) {
              seen.tryComplete();
            }
            return Future.succeededFuture();
          });
      // Append only once the follower listens, so that what wakes it is the NOTIFY (or, should the
      // append win the race with LISTEN's own catch-up read, that read): never the hourly poll.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (await(
                  pool.query(
                          "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN "
                              + EventStore.CHANNEL
                              + "'")
                      .execute())
              .iterator()
              .next()
              .getLong(0)
          == 0) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the follower did not LISTEN within 20 s");
        }
        Thread.onSpinWait();
      }
      await(writer.append("notified", ExpectedVersion.NO_STREAM, event("x.v1", 1)));
      await(seen.future());
      assertThat(
              await(single.query("SHOW synchronous_commit").execute())
                  .iterator()
                  .next()
                  .getString(0))
          .isEqualTo("on");
    } finally {
      await(follower.close());
      await(writer.close());
      await(single.close());
    }
  }

  @Test
  void aFailingInlineProjectionRollsBackTheAppend() throws Exception {
    EventStore failing = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    failing.addInlineProjection(
        new InlineProjection() {
          @Override
          public String name() {
            return "broken";
          }

          @Override
          public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
            return tx.query("SELECT * FROM no_such_table").execute().mapEmpty();
          }
        });
    assertThatThrownBy(
            () -> await(failing.append("rolled-back", ExpectedVersion.NO_STREAM, event("x.v1", 1))))
        .hasMessageContaining("no_such_table");
    assertThat(await(store.readStream("rolled-back"))).isEmpty();
    // The stream head was rolled back too: the stream can still be created.
    assertThat(
            await(store.append("rolled-back", ExpectedVersion.NO_STREAM, event("x.v1", 1)))
                .version())
        .isEqualTo(1);
    await(failing.close());
  }

  /**
   * The batch's transaction is opened and closed by the store itself (BEGIN sent with the first
   * statement): after a failed batch the connection must go back to the pool rolled back, so the
   * next batch on the same (only) connection commits, and what it commits is seen by others.
   */
  @Test
  void aFailedBatchLeavesItsConnectionOutsideAnyTransaction() throws Exception {
    Pool single =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(1))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    try {
      EventStore failing = EventStore.create(vertx, single, EventStoreOptions.defaults());
      failing.addInlineProjection(
          new InlineProjection() {
            @Override
            public String name() {
              return "broken";
            }

            @Override
            public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
              return tx.query("SELECT * FROM no_such_table").execute().mapEmpty();
            }
          });
      assertThatThrownBy(
              () -> await(failing.append("tx-a", ExpectedVersion.NO_STREAM, event("x.v1", 1))))
          .hasMessageContaining("no_such_table");
      EventStore healthy = EventStore.create(vertx, single, EventStoreOptions.defaults());
      assertThat(
              await(healthy.append("tx-b", ExpectedVersion.NO_STREAM, event("x.v1", 1))).version())
          .isEqualTo(1);
      assertThat(
              await(healthy.append("tx-b", ExpectedVersion.exactly(1), event("x.v1", 2))).version())
          .isEqualTo(2);
      // Read through another pool: committed, not merely visible inside a transaction left open.
      assertThat(await(store.readStream("tx-b"))).hasSize(2);
      assertThat(await(store.readStream("tx-a"))).isEmpty();
      assertThat(
              await(single.query("SELECT now() = statement_timestamp() AS outside").execute())
                  .iterator()
                  .next()
                  .getBoolean("outside"))
          .isTrue();
      await(failing.close());
      await(healthy.close());
    } finally {
      await(single.close());
    }
  }

  /**
   * A store created on a context of the test's own, so that appends made in one task on it are
   * queued together: the first starts a batch at once, the ones after it wait for it and then form
   * the next batch, all of them in one transaction.
   */
  static EventStore storeOn(Context ctx, Pool on) throws Exception {
    Promise<EventStore> created = Promise.promise();
    ctx.runOnContext(
        v -> created.complete(EventStore.create(vertx, on, EventStoreOptions.defaults())));
    return await(created.future());
  }

  /**
   * On {@code ctx}: one append that occupies the store, then {@code streams} appended as one batch
   * (each NO_STREAM).
   */
  static List<Future<AppendResult>> oneBatchOfNewStreams(
      Context ctx, EventStore s, List<String> streams) throws Exception {
    Promise<List<Future<AppendResult>>> sent = Promise.promise();
    ctx.runOnContext(
        v -> {
          s.append(
              "occupier-" + UUID.randomUUID(), ExpectedVersion.NO_STREAM, event("occupy.v1", 0));
          List<Future<AppendResult>> out = new ArrayList<>();
          for (int i = 0; i < streams.size(); i++) {
            out.add(s.append(streams.get(i), ExpectedVersion.NO_STREAM, event("fresh.v1", i)));
          }
          sent.complete(out);
        });
    List<Future<AppendResult>> out = await(sent.future());
    await(Future.join(out).otherwiseEmpty());
    return out;
  }

  /**
   * Batches of new streams are written with plain inserts; one append whose stream exists after all
   * makes that transaction fail as a whole. It is rolled back (nothing of it stays) and the batch
   * is decided again append by append: the others' events are written once, only that one fails.
   */
  @Test
  void inABatchOfNewStreamsOneThatExistsFailsAloneAndTheOthersAreWrittenOnce() throws Exception {
    Context ctx = vertx.getOrCreateContext();
    EventStore s = storeOn(ctx, pool);
    await(store.append("fresh-taken", ExpectedVersion.NO_STREAM, event("first.v1", 0)));
    long batchesBefore = s.batchesCommitted();

    List<Future<AppendResult>> out =
        oneBatchOfNewStreams(ctx, s, List.of("fresh-a", "fresh-taken", "fresh-b"));

    assertThat(out.get(0).result().version()).isEqualTo(1);
    assertThat(out.get(2).result().version()).isEqualTo(1);
    assertThat(out.get(1).cause()).isInstanceOf(WrongExpectedVersionException.class);
    assertThat(await(store.readStream("fresh-a"))).hasSize(1);
    assertThat(await(store.readStream("fresh-b"))).hasSize(1);
    assertThat(await(store.readStream("fresh-taken")))
        .extracting(RecordedEvent::type)
        .containsExactly("first.v1");
    // The results carry the positions the rows really got.
    RecordedEvent a = await(store.readStream("fresh-a")).get(0);
    assertThat(out.get(0).result().events().get(0).position()).isEqualTo(a.position());
    assertThat(out.get(0).result().events().get(0).txid()).isEqualTo(a.txid());
    // The occupier's batch and the batch decided again: the failed attempt committed nothing.
    assertThat(s.batchesCommitted() - batchesBefore).isEqualTo(2);
    await(s.close());
  }

  /**
   * Inline projections see a batch of new streams through applyNew and may insert without ON
   * CONFLICT: a row that already exists rolls that attempt back, and the batch is applied again
   * through apply, whose insert tolerates it. No append of the batch is lost.
   */
  @Test
  void aProjectedRowThatExistsRollsTheNewStreamsBatchBackAndItIsAppliedAgainWithoutLosingAnEvent()
      throws Exception {
    await(
        pool.query(
                "CREATE TABLE fresh_rows (stream_id text PRIMARY KEY, n int NOT NULL, via text NOT NULL)")
            .execute());
    await(pool.query("INSERT INTO fresh_rows VALUES ('proj-taken', -1, 'before')").execute());
    Context ctx = vertx.getOrCreateContext();
    EventStore s = storeOn(ctx, pool);
    List<String> calls = new CopyOnWriteArrayList<>();
    s.addInlineProjection(
        new InlineProjection() {
          @Override
          public String name() {
            return "fresh-rows";
          }

          @Override
          public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
            calls.add("apply " + events.size());
            return insert(tx, events, "apply", " ON CONFLICT (stream_id) DO NOTHING");
          }

          @Override
          public Future<Void> applyNew(SqlConnection tx, List<RecordedEvent> events) {
            calls.add(
                "applyNew "
                    + events.size()
                    + (events.stream().allMatch(e -> e.position() == 0) ? "" : " with positions"));
            return insert(tx, events, "applyNew", "");
          }

          Future<Void> insert(
              SqlConnection tx, List<RecordedEvent> events, String via, String onConflict) {
            List<Tuple> rows = new ArrayList<>();
            for (RecordedEvent e : events) {
              rows.add(Tuple.of(e.streamId(), e.payload().getInteger("n"), via));
            }
            return tx.preparedQuery("INSERT INTO fresh_rows VALUES ($1, $2, $3)" + onConflict)
                .executeBatch(rows)
                .mapEmpty();
          }
        });

    List<Future<AppendResult>> out =
        oneBatchOfNewStreams(ctx, s, List.of("proj-a", "proj-taken", "proj-b"));

    assertThat(out)
        .allSatisfy(f -> assertThat(f.succeeded()).as(String.valueOf(f.cause())).isTrue());
    assertThat(await(store.readStream("proj-a"))).hasSize(1);
    assertThat(await(store.readStream("proj-taken"))).hasSize(1);
    assertThat(await(store.readStream("proj-b"))).hasSize(1);
    List<String> rows = new ArrayList<>();
    await(
            pool.query(
                    "SELECT stream_id, n, via FROM fresh_rows WHERE stream_id LIKE 'proj-%' ORDER BY stream_id")
                .execute())
        .forEach(r -> rows.add(r.getString(0) + " " + r.getInteger(1) + " " + r.getString(2)));
    assertThat(rows).containsExactly("proj-a 0 apply", "proj-b 2 apply", "proj-taken -1 before");
    // The occupier and the first try of the batch through applyNew, then the batch again through
    // apply.
    assertThat(calls).containsExactly("applyNew 1", "applyNew 3", "apply 3");
    await(s.close());
  }

  /**
   * A projection that needs only inserts for a batch of new streams hands them over as data ({@link
   * InlineProjection#newInserts}) and the store writes them in its own insert, one statement that
   * commits on its own: the rows are there with the events, and nothing else of the projection is
   * called. A row that exists fails that statement as a whole (neither events nor rows stay), and
   * the batch is applied again through apply, whose insert tolerates it; no append is lost.
   */
  @Test
  void aProjectionsInsertsRideInTheNewStreamsStatementAndAnExistingRowSendsTheBatchThroughApply()
      throws Exception {
    await(
        pool.query(
                "CREATE TABLE folded_rows (stream_id text PRIMARY KEY, n int NOT NULL, via text NOT NULL)")
            .execute());
    await(pool.query("INSERT INTO folded_rows VALUES ('fold-taken', -1, 'before')").execute());
    Context ctx = vertx.getOrCreateContext();
    EventStore s = storeOn(ctx, pool);
    List<String> calls = new CopyOnWriteArrayList<>();
    s.addInlineProjection(
        new InlineProjection() {
          @Override
          public String name() {
            return "folded-rows";
          }

          @Override
          public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
            calls.add("apply " + events.size());
            List<Tuple> rows = new ArrayList<>();
            for (RecordedEvent e : events) {
              rows.add(Tuple.of(e.streamId(), e.payload().getInteger("n"), "apply"));
            }
            return tx.preparedQuery(
                    "INSERT INTO folded_rows VALUES ($1, $2, $3) ON CONFLICT (stream_id) DO NOTHING")
                .executeBatch(rows)
                .mapEmpty();
          }

          @Override
          public Future<Void> applyNew(SqlConnection tx, List<RecordedEvent> events) {
            calls.add("applyNew " + events.size());
            return Future.failedFuture("applyNew is not called when the inserts are folded");
          }

          @Override
          public List<Insert> newInserts(List<RecordedEvent> events) {
            calls.add("newInserts " + events.size());
            String[] ids = events.stream().map(RecordedEvent::streamId).toArray(String[]::new);
            Integer[] n =
                events.stream().map(e -> e.payload().getInteger("n")).toArray(Integer[]::new);
            return List.of(
                new Insert(
                    "INSERT INTO folded_rows SELECT a, b, 'folded' FROM unnest($1::text[], $2::int[]) AS u(a, b)",
                    Tuple.tuple().addValue(ids).addValue(n)));
          }
        });

    List<Future<AppendResult>> first =
        oneBatchOfNewStreams(ctx, s, List.of("fold-a", "fold-b", "fold-c"));
    assertThat(first)
        .allSatisfy(f -> assertThat(f.succeeded()).as(String.valueOf(f.cause())).isTrue());
    List<Future<AppendResult>> second =
        oneBatchOfNewStreams(ctx, s, List.of("fold-d", "fold-taken", "fold-e"));
    assertThat(second)
        .allSatisfy(f -> assertThat(f.succeeded()).as(String.valueOf(f.cause())).isTrue());

    for (String id : List.of("fold-a", "fold-b", "fold-c", "fold-d", "fold-taken", "fold-e")) {
      assertThat(await(store.readStream(id))).as(id).hasSize(1);
    }
    List<String> rows = new ArrayList<>();
    await(
            pool.query(
                    "SELECT stream_id, n, via FROM folded_rows WHERE stream_id LIKE 'fold-%' ORDER BY stream_id")
                .execute())
        .forEach(r -> rows.add(r.getString(0) + " " + r.getInteger(1) + " " + r.getString(2)));
    assertThat(rows)
        .containsExactly(
            "fold-a 0 folded",
            "fold-b 1 folded",
            "fold-c 2 folded",
            "fold-d 0 apply",
            "fold-e 2 apply",
            "fold-taken -1 before");
    // Each occupier and each batch in one statement; the second batch failed as a whole on the
    // existing row and went through apply.
    assertThat(calls)
        .containsExactly("newInserts 1", "newInserts 3", "newInserts 1", "newInserts 3", "apply 3");
    await(s.close());
  }

  /**
   * COMMIT follows a batch of new streams' statements at once; a projection that throws after
   * sending one of its statements must not leave that statement, nor the events, committed.
   */
  @Test
  void aProjectionThatThrowsAfterSendingAStatementCommitsNothingOfTheBatch() throws Exception {
    await(pool.query("CREATE TABLE half_rows (stream_id text PRIMARY KEY)").execute());
    EventStore s = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    s.addInlineProjection(
        new InlineProjection() {
          @Override
          public String name() {
            return "half";
          }

          @Override
          public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
            tx.preparedQuery("INSERT INTO half_rows VALUES ($1)")
                .execute(Tuple.of(events.get(0).streamId()));
            throw new IllegalStateException("cannot project the rest");
          }
        });
    assertThatThrownBy(
            () -> await(s.append("half-done", ExpectedVersion.NO_STREAM, event("x.v1", 1))))
        .hasMessageContaining("cannot project the rest");
    assertThat(await(store.readStream("half-done"))).isEmpty();
    assertThat(
            await(pool.query("SELECT count(*) FROM half_rows").execute())
                .iterator()
                .next()
                .getLong(0))
        .isZero();
    await(s.close());
  }

  /**
   * A batch of new streams is sent as one pipeline (BEGIN, the events' insert, the projections'
   * statements, COMMIT): once a statement fails, every one after it fails too with "current
   * transaction is aborted" (25P02). The append reports the first failure, the one that says what
   * went wrong, whether it was a projection's statement or the insert of the events itself.
   */
  @Test
  void aFailedPipelineOfNewStreamsReportsItsFirstErrorNotTheAbortedTransactionAfterIt()
      throws Exception {
    EventStore s = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    s.addInlineProjection(
        new InlineProjection() {
          @Override
          public String name() {
            return "first-fails";
          }

          @Override
          public Future<Void> apply(
              io.vertx.sqlclient.SqlConnection tx, List<RecordedEvent> events) {
            Future<?> missing = tx.query("SELECT * FROM no_such_projection_table").execute();
            Future<?> after = tx.query("SELECT 1").execute();
            return Future.all(missing, after).mapEmpty();
          }
        });
    assertThatThrownBy(
            () -> await(s.append("first-error", ExpectedVersion.NO_STREAM, event("x.v1", 1))))
        .hasMessageContaining("no_such_projection_table")
        .hasMessageNotContaining("25P02");
    assertThat(await(store.readStream("first-error"))).isEmpty();
    await(s.close());

    EventStore t = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    t.addInlineProjection(
        new InlineProjection() {
          @Override
          public String name() {
            return "after-the-insert";
          }

          @Override
          public Future<Void> apply(
              io.vertx.sqlclient.SqlConnection tx, List<RecordedEvent> events) {
            return tx.query("SELECT 1").execute().mapEmpty();
          }
        });
    // A stream id PostgreSQL cannot store (text holds no NUL): the events' insert itself fails.
    assertThatThrownBy(
            () -> await(t.append("bad\u0000id", ExpectedVersion.NO_STREAM, event("x.v1", 1))))
        .hasMessageContaining("0x00")
        .hasMessageNotContaining("25P02");
    await(t.close());
  }

  @Test
  void theHeadIsTheLastEventInCommitOrderEvenWhenPositionsAreOutOfOrder() throws Exception {
    // A transaction that takes its id first but inserts last: its events get the higher positions
    // yet the lower txid, so the last event in commit order is not the one with the highest
    // position.
    Promise<Void> locked = Promise.promise();
    Promise<Void> release = Promise.promise();
    UUID earlyId = UUID.randomUUID();
    Instant at = EventHash.truncate(Instant.now());
    await(pool.query("CREATE TABLE IF NOT EXISTS head_test (id int)").execute());
    Future<Void> early =
        pool.withTransaction(
            c ->
                c.query("INSERT INTO head_test VALUES (1)")
                    .execute()
                    .compose(
                        v -> {
                          locked.complete();
                          return release.future();
                        })
                    .compose(v -> c.query("SELECT pg_current_xact_id()").execute())
                    .compose(
                        v ->
                            c.preparedQuery(
                                    "INSERT INTO events (event_id, stream_id, version, type, payload, metadata,"
                                        + " recorded_at, prev_hash, hash) VALUES ($1, 'head-early', 1, 'early.v1', '{}', '{}', $2, $3, $4)")
                                .execute(
                                    Tuple.of(
                                        earlyId,
                                        OffsetDateTime.ofInstant(at, ZoneOffset.UTC),
                                        Buffer.buffer(EventHash.genesis()),
                                        Buffer.buffer(
                                            EventHash.of(
                                                EventHash.genesis(),
                                                "head-early",
                                                1,
                                                earlyId,
                                                "early.v1",
                                                at,
                                                new JsonObject(),
                                                new JsonObject()))))
                                .compose(
                                    x ->
                                        c.preparedQuery(
                                                "INSERT INTO streams VALUES ('head-early', 1, $1)")
                                            .execute(
                                                Tuple.of(
                                                    Buffer.buffer(
                                                        EventHash.of(
                                                            EventHash.genesis(),
                                                            "head-early",
                                                            1,
                                                            earlyId,
                                                            "early.v1",
                                                            at,
                                                            new JsonObject(),
                                                            new JsonObject()))))))
                    .mapEmpty());
    await(locked.future());
    AppendResult later = await(store.append("head-late", ExpectedVersion.ANY, event("late.v1", 1)));
    release.complete();
    await(early);
    GlobalPosition head = await(store.head());
    List<RecordedEvent> all = new ArrayList<>();
    GlobalPosition from = GlobalPosition.START;
    for (List<RecordedEvent> page = await(store.readAll(from, 1000));
        !page.isEmpty();
        page = await(store.readAll(from, 1000))) {
      all.addAll(page);
      from = page.get(page.size() - 1).commitOrder();
    }
    assertThat(head).isEqualTo(all.get(all.size() - 1).commitOrder());
    assertThat(later.events().get(0).position())
        .isLessThan(
            all.stream()
                .filter(e -> e.streamId().equals("head-early"))
                .findFirst()
                .orElseThrow()
                .position());
  }

  @Test
  void aBatchTakesItsTransactionIdOnlyOnceItHoldsEveryStreamLock() throws Exception {
    // Another writer holds stream Y's lock without a transaction id yet, as a batch does while it
    // locks. Our append to Y must wait for it with no transaction id of its own, so whatever the
    // other writer commits meanwhile comes before our event in (txid, position) order, which is the
    // order every reader follows. (With row locks alone the append took its id before waiting.)
    String y = "lock-order-y";
    await(store.append(y, ExpectedVersion.NO_STREAM, event("created.v1", 0)));
    Promise<Long> otherXid = Promise.promise();
    Promise<Void> holding = Promise.promise();
    Promise<Void> release = Promise.promise();
    Future<Void> other =
        pool.withTransaction(
            c ->
                c.preparedQuery("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .execute(Tuple.of(y))
                    .compose(
                        v -> {
                          holding.complete();
                          return release.future();
                        })
                    .compose(v -> c.query("SELECT pg_current_xact_id()::text::bigint").execute())
                    .map(
                        rows -> {
                          otherXid.complete(rows.iterator().next().getLong(0));
                          return null;
                        }));
    await(holding.future());
    Future<AppendResult> ours = store.append(y, ExpectedVersion.exactly(1), event("next.v1", 1));
    waitUntilAnAdvisoryLockIsAwaited();
    assertThat(ours.isComplete()).isFalse();
    release.complete();
    await(other);
    AppendResult appended = await(ours);
    assertThat(appended.events().get(0).txid()).isGreaterThan(await(otherXid.future()));
  }

  /** Observes the database until some session waits for an advisory lock (bounded). */
  private static void waitUntilAnAdvisoryLockIsAwaited() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (await(
                pool.query(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                    .execute())
            .iterator()
            .next()
            .getLong(0)
        == 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no append waited for the stream lock within 20 s");
      }
      Thread.onSpinWait();
    }
  }

  /**
   * A store traced with an {@link AppendTracing} asks it for each append's origin on the appender's
   * thread, and runs each batch through it with those origins in queue order; the appends complete
   * as usual.
   */
  @Test
  void anAppendTracingSeesEveryAppendsOriginAndWritesEveryBatch() throws Exception {
    List<String> origins = new CopyOnWriteArrayList<>();
    List<List<Object>> batches = new CopyOnWriteArrayList<>();
    String[] next = {null};
    EventStore traced =
        EventStore.create(vertx, pool, EventStoreOptions.defaults())
            .traceAppends(
                new AppendTracing() {
                  @Override
                  public Object origin() {
                    origins.add(next[0]);
                    return next[0];
                  }

                  @Override
                  public Future<Void> batch(
                      List<Object> of, java.util.function.Supplier<Future<Void>> write) {
                    batches.add(new ArrayList<>(of));
                    return write.get();
                  }
                });
    try {
      List<Future<AppendResult>> appends = new ArrayList<>();
      for (String o : List.of("req-1", "req-2", "req-3")) {
        next[0] = o;
        appends.add(traced.append("traced-" + o, ExpectedVersion.NO_STREAM, event("traced.v1", 1)));
      }
      for (Future<AppendResult> a : appends) {
        assertThat(await(a).version()).isEqualTo(1);
      }
      assertThat(origins).containsExactly("req-1", "req-2", "req-3");
      assertThat(batches.stream().flatMap(List::stream).toList())
          .containsExactly("req-1", "req-2", "req-3");
      assertThat(batches).hasSizeLessThanOrEqualTo(3).allMatch(b -> !b.isEmpty());
      assertThat(await(traced.readStream("traced-req-2"))).hasSize(1);
    } finally {
      await(traced.close());
    }
  }
}
