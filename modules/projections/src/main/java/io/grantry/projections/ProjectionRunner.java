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
 * live tables keep serving (then lets the projection drop what its retention rule already dropped
 * from the live tables, {@link Projection#afterReplay}), then, holding the checkpoint row, catches
 * the copies up and swaps them in by renaming, in one transaction.
 */
public final class ProjectionRunner {
  private static final Logger log = LoggerFactory.getLogger(ProjectionRunner.class);
  private static final int BATCH = 1000;

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
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(p, target, from, done, pool::withTransaction);
    // The projection's retention rule (if any) applies to a replay as it did to the live tables.
    return done.future().compose(last -> p.afterReplay(pool, target).map(last));
  }

  private void replayPage(Projection p, TableNames target, GlobalPosition from, Promise<GlobalPosition> done,
      Function<Function<SqlConnection, Future<Void>>, Future<Void>> inTx) {
    store.readAll(from, BATCH).onComplete(ar -> {
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
        } else if (events.size() < BATCH) {
          done.complete(last);
        } else {
          replayPage(p, target, last, done, inTx);
        }
      });
    });
  }

  /**
   * Rebuilds an asynchronous projection from position zero into fresh tables while the live ones
   * keep serving, then switches to them atomically. Returns the position the new tables cover.
   */
  public Future<GlobalPosition> rebuild(String name) {
    Projection p = projections.get(name);
    if (p == null) {
      return Future.failedFuture(new IllegalArgumentException("no projection named " + name));
    }
    if (Boolean.TRUE.equals(inline.get(name))) {
      return Future.failedFuture(new IllegalArgumentException(
          "projection " + name + " is written inline with the appends; compare it with a replay instead"));
    }
    return createCopies(p, TableNames.REBUILD_SUFFIX).compose(copies -> replay(p, copies, GlobalPosition.START)
        .compose(upTo -> pool.withTransaction(tx -> lockCheckpoint(tx, name)
            // Holding the checkpoint row, no live batch can commit: catch the copies up, then swap.
            .compose(cp -> catchUp(tx, p, copies, upTo))
            .compose(last -> swap(tx, copies).compose(v -> saveCheckpoint(tx, name, last)).map(last)))));
  }

  private Future<GlobalPosition> catchUp(SqlConnection tx, Projection p, TableNames copies, GlobalPosition from) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(p, copies, from, done, work -> work.apply(tx));
    return done.future();
  }

  private static Future<Void> swap(SqlConnection tx, TableNames copies) {
    Future<Void> f = Future.succeededFuture();
    for (var e : copies.all().entrySet()) {
      String live = e.getKey();
      String copy = e.getValue();
      f = f.compose(v -> tx.query("ALTER TABLE " + live + " RENAME TO " + live + "__old").execute().mapEmpty())
          .compose(v -> tx.query("ALTER TABLE " + copy + " RENAME TO " + live).execute().mapEmpty())
          .compose(v -> tx.query("DROP TABLE " + live + "__old").execute().mapEmpty());
    }
    return f;
  }
}
