package io.grantry.projections;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.InlineProjection;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs projections over the ledger.
 *
 * <p><b>Asynchronous</b> projections follow an event store subscription. Each batch is applied in
 * one transaction together with the projection's checkpoint; that transaction first locks the
 * checkpoint row and skips what it already covers, so several server instances can run the same
 * projection on one database, and a restart resumes exactly where the last commit left off.
 *
 * <p><b>Inline</b> projections are applied by the event store inside the append's own transaction
 * ({@link #inline}); they need no checkpoint because they can never lag.
 *
 * <p><b>Rebuild</b> replays the whole ledger into fresh copies of a projection's tables while the
 * live tables keep serving, then catches the copies up and swaps them in by renaming, in one
 * transaction. For an asynchronous projection that transaction holds the checkpoint row, so no live
 * batch commits meanwhile. An inline projection is written by every append, so the transaction
 * first takes {@code LOCK TABLE events IN EXCLUSIVE MODE} (readers go on; appends wait): once it is
 * held, every append that wrote to the live tables has committed, and every later one waits and
 * writes to the swapped-in tables. The catch-up then reads every committed event after the replay
 * (not only those below the readers' horizon, which an append waiting on the lock holds back), so
 * nothing committed during the rebuild is lost. Appends pause for the catch-up and the rename only:
 * the replay is run twice before the lock, the second time over what came in during the first.
 */
public final class ProjectionRunner {
  private static final Logger log = LoggerFactory.getLogger(ProjectionRunner.class);
  private static final int BATCH = 1000;
  /** How long a rebuild's swap waits for appends to let it lock the events table before it gives up. */
  static final Duration SWAP_LOCK_TIMEOUT = Duration.ofSeconds(10);
  private static final String READ_COMMITTED = "SELECT position, txid, event_id, stream_id, version, type, payload,"
      + " metadata, recorded_at, prev_hash, hash FROM events WHERE (txid, position) > ($1, $2)"
      + " ORDER BY txid, position LIMIT $3";

  private final EventStore store;
  private final Pool pool;
  private final Map<String, Projection> projections = new LinkedHashMap<>();
  private final Map<String, Boolean> inline = new LinkedHashMap<>();
  private final Map<String, EventStore.Subscription> running = new ConcurrentHashMap<>();

  public ProjectionRunner(EventStore store) {
    this.store = store;
    this.pool = store.pool();
  }

  /** Wraps a projection to be applied in the append transaction, and remembers it for status and rebuild. */
  public InlineProjection inline(Projection p) {
    projections.put(p.name(), p);
    inline.put(p.name(), true);
    TableNames live = TableNames.live(p);
    return new InlineProjection() {
      @Override
      public String name() {
        return p.name();
      }

      @Override
      public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
        return p.apply(tx, live, events);
      }
    };
  }

  public Map<String, Projection> projections() {
    return projections;
  }

  /** Starts following the ledger from the projection's checkpoint. */
  public Future<Void> start(Projection p) {
    projections.put(p.name(), p);
    inline.put(p.name(), false);
    TableNames live = TableNames.live(p);
    return ensureCheckpoint(p.name()).map(from -> {
      EventStore.Subscription s = store.subscribe(from, BATCH, events -> applyBatch(p, live, events));
      running.put(p.name(), s);
      return null;
    });
  }

  public void stop(String name) {
    EventStore.Subscription s = running.remove(name);
    if (s != null) {
      s.cancel();
    }
  }

  public void stopAll() {
    new ArrayList<>(running.keySet()).forEach(this::stop);
  }

  private Future<GlobalPosition> ensureCheckpoint(String name) {
    return pool.preparedQuery("INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .execute(Tuple.of(name))
        .compose(v -> checkpoint(name));
  }

  public Future<GlobalPosition> checkpoint(String name) {
    return pool.preparedQuery("SELECT txid, position FROM projection_checkpoints WHERE name = $1")
        .execute(Tuple.of(name))
        .map(rows -> rows.size() == 0 ? GlobalPosition.START
            : new GlobalPosition(rows.iterator().next().getLong(0), rows.iterator().next().getLong(1)));
  }

  private Future<Void> applyBatch(Projection p, TableNames tables, List<RecordedEvent> events) {
    return pool.withTransaction(tx -> lockCheckpoint(tx, p.name()).compose(cp -> {
      List<RecordedEvent> fresh = after(events, cp);
      if (fresh.isEmpty()) {
        return Future.succeededFuture();
      }
      return p.apply(tx, tables, fresh)
          .compose(v -> saveCheckpoint(tx, p.name(), fresh.get(fresh.size() - 1).commitOrder()));
    })).onFailure(err -> log.warn("Projection {} failed to apply events after {}", p.name(),
        events.get(0).commitOrder(), err));
  }

  private static List<RecordedEvent> after(List<RecordedEvent> events, GlobalPosition cp) {
    int i = 0;
    while (i < events.size() && events.get(i).commitOrder().compareTo(cp) <= 0) {
      i++;
    }
    return i == 0 ? events : events.subList(i, events.size());
  }

  private static Future<GlobalPosition> lockCheckpoint(SqlConnection tx, String name) {
    return tx.preparedQuery("SELECT txid, position FROM projection_checkpoints WHERE name = $1 FOR UPDATE")
        .execute(Tuple.of(name))
        .map(rows -> {
          if (rows.size() == 0) {
            throw new IllegalStateException("projection " + name + " has no checkpoint row");
          }
          Row r = rows.iterator().next();
          return new GlobalPosition(r.getLong(0), r.getLong(1));
        });
  }

  private static Future<Void> saveCheckpoint(SqlConnection tx, String name, GlobalPosition p) {
    return tx.preparedQuery("UPDATE projection_checkpoints SET txid = $2, position = $3, updated_at = now() WHERE name = $1")
        .execute(Tuple.of(name, p.txid(), p.position())).mapEmpty();
  }

  // ---------------------------------------------------------------- status

  public Future<List<ProjectionStatus>> status() {
    List<Future<ProjectionStatus>> all = new ArrayList<>();
    for (Projection p : projections.values()) {
      all.add(status(p.name()));
    }
    return Future.all(all).map(cf -> {
      List<ProjectionStatus> out = new ArrayList<>();
      for (int i = 0; i < cf.size(); i++) {
        out.add(cf.resultAt(i));
      }
      return out;
    });
  }

  public Future<ProjectionStatus> status(String name) {
    if (Boolean.TRUE.equals(inline.get(name))) {
      return store.head().map(h -> new ProjectionStatus(name, true, h, 0, 0));
    }
    return checkpoint(name).compose(cp -> lag(pool, cp).map(l -> new ProjectionStatus(name, false, cp, l.events, l.seconds)));
  }

  private record Lag(long events, double seconds) {}

  private static Future<Lag> lag(Pool pool, GlobalPosition cp) {
    return pool.preparedQuery("SELECT count(*), min(recorded_at) FROM events WHERE (txid, position) > ($1, $2)")
        .execute(Tuple.of(cp.txid(), cp.position()))
        .map(rows -> {
          Row r = rows.iterator().next();
          long n = r.getLong(0);
          var oldest = r.getOffsetDateTime(1);
          double secs = oldest == null ? 0
              : Math.max(0, Duration.between(oldest.toInstant(), Instant.now()).toMillis() / 1000.0);
          return new Lag(n, secs);
        });
  }

  // ---------------------------------------------------------------- rebuild

  /** Creates empty copies of the projection's live tables (same columns, keys and indexes). */
  public Future<TableNames> createCopies(Projection p, String suffix) {
    TableNames copies = TableNames.withSuffix(p, suffix);
    Future<Void> f = Future.succeededFuture();
    for (var e : copies.all().entrySet()) {
      f = f.compose(v -> pool.query("DROP TABLE IF EXISTS " + e.getValue()).execute().mapEmpty())
          .compose(v -> pool.query("CREATE TABLE " + e.getValue() + " (LIKE " + e.getKey() + " INCLUDING ALL)")
              .execute().mapEmpty());
    }
    return f.map(copies);
  }

  /**
   * Replays every readable event after {@code from} into {@code target}, a page a transaction.
   * Returns the position of the last event applied ({@code from} when there was none).
   */
  public Future<GlobalPosition> replay(Projection p, TableNames target, GlobalPosition from) {
    return replay(p, target, from, n -> {});
  }

  /** As {@link #replay(Projection, TableNames, GlobalPosition)}, telling {@code progress} how many events each page held. */
  public Future<GlobalPosition> replay(Projection p, TableNames target, GlobalPosition from, LongConsumer progress) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(p, target, from, done, pool::withTransaction, at -> store.readAll(at, BATCH), progress);
    // The projection's retention rule (if any) applies to a replay as it did to the live tables.
    return done.future().compose(last -> p.afterReplay(pool, target).map(last));
  }

  private void replayPage(Projection p, TableNames target, GlobalPosition from, Promise<GlobalPosition> done,
      Function<Function<SqlConnection, Future<Void>>, Future<Void>> inTx,
      Function<GlobalPosition, Future<List<RecordedEvent>>> read, LongConsumer progress) {
    read.apply(from).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      List<RecordedEvent> events = ar.result();
      if (events.isEmpty()) {
        done.complete(from);
        return;
      }
      GlobalPosition last = events.get(events.size() - 1).commitOrder();
      inTx.apply(tx -> p.apply(tx, target, events)).onComplete(applied -> {
        if (applied.failed()) {
          done.fail(applied.cause());
          return;
        }
        progress.accept(events.size());
        if (events.size() < BATCH) {
          done.complete(last);
        } else {
          replayPage(p, target, last, done, inTx, read, progress);
        }
      });
    });
  }

  /** Whether {@code name} is written inline with the appends (false for asynchronous or unknown ones). */
  public boolean isInline(String name) {
    return Boolean.TRUE.equals(inline.get(name));
  }

  /**
   * Rebuilds a projection from position zero into fresh tables while the live ones keep serving,
   * then switches to them atomically (see the class comment). Returns the position the new tables
   * cover.
   */
  public Future<GlobalPosition> rebuild(String name) {
    return rebuild(name, n -> {});
  }

  /** As {@link #rebuild(String)}, telling {@code progress} how many events each replayed page held. */
  public Future<GlobalPosition> rebuild(String name, LongConsumer progress) {
    return rebuild(name, progress, Future::succeededFuture);
  }

  /**
   * As {@link #rebuild(String, LongConsumer)}, running {@code beforeSwap} after the replay and
   * before the swap's lock: tests append there, in the window whose events the catch-up must find.
   */
  public Future<GlobalPosition> rebuild(String name, LongConsumer progress, Supplier<Future<Void>> beforeSwap) {
    Projection p = projections.get(name);
    if (p == null) {
      return Future.failedFuture(new IllegalArgumentException("no projection named " + name));
    }
    if (isInline(name)) {
      return createCopies(p, TableNames.REBUILD_SUFFIX)
          .compose(copies -> replay(p, copies, GlobalPosition.START, progress)
              // What came in during the first pass, so that appends wait only for the rest.
              .compose(upTo -> replay(p, copies, upTo, progress))
              .compose(upTo -> beforeSwap.get().map(upTo))
              .compose(upTo -> pool.withTransaction(tx -> tx.query("SET LOCAL lock_timeout = '"
                      + SWAP_LOCK_TIMEOUT.toMillis() + "ms'").execute()
                  .compose(v -> tx.query("LOCK TABLE events IN EXCLUSIVE MODE").execute())
                  .compose(v -> catchUpCommitted(tx, p, copies, upTo, progress))
                  .compose(last -> swap(tx, copies).map(last)))));
    }
    return createCopies(p, TableNames.REBUILD_SUFFIX).compose(copies -> replay(p, copies, GlobalPosition.START, progress)
        .compose(upTo -> beforeSwap.get().map(upTo))
        .compose(upTo -> pool.withTransaction(tx -> lockCheckpoint(tx, name)
            // Holding the checkpoint row, no live batch can commit: catch the copies up, then swap.
            .compose(cp -> catchUp(tx, p, copies, upTo, progress))
            .compose(last -> swap(tx, copies).compose(v -> saveCheckpoint(tx, name, last)).map(last)))));
  }

  private Future<GlobalPosition> catchUp(SqlConnection tx, Projection p, TableNames copies, GlobalPosition from,
      LongConsumer progress) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(p, copies, from, done, work -> work.apply(tx), at -> store.readAll(at, BATCH), progress);
    return done.future();
  }

  /**
   * Every committed event after {@code from}, read in {@code tx} in commit order without the
   * readers' horizon: with the events table locked against appends, what is committed is final.
   */
  private Future<GlobalPosition> catchUpCommitted(SqlConnection tx, Projection p, TableNames copies,
      GlobalPosition from, LongConsumer progress) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(p, copies, from, done, work -> work.apply(tx), at -> tx.preparedQuery(READ_COMMITTED)
        .execute(Tuple.of(at.txid(), at.position(), BATCH)).map(rows -> {
          List<RecordedEvent> out = new ArrayList<>(rows.size());
          rows.forEach(r -> out.add(EventStore.toEvent(r)));
          return out;
        }), progress);
    return done.future();
  }

  /**
   * Renames the copies over the live tables, then gives the copies' indexes (and so their
   * constraints) the live ones' names, matched by definition: {@code CREATE TABLE ... LIKE}
   * names them after the copy, and a later migration that names an index must still find it.
   */
  private static Future<Void> swap(SqlConnection tx, TableNames copies) {
    Future<Void> f = Future.succeededFuture();
    for (var e : copies.all().entrySet()) {
      String live = e.getKey();
      String copy = e.getValue();
      f = f.compose(v -> indexes(tx, live).compose(liveIdx -> indexes(tx, copy).compose(copyIdx ->
          tx.query("ALTER TABLE " + live + " RENAME TO " + live + "__old").execute().mapEmpty()
              .compose(x -> tx.query("ALTER TABLE " + copy + " RENAME TO " + live).execute().mapEmpty())
              .compose(x -> tx.query("DROP TABLE " + live + "__old").execute().mapEmpty())
              .compose(x -> renameIndexes(tx, liveIdx, copyIdx)))));
    }
    return f;
  }

  /** A table's indexes: definition without its own and its table's name, to the index's name. */
  private static Future<Map<String, String>> indexes(SqlConnection tx, String table) {
    return tx.preparedQuery("SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
            + " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY i.relname")
        .execute(Tuple.of(table)).map(rows -> {
          Map<String, String> out = new LinkedHashMap<>();
          for (Row r : rows) {
            out.put(r.getString(1).replaceFirst("^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ", "$1"), r.getString(0));
          }
          return out;
        });
  }

  private static Future<Void> renameIndexes(SqlConnection tx, Map<String, String> live, Map<String, String> copy) {
    Future<Void> f = Future.succeededFuture();
    for (var e : copy.entrySet()) {
      String wanted = live.get(e.getKey());
      if (wanted != null && !wanted.equals(e.getValue())) {
        f = f.compose(v -> tx.query("ALTER INDEX " + e.getValue() + " RENAME TO " + wanted).execute().mapEmpty());
      }
    }
    return f;
  }
}
