package io.grantry.projections;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.InlineProjection;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * live tables keep serving, then swaps them in: {@link ProjectionRebuild} says how; a {@link
 * FirstPass} can do its long first replay faster.
 */
public final class ProjectionRunner {
  private static final Logger log = LoggerFactory.getLogger(ProjectionRunner.class);
  private static final int BATCH = 1000;

  /**
   * How long a rebuild's swap waits for appends to let it lock the events table before it gives up.
   */
  static final Duration SWAP_LOCK_TIMEOUT = Duration.ofSeconds(10);

  private final EventStore store;
  private final Pool pool;
  private final Map<String, Projection> projections = new LinkedHashMap<>();
  private final Map<String, Boolean> inline = new LinkedHashMap<>();
  private final Map<String, EventStore.Subscription> running = new ConcurrentHashMap<>();
  private final ProjectionRebuild rebuilds;
  private volatile FirstPass firstPass;

  public ProjectionRunner(EventStore store) {
    this.store = store;
    this.pool = store.pool();
    this.rebuilds = new ProjectionRebuild(store);
  }

  /**
   * Lets rebuilds of inline projections do their first replay with {@code firstPass} (module {@code
   * grantry-rebuild}'s reads the ledger with COPY and folds it in memory). Without one (the
   * default) they replay statement by statement through the pool.
   */
  public ProjectionRunner firstPassBy(FirstPass firstPass) {
    this.firstPass = firstPass;
    return this;
  }

  /**
   * Wraps a projection to be applied in the append transaction, and remembers it for status and
   * rebuild.
   */
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

      @Override
      public Future<Void> applyNew(SqlConnection tx, List<RecordedEvent> events) {
        return p.applyNew(tx, live, events);
      }

      @Override
      public List<Insert> newInserts(List<RecordedEvent> events) {
        return p.newInserts(live, events);
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
    return ensureCheckpoint(p.name())
        .map(
            from -> {
              EventStore.Subscription s =
                  store.subscribe(from, BATCH, events -> applyBatch(p, live, events));
              running.put(p.name(), s);
              return null;
            });
  }

  /**
   * Registers an asynchronous projection without following the ledger (its checkpoint row created
   * when missing), so that a process that is not a server can {@link #rebuild(String) rebuild} it:
   * its tables replayed from the whole ledger and its checkpoint left at the end.
   */
  public Future<Void> register(Projection p) {
    projections.put(p.name(), p);
    inline.put(p.name(), false);
    return ensureCheckpoint(p.name()).mapEmpty();
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
    return pool.preparedQuery(
            "INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .execute(Tuple.of(name))
        .compose(v -> checkpoint(name));
  }

  public Future<GlobalPosition> checkpoint(String name) {
    return pool.preparedQuery("SELECT txid, position FROM projection_checkpoints WHERE name = $1")
        .execute(Tuple.of(name))
        .map(
            rows ->
                rows.size() == 0
                    ? GlobalPosition.START
                    : new GlobalPosition(
                        rows.iterator().next().getLong(0), rows.iterator().next().getLong(1)));
  }

  private Future<Void> applyBatch(Projection p, TableNames tables, List<RecordedEvent> events) {
    return pool.withTransaction(
            tx ->
                lockCheckpoint(tx, p.name())
                    .compose(
                        cp -> {
                          List<RecordedEvent> fresh = after(events, cp);
                          if (fresh.isEmpty()) {
                            return Future.succeededFuture();
                          }
                          return p.apply(tx, tables, fresh)
                              .compose(
                                  v ->
                                      saveCheckpoint(
                                          tx, p.name(), fresh.get(fresh.size() - 1).commitOrder()));
                        }))
        .onFailure(
            err ->
                log.warn(
                    "Projection {} failed to apply events after {}",
                    p.name(),
                    events.get(0).commitOrder(),
                    err));
  }

  private static List<RecordedEvent> after(List<RecordedEvent> events, GlobalPosition cp) {
    int i = 0;
    while (i < events.size() && events.get(i).commitOrder().compareTo(cp) <= 0) {
      i++;
    }
    return i == 0 ? events : events.subList(i, events.size());
  }

  static Future<GlobalPosition> lockCheckpoint(SqlConnection tx, String name) {
    return tx.preparedQuery(
            "SELECT txid, position FROM projection_checkpoints WHERE name = $1 FOR UPDATE")
        .execute(Tuple.of(name))
        .map(
            rows -> {
              if (rows.size() == 0) {
                throw new IllegalStateException("projection " + name + " has no checkpoint row");
              }
              Row r = rows.iterator().next();
              return new GlobalPosition(r.getLong(0), r.getLong(1));
            });
  }

  static Future<Void> saveCheckpoint(SqlConnection tx, String name, GlobalPosition p) {
    return tx.preparedQuery(
            "UPDATE projection_checkpoints SET txid = $2, position = $3, updated_at = now() WHERE name = $1")
        .execute(Tuple.of(name, p.txid(), p.position()))
        .mapEmpty();
  }

  // ---------------------------------------------------------------- status

  public Future<List<ProjectionStatus>> status() {
    List<Future<ProjectionStatus>> all = new ArrayList<>();
    for (Projection p : projections.values()) {
      all.add(status(p.name()));
    }
    return Future.all(all)
        .map(
            cf -> {
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
    return checkpoint(name)
        .compose(
            cp ->
                lag(pool, cp).map(l -> new ProjectionStatus(name, false, cp, l.events, l.seconds)));
  }

  private record Lag(long events, double seconds) {}

  private static Future<Lag> lag(Pool pool, GlobalPosition cp) {
    return pool.preparedQuery(
            "SELECT count(*), min(recorded_at) FROM events WHERE (txid, position) > ($1, $2)")
        .execute(Tuple.of(cp.txid(), cp.position()))
        .map(
            rows -> {
              Row r = rows.iterator().next();
              long n = r.getLong(0);
              var oldest = r.getOffsetDateTime(1);
              double secs =
                  oldest == null
                      ? 0
                      : Math.max(
                          0,
                          Duration.between(oldest.toInstant(), Instant.now()).toMillis() / 1000.0);
              return new Lag(n, secs);
            });
  }

  // ---------------------------------------------------------------- rebuild

  /** Creates empty copies of the projection's live tables (same columns, keys and indexes). */
  public Future<TableNames> createCopies(Projection p, String suffix) {
    return rebuilds.createCopies(p, suffix, true);
  }

  /**
   * Replays every readable event after {@code from} into {@code target}, a page a transaction.
   * Returns the position of the last event applied ({@code from} when there was none).
   */
  public Future<GlobalPosition> replay(Projection p, TableNames target, GlobalPosition from) {
    return rebuilds.replay(p, target, from, n -> {});
  }

  /**
   * Whether {@code name} is written inline with the appends (false for asynchronous or unknown
   * ones).
   */
  public boolean isInline(String name) {
    return Boolean.TRUE.equals(inline.get(name));
  }

  /**
   * Rebuilds a projection from position zero into fresh tables while the live ones keep serving,
   * then switches to them atomically ({@link ProjectionRebuild}). Returns the position the new
   * tables cover.
   */
  public Future<GlobalPosition> rebuild(String name) {
    return rebuild(name, n -> {});
  }

  /**
   * As {@link #rebuild(String)}, telling {@code progress} how many events each replayed page held.
   */
  public Future<GlobalPosition> rebuild(String name, LongConsumer progress) {
    return rebuild(name, progress, Future::succeededFuture);
  }

  /**
   * As {@link #rebuild(String, LongConsumer)}, running {@code beforeSwap} after the replay and
   * before the swap's lock: tests append there, in the window whose events the catch-up must find.
   */
  public Future<GlobalPosition> rebuild(
      String name, LongConsumer progress, Supplier<Future<Void>> beforeSwap) {
    Projection p = projections.get(name);
    if (p == null) {
      return Future.failedFuture(new IllegalArgumentException("no projection named " + name));
    }
    if (isInline(name)) {
      return rebuilds.rebuildInline(List.of(p), firstPass, progress, beforeSwap);
    }
    return rebuilds.rebuildFollowing(p, progress, beforeSwap);
  }

  /**
   * Rebuilds several inline projections together (every one when {@code names} is empty): one read
   * of the ledger feeds them all, and one transaction swaps them all in.
   */
  public Future<GlobalPosition> rebuildAll(
      List<String> names, LongConsumer progress, Supplier<Future<Void>> beforeSwap) {
    List<Projection> ps = new ArrayList<>();
    for (String n : names.isEmpty() ? new ArrayList<>(projections.keySet()) : names) {
      Projection p = projections.get(n);
      if (p == null) {
        return Future.failedFuture(new IllegalArgumentException("no projection named " + n));
      }
      if (!isInline(n)) {
        return Future.failedFuture(
            new IllegalArgumentException(
                n + " is not an inline projection;" + " rebuild it on its own"));
      }
      ps.add(p);
    }
    return rebuilds.rebuildInline(ps, firstPass, progress, beforeSwap);
  }

  /** Several projections as one: the union of their tables, each applied in turn to a page. */
  public static Projection composite(List<Projection> parts) {
    List<String> tables = new ArrayList<>();
    parts.forEach(p -> tables.addAll(p.tables()));
    return new Projection() {
      @Override
      public String name() {
        return String.join("+", parts.stream().map(Projection::name).toList());
      }

      @Override
      public List<String> tables() {
        return tables;
      }

      @Override
      public Future<Void> apply(SqlConnection tx, TableNames names, List<RecordedEvent> events) {
        Future<Void> f = Future.succeededFuture();
        for (Projection p : parts) {
          f = f.compose(v -> p.apply(tx, names, events));
        }
        return f;
      }

      @Override
      public Future<Void> afterReplay(SqlClient client, TableNames names) {
        Future<Void> f = Future.succeededFuture();
        for (Projection p : parts) {
          f = f.compose(v -> p.afterReplay(client, names));
        }
        return f;
      }
    };
  }
}
