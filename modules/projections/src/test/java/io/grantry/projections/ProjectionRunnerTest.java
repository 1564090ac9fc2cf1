package io.grantry.projections;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.AppendResult;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProjectionRunnerTest {
  static Vertx vertx;
  static Pool pool;

  /**
   * Per stream: how many events, the last type, and the position of the last one. Idempotent by
   * version.
   */
  static final class StreamSummary implements Projection {
    private final String table;
    private final String prefix;

    /**
     * Counts only streams whose id starts with {@code prefix}: the test classes share one ledger.
     */
    StreamSummary(String table, String prefix) {
      this.table = table;
      this.prefix = prefix;
    }

    @Override
    public String name() {
      return table;
    }

    @Override
    public List<String> tables() {
      return List.of(table);
    }

    @Override
    public Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
      List<Tuple> batch = new ArrayList<>();
      for (RecordedEvent e : events) {
        if (!e.streamId().startsWith(prefix)) {
          continue;
        }
        batch.add(Tuple.of(e.streamId(), e.version(), e.type(), e.payload().getInteger("n", 0)));
      }
      if (batch.isEmpty()) {
        return Future.succeededFuture();
      }
      return tx.preparedQuery(
              "INSERT INTO "
                  + tables.of(table)
                  + " AS t (stream_id, events, last_type, total)"
                  + " VALUES ($1, $2, $3, $4) ON CONFLICT (stream_id) DO UPDATE"
                  + " SET events = excluded.events, last_type = excluded.last_type, total = t.total + excluded.total"
                  + " WHERE t.events < excluded.events")
          .executeBatch(batch)
          .mapEmpty();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    TestDatabase db = TestDatabase.fresh();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(6))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  static void createTable(String name) throws Exception {
    await(
        pool.query(
                "CREATE TABLE "
                    + name
                    + " (stream_id text PRIMARY KEY, events bigint NOT NULL,"
                    + " last_type text NOT NULL, total bigint NOT NULL)")
            .execute());
  }

  static EventStore newStore() {
    return EventStore.create(
        vertx, pool, EventStoreOptions.defaults().withPollInterval(Duration.ofMillis(50)));
  }

  /**
   * The commit-order position of the last event any test appended: what a projection must reach.
   */
  static volatile GlobalPosition lastAppended = GlobalPosition.START;

  static void append(EventStore store, String prefix, int streams, int perStream) throws Exception {
    List<Future<AppendResult>> all = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      List<NewEvent> events = new ArrayList<>();
      for (int i = 0; i < perStream; i++) {
        events.add(NewEvent.of("counted.v" + (i % 3), new JsonObject().put("n", i + 1)));
      }
      all.add(store.append(prefix + s, ExpectedVersion.ANY, events));
    }
    await(Future.all(all));
    for (Future<AppendResult> f : all) {
      GlobalPosition p = f.result().lastPosition();
      if (p != null && p.compareTo(lastAppended) > 0) {
        lastAppended = p;
      }
    }
  }

  /**
   * Waits (on the database, not a timer) until the projection's checkpoint reaches the last
   * appended event. Not the store's head: that only shows what is readable at that moment, and a
   * projection transaction still open would hide the newest commits from it.
   */
  static void awaitCaughtUp(ProjectionRunner runner, EventStore store, String name)
      throws Exception {
    GlobalPosition target = lastAppended;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (await(runner.checkpoint(name)).compareTo(target) < 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("projection " + name + " did not reach " + target);
      }
      await(vertx.timer(20));
    }
  }

  static List<String> rows(String table) throws Exception {
    List<String> out = new ArrayList<>();
    for (Row r :
        await(
            pool.query(
                    "SELECT stream_id, events, last_type, total FROM "
                        + table
                        + " ORDER BY stream_id")
                .execute())) {
      out.add(r.getString(0) + "|" + r.getLong(1) + "|" + r.getString(2) + "|" + r.getLong(3));
    }
    return out;
  }

  @Test
  void anAsyncProjectionResumesFromItsCheckpointAfterARestartWithoutApplyingTwice()
      throws Exception {
    createTable("resume_summary");
    EventStore store = newStore();
    ProjectionRunner runner = new ProjectionRunner(store);
    Projection p = new StreamSummary("resume_summary", "resume-");
    append(store, "resume-", 4, 5);
    await(runner.start(p));
    awaitCaughtUp(runner, store, p.name());
    runner.stopAll();
    await(store.close());

    // "Restart": a new store and runner; more events arrived while nobody was running.
    EventStore store2 = newStore();
    append(store2, "resume-", 4, 3);
    ProjectionRunner runner2 = new ProjectionRunner(store2);
    await(runner2.start(p));
    append(store2, "resume-late-", 1, 2);
    awaitCaughtUp(runner2, store2, p.name());

    // Each stream: 8 events with n = 1..5 then 1..3 → total 21, applied exactly once.
    assertThat(rows("resume_summary"))
        .contains(
            "resume-0|8|counted.v2|21", "resume-3|8|counted.v2|21", "resume-late-0|2|counted.v1|3");
    assertThat(await(runner2.status(p.name())).lagEvents()).isZero();
    runner2.stopAll();
    await(store2.close());
  }

  @Test
  void aRebuildFromZeroEqualsTheLiveTablesAndSwapsInAtomically() throws Exception {
    createTable("rebuild_summary");
    EventStore store = newStore();
    ProjectionRunner runner = new ProjectionRunner(store);
    Projection p = new StreamSummary("rebuild_summary", "rebuild-");
    await(runner.start(p));
    append(store, "rebuild-", 30, 7);
    awaitCaughtUp(runner, store, p.name());

    // A replay into fresh copies equals the live rows.
    TableNames copies = await(runner.createCopies(p, "_check"));
    await(runner.replay(p, copies, GlobalPosition.START));
    List<String> live = rows("rebuild_summary");
    assertThat(live).hasSize(30);
    assertThat(rows(copies.of("rebuild_summary"))).containsExactlyElementsOf(live);

    // A full rebuild swaps the copies in and the runner carries on from there.
    GlobalPosition covered = await(runner.rebuild(p.name()));
    assertThat(covered).isGreaterThanOrEqualTo(lastAppended);
    assertThat(rows("rebuild_summary")).containsExactlyElementsOf(live);
    append(store, "rebuild-after-", 1, 1);
    awaitCaughtUp(runner, store, p.name());
    assertThat(rows("rebuild_summary")).hasSize(31);
    runner.stopAll();
    await(store.close());
  }

  /**
   * A projection that names the one event type it acts on ({@link Projection#eventTypes}), and
   * notes every type it was handed.
   */
  static final class OneType implements Projection {
    final List<RecordedEvent> handed = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "typed_summary";
    }

    @Override
    public List<String> tables() {
      return List.of("typed_summary");
    }

    @Override
    public Set<String> eventTypes() {
      return Set.of("counted.v1");
    }

    @Override
    public Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
      List<Tuple> batch = new ArrayList<>();
      for (RecordedEvent e : events) {
        handed.add(e);
        if (e.streamId().startsWith("typed-") && e.type().equals("counted.v1")) {
          batch.add(Tuple.of(e.streamId(), e.version(), e.type(), e.payload().getInteger("n")));
        }
      }
      if (batch.isEmpty()) {
        return Future.succeededFuture();
      }
      return tx.preparedQuery(
              "INSERT INTO "
                  + tables.of("typed_summary")
                  + " AS t (stream_id, events, last_type, total) VALUES ($1, $2, $3, $4)"
                  + " ON CONFLICT (stream_id) DO UPDATE SET events = excluded.events,"
                  + " total = t.total + excluded.total WHERE t.events < excluded.events")
          .executeBatch(batch)
          .mapEmpty();
    }
  }

  @Test
  void aRegisteredAsyncProjectionIsRebuiltFromTheEventsOfItsTypesAndLeftAtTheLedgersEnd()
      throws Exception {
    createTable("typed_summary");
    EventStore store = newStore();
    // Each stream: n = 1..7 (versions 1..7) of types v0, v1, v2, v0, v1, v2, v0: v1 at n = 2, 5.
    append(store, "typed-", 5, 7);
    // More events of other types after them.
    append(store, "untyped-", 3, 1);
    ProjectionRunner runner = new ProjectionRunner(store);
    OneType p = new OneType();
    await(runner.register(p));

    GlobalPosition covered = await(runner.rebuild(p.name()));

    assertThat(rows("typed_summary"))
        .containsExactly(
            "typed-0|5|counted.v1|7",
            "typed-1|5|counted.v1|7",
            "typed-2|5|counted.v1|7",
            "typed-3|5|counted.v1|7",
            "typed-4|5|counted.v1|7");
    // The replay was handed events of its type only, up to the last of them; the catch-up under
    // the checkpoint's lock then read every event after it, so the checkpoint is at the end.
    GlobalPosition lastOfType =
        p.handed.stream()
            .filter(e -> e.type().equals("counted.v1"))
            .map(RecordedEvent::commitOrder)
            .max(GlobalPosition::compareTo)
            .orElseThrow();
    assertThat(p.handed)
        .filteredOn(e -> e.commitOrder().compareTo(lastOfType) <= 0)
        .extracting(RecordedEvent::type)
        .containsOnly("counted.v1");
    assertThat(covered).isEqualTo(lastAppended);
    assertThat(await(runner.checkpoint(p.name()))).isEqualTo(lastAppended);
    assertThat(await(runner.status(p.name())).lagEvents()).isZero();
    await(store.close());
  }

  @Test
  void anInlineProjectionIsVisibleAsSoonAsTheAppendIsAcknowledged() throws Exception {
    createTable("inline_summary");
    EventStore store = newStore();
    ProjectionRunner runner = new ProjectionRunner(store);
    Projection p = new StreamSummary("inline_summary", "inline-");
    store.addInlineProjection(runner.inline(p));
    await(
        store.append(
            "inline-1",
            ExpectedVersion.NO_STREAM,
            NewEvent.of("counted.v0", new JsonObject().put("n", 4))));
    assertThat(rows("inline_summary")).containsExactly("inline-1|1|counted.v0|4");
    assertThat(await(runner.status(p.name())).inline()).isTrue();
    await(store.close());
  }
}
