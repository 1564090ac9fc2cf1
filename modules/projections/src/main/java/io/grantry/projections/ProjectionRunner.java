package io.grantry.projections;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.InlineProjection;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

  /**
   * How long a rebuild's swap waits for appends to let it lock the events table before it gives up.
   */
  static final Duration SWAP_LOCK_TIMEOUT = Duration.ofSeconds(10);

  private static final String READ_COMMITTED =
      "SELECT position, txid, event_id, stream_id, version, type, payload,"
          + " metadata, recorded_at, prev_hash, hash FROM events WHERE (txid, position) > ($1, $2)"
          + " ORDER BY txid, position LIMIT $3";

  private final EventStore store;
  private final Pool pool;
  private final Map<String, Projection> projections = new LinkedHashMap<>();
  private final Map<String, Boolean> inline = new LinkedHashMap<>();
  private final Map<String, EventStore.Subscription> running = new ConcurrentHashMap<>();

  /** Opens a JDBC connection to the store's database (for a rebuild's bulk path). */
  @FunctionalInterface
  public interface Jdbc {
    Connection open() throws SQLException;
  }

  private volatile Jdbc jdbc;

  public ProjectionRunner(EventStore store) {
    this.store = store;
    this.pool = store.pool();
  }

  /**
   * Lets rebuilds take the bulk path: the first replay read with one COPY and, for projections with
   * a {@link Projection#bulkReplay()}, folded in memory and written with COPY into copies whose
   * indexes are built after the load. Without it (the default) rebuilds replay statement by
   * statement through the pool.
   */
  public ProjectionRunner bulkVia(Jdbc jdbc) {
    this.jdbc = jdbc;
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

  private static Future<GlobalPosition> lockCheckpoint(SqlConnection tx, String name) {
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

  private static Future<Void> saveCheckpoint(SqlConnection tx, String name, GlobalPosition p) {
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
    return createCopies(p, suffix, true);
  }

  /**
   * As {@link #createCopies(Projection, String)}; without {@code indexes}, no index nor key
   * constraint yet.
   */
  Future<TableNames> createCopies(Projection p, String suffix, boolean indexes) {
    TableNames copies = TableNames.withSuffix(p, suffix);
    Future<Void> f = Future.succeededFuture();
    for (var e : copies.all().entrySet()) {
      f =
          f.compose(v -> pool.query("DROP TABLE IF EXISTS " + e.getValue()).execute().mapEmpty())
              .compose(
                  v ->
                      pool.query(
                              "CREATE TABLE "
                                  + e.getValue()
                                  + " (LIKE "
                                  + e.getKey()
                                  + " INCLUDING ALL"
                                  + (indexes ? "" : " EXCLUDING INDEXES")
                                  + ")")
                          .execute()
                          .mapEmpty());
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

  /**
   * As {@link #replay(Projection, TableNames, GlobalPosition)}, telling {@code progress} how many
   * events each page held.
   */
  public Future<GlobalPosition> replay(
      Projection p, TableNames target, GlobalPosition from, LongConsumer progress) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(
        p,
        target,
        from,
        done,
        work -> pool.withTransaction(tx -> asyncCommit(tx).compose(v -> work.apply(tx))),
        at -> store.readAll(at, BATCH),
        progress);
    // The projection's retention rule (if any) applies to a replay as it did to the live tables.
    return done.future().compose(last -> p.afterReplay(pool, target).map(last));
  }

  private void replayPage(
      Projection p,
      TableNames target,
      GlobalPosition from,
      Promise<GlobalPosition> done,
      Function<Function<SqlConnection, Future<Void>>, Future<Void>> inTx,
      Function<GlobalPosition, Future<List<RecordedEvent>>> read,
      LongConsumer progress) {
    read.apply(from)
        .onComplete(
            ar -> {
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
              inTx.apply(tx -> p.apply(tx, target, events))
                  .onComplete(
                      applied -> {
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

  /**
   * A replay's page into fresh copies need not wait for its commit to reach the disk: the copies
   * are read by nobody until the swap, and the swap's transaction commits with the server's
   * durability ({@code synchronous_commit} on); its commit record is flushed only after every WAL
   * record before it, the copies' rows included, so once the swap is durable they are too. A crash
   * before the swap can lose pages of copies that were never live, and a rebuild starts by dropping
   * them anyway. It saves a WAL flush (an fsync) per page.
   */
  private static Future<Void> asyncCommit(SqlConnection tx) {
    return tx.query("SET LOCAL synchronous_commit = off").execute().mapEmpty();
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
   * then switches to them atomically (see the class comment). Returns the position the new tables
   * cover.
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
      return rebuildInline(List.of(p), progress, beforeSwap);
    }
    return createCopies(p, TableNames.REBUILD_SUFFIX)
        .compose(
            copies ->
                replay(p, copies, GlobalPosition.START, progress)
                    .compose(upTo -> beforeSwap.get().map(upTo))
                    .compose(
                        upTo ->
                            pool.withTransaction(
                                tx ->
                                    lockCheckpoint(tx, name)
                                        // Holding the checkpoint row, no live batch can commit:
                                        // catch the copies up, then swap.
                                        .compose(cp -> catchUp(tx, p, copies, upTo, progress))
                                        .compose(
                                            last ->
                                                swap(tx, copies)
                                                    .compose(v -> saveCheckpoint(tx, name, last))
                                                    .map(last)))));
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
    return rebuildInline(ps, progress, beforeSwap);
  }

  private Future<GlobalPosition> rebuildInline(
      List<Projection> ps, LongConsumer progress, Supplier<Future<Void>> beforeSwap) {
    Jdbc bulkJdbc = jdbc;
    Projection all = ps.size() == 1 ? ps.get(0) : composite(ps);
    Map<Projection, BulkReplay<?>> bulk = new LinkedHashMap<>();
    if (bulkJdbc != null) {
      for (Projection p : ps) {
        BulkReplay<?> b = p.bulkReplay();
        if (b != null) {
          bulk.put(p, b);
        }
      }
    }
    Map<Projection, TableNames> copyNames = new LinkedHashMap<>();
    Future<Void> created = Future.succeededFuture();
    for (Projection p : ps) {
      created =
          created.compose(
              v ->
                  createCopies(p, TableNames.REBUILD_SUFFIX, !bulk.containsKey(p))
                      .map(
                          t -> {
                            copyNames.put(p, t);
                            return null;
                          }));
    }
    return created.compose(
        v -> {
          TableNames copies = TableNames.union(copyNames.values());
          // Wall clock of the rebuild's steps after the first pass, logged at the end (the bulk
          // pass logs its own phases).
          long[] at = new long[5];
          at[0] = System.nanoTime();
          Future<GlobalPosition> first =
              bulkJdbc == null
                  ? replay(all, copies, GlobalPosition.START, progress)
                  : bulkReplay(bulkJdbc, ps, bulk, copyNames, progress)
                      .compose(
                          last -> {
                            at[1] = System.nanoTime();
                            return all.afterReplay(pool, copies).map(last);
                          });
          return first
              // What came in during the first pass, so that appends wait only for the rest.
              .compose(
                  upTo -> {
                    at[2] = System.nanoTime();
                    return replay(all, copies, upTo, progress);
                  })
              .compose(upTo -> beforeSwap.get().map(upTo))
              .compose(
                  upTo -> {
                    at[3] = System.nanoTime();
                    return pool.withTransaction(
                        tx ->
                            tx.query(
                                    "SET LOCAL lock_timeout = '"
                                        + SWAP_LOCK_TIMEOUT.toMillis()
                                        + "ms'")
                                .execute()
                                .compose(
                                    x -> tx.query("LOCK TABLE events IN EXCLUSIVE MODE").execute())
                                .compose(x -> catchUpCommitted(tx, all, copies, upTo, progress))
                                .compose(last -> swap(tx, copies).map(last)));
                  })
              .onSuccess(
                  last ->
                      log.info(
                          "Rebuild of {}: first pass {} ms (retention after it {} ms), second pass {} ms,"
                              + " catch-up under the lock and swap {} ms",
                          all.name(),
                          ((at[1] == 0 ? at[2] : at[1]) - at[0]) / 1_000_000,
                          at[1] == 0 ? 0 : (at[2] - at[1]) / 1_000_000,
                          (at[3] - at[2]) / 1_000_000,
                          (System.nanoTime() - at[3]) / 1_000_000));
        });
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

  /**
   * The first pass of a bulk rebuild, on a thread of its own: the ledger from the start in one
   * COPY, its JSON parsed on every core, the same pages of {@value #BATCH} events the statement
   * path would read handed in order to each projection's fold, or (projections without one) applied
   * statement by statement to their copies through the pool, a page a transaction, up to a few
   * pages ahead. Then the folds are written with COPY and the copies' indexes built, in one
   * transaction. Returns the position of the last event read.
   */
  private Future<GlobalPosition> bulkReplay(
      Jdbc jdbc,
      List<Projection> ps,
      Map<Projection, BulkReplay<?>> bulk,
      Map<Projection, TableNames> copyNames,
      LongConsumer progress) {
    List<Projection> statements = ps.stream().filter(p -> !bulk.containsKey(p)).toList();
    TableNames statementCopies = TableNames.union(statements.stream().map(copyNames::get).toList());
    Projection viaPool =
        statements.isEmpty()
            ? null
            : statements.size() == 1 ? statements.get(0) : composite(statements);
    // The projections that take decoded events: only the events one of them reads are decoded.
    List<Projection> decodedFor =
        ps.stream().filter(p -> !bulk.containsKey(p) || !bulk.get(p).readsRaw()).toList();
    List<BulkReplay<?>> folds = new ArrayList<>(bulk.values());
    Promise<GlobalPosition> done = Promise.promise();
    Thread t =
        new Thread(
            () -> {
              BulkTimings timing = new BulkTimings();
              timing.walStart(jdbc);
              try (Connection c = jdbc.open()) {
                c.setAutoCommit(false);
                timing.backend(c);
                ArrayDeque<Future<Void>> pending = new ArrayDeque<>();
                Future<Void>[] chain = new Future[] {Future.succeededFuture()};
                int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
                long[] count = {0};
                timing.start("read, decode, fold");
                GlobalPosition last =
                    LedgerCopy.pipeline(
                        c,
                        GlobalPosition.START,
                        LedgerCopy.Columns.REPLAY,
                        BATCH,
                        threads,
                        raws -> {
                          long c0 = BulkTimings.cpu();
                          List<RecordedEvent> out = new ArrayList<>();
                          if (!decodedFor.isEmpty()) {
                            for (LedgerCopy.Raw r : raws) {
                              for (Projection p : decodedFor) {
                                if (p.reads(r.streamId())) {
                                  out.add(r.decode());
                                  break;
                                }
                              }
                            }
                          }
                          long c1 = BulkTimings.cpu();
                          List<Object> prepared = new ArrayList<>(folds.size());
                          for (BulkReplay<?> b : folds) {
                            prepared.add(b.readsRaw() ? b.prepareRaw(raws) : b.prepare(out));
                          }
                          timing.decodeCpu.add(c1 - c0);
                          timing.prepareCpu.add(BulkTimings.cpu() - c1);
                          return new Prepared(out, prepared);
                        },
                        (raws, page) -> {
                          long c0 = BulkTimings.cpu();
                          List<RecordedEvent> events = page.events();
                          int i = 0;
                          for (BulkReplay<?> b : folds) {
                            applyPrepared(b, page.prepared().get(i++));
                          }
                          timing.foldCpu.add(BulkTimings.cpu() - c0);
                          if (viaPool != null && !events.isEmpty()) {
                            chain[0] =
                                chain[0].compose(
                                    v ->
                                        pool.withTransaction(
                                            tx ->
                                                asyncCommit(tx)
                                                    .compose(
                                                        x ->
                                                            viaPool.apply(
                                                                tx, statementCopies, events))));
                            pending.add(chain[0]);
                            while (pending.size() > 64) {
                              await(pending.poll());
                            }
                          }
                          progress.accept(raws.size());
                          count[0] += raws.size();
                          return true;
                        },
                        timing.readerCpu);
                c.commit();
                timing.heap();
                timing.start("statements of clients and users");
                for (Future<Void> f : pending) {
                  await(f);
                }
                timing.start("COPY into the copies, their indexes (" + threads + " connections)");
                writeFolds(jdbc, ps, bulk, copyNames, threads, timing);
                timing.start(null);
                timing.walEnd(jdbc);
                log.info(
                    "Bulk replay of {}: {} events\n{}",
                    ps.stream().map(Projection::name).toList(),
                    count[0],
                    timing.report());
                done.complete(last);
              } catch (Throwable err) {
                done.fail(err);
              }
            },
            "projection-bulk-replay");
    t.setDaemon(true);
    t.start();
    return done.future();
  }

  /**
   * Writes the folds' rows into their copies and builds the copies' indexes: each table (as the
   * folds split them, {@link BulkReplay#writes}) on a connection of its own, {@code threads} at a
   * time, in a transaction that truncates the empty copy (so COPY can write its rows frozen), loads
   * it and indexes it. Those commits need not wait for the disk ({@code synchronous_commit = off}):
   * nobody reads the copies before the swap, whose commit is durable and so flushes all the WAL
   * written before it, theirs included; a crash before it loses only copies the next rebuild drops.
   */
  private static void writeFolds(
      Jdbc jdbc,
      List<Projection> ps,
      Map<Projection, BulkReplay<?>> bulk,
      Map<Projection, TableNames> copyNames,
      int threads,
      BulkTimings timing)
      throws Exception {
    record Task(String live, String copy, BulkReplay.Write write) {}
    List<Task> tasks = new ArrayList<>();
    for (Projection p : ps) {
      BulkReplay<?> b = bulk.get(p);
      if (b == null) {
        continue;
      }
      TableNames copies = copyNames.get(p);
      for (var w : b.writes(copies).entrySet()) {
        tasks.add(new Task(w.getKey(), copies.of(w.getKey()), w.getValue()));
      }
    }
    ExecutorService exec =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(threads, tasks.size())),
            r -> {
              Thread t = new Thread(r, "projection-bulk-write");
              t.setDaemon(true);
              return t;
            });
    try {
      List<java.util.concurrent.Future<?>> running = new ArrayList<>();
      for (Task task : tasks) {
        running.add(
            exec.submit(
                () -> {
                  try (Connection w = jdbc.open()) {
                    w.setAutoCommit(false);
                    Path backend = BulkTimings.backendStat(w);
                    try (var st = w.createStatement()) {
                      st.execute("SET LOCAL synchronous_commit = off");
                      st.execute("SET LOCAL maintenance_work_mem = '512MB'");
                      st.execute("TRUNCATE " + task.copy());
                    }
                    long t0 = System.nanoTime();
                    long j0 = BulkTimings.cpu();
                    double b0 = BulkTimings.backendCpu(backend);
                    task.write().to(w);
                    long t1 = System.nanoTime();
                    long j1 = BulkTimings.cpu();
                    double b1 = BulkTimings.backendCpu(backend);
                    createIndexes(w, Map.of(task.live(), task.copy()));
                    w.commit();
                    double b2 = BulkTimings.backendCpu(backend);
                    timing.write(
                        task.live(),
                        (t1 - t0) / 1e9,
                        backend == null ? -1 : b1 - b0,
                        (System.nanoTime() - t1) / 1e9,
                        backend == null ? -1 : b2 - b1,
                        (j1 - j0) / 1e9);
                  }
                  return null;
                }));
      }
      for (var f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception ex ? ex : e;
        }
      }
    } finally {
      exec.shutdownNow();
    }
  }

  private record Prepared(List<RecordedEvent> events, List<Object> prepared) {}

  @SuppressWarnings("unchecked")
  private static <P> void applyPrepared(BulkReplay<P> b, Object prepared) {
    b.apply((P) prepared);
  }

  private static void await(Future<Void> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  /**
   * Gives bulk-loaded copies the live tables' indexes and key constraints (built after the load:
   * one sort per index instead of an index insertion per row). Names are the copy's own; the swap
   * renames them to the live ones by definition.
   */
  private static void createIndexes(Connection c, Map<String, String> liveToCopy)
      throws SQLException {
    for (var e : liveToCopy.entrySet()) {
      String live = e.getKey();
      String copy = e.getValue();
      List<String> ddl = new ArrayList<>();
      try (var ps =
          c.prepareStatement(
              "SELECT pg_get_indexdef(x.indexrelid), con.contype, pg_get_constraintdef(con.oid)"
                  + " FROM pg_index x LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid"
                  + " AND con.contype IN ('p', 'u', 'x') WHERE x.indrelid = ?::regclass ORDER BY x.indexrelid")) {
        ps.setString(1, live);
        try (var rs = ps.executeQuery()) {
          int i = 0;
          while (rs.next()) {
            String name = copy + "_i" + i++;
            if (rs.getString(2) != null) {
              ddl.add("ALTER TABLE " + copy + " ADD CONSTRAINT " + name + " " + rs.getString(3));
            } else {
              ddl.add(
                  rs.getString(1)
                      .replaceFirst(
                          "^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ",
                          "CREATE $1INDEX " + name + " ON " + copy + " "));
            }
          }
        }
      }
      try (var st = c.createStatement()) {
        for (String d : ddl) {
          st.execute(d);
        }
      }
    }
  }

  private Future<GlobalPosition> catchUp(
      SqlConnection tx,
      Projection p,
      TableNames copies,
      GlobalPosition from,
      LongConsumer progress) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(
        p, copies, from, done, work -> work.apply(tx), at -> store.readAll(at, BATCH), progress);
    return done.future();
  }

  /**
   * Every committed event after {@code from}, read in {@code tx} in commit order without the
   * readers' horizon: with the events table locked against appends, what is committed is final.
   */
  private Future<GlobalPosition> catchUpCommitted(
      SqlConnection tx,
      Projection p,
      TableNames copies,
      GlobalPosition from,
      LongConsumer progress) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(
        p,
        copies,
        from,
        done,
        work -> work.apply(tx),
        at ->
            tx.preparedQuery(READ_COMMITTED)
                .execute(Tuple.of(at.txid(), at.position(), BATCH))
                .map(
                    rows -> {
                      List<RecordedEvent> out = new ArrayList<>(rows.size());
                      rows.forEach(r -> out.add(EventStore.toEvent(r)));
                      return out;
                    }),
        progress);
    return done.future();
  }

  /**
   * Renames the copies over the live tables, then gives the copies' indexes (and so their
   * constraints) the live ones' names, matched by definition: {@code CREATE TABLE ... LIKE} names
   * them after the copy, and a later migration that names an index must still find it.
   */
  private static Future<Void> swap(SqlConnection tx, TableNames copies) {
    Future<Void> f = Future.succeededFuture();
    for (var e : copies.all().entrySet()) {
      String live = e.getKey();
      String copy = e.getValue();
      f =
          f.compose(
              v ->
                  indexes(tx, live)
                      .compose(
                          liveIdx ->
                              indexes(tx, copy)
                                  .compose(
                                      copyIdx ->
                                          tx.query(
                                                  "ALTER TABLE "
                                                      + live
                                                      + " RENAME TO "
                                                      + live
                                                      + "__old")
                                              .execute()
                                              .mapEmpty()
                                              .compose(
                                                  x ->
                                                      tx.query(
                                                              "ALTER TABLE "
                                                                  + copy
                                                                  + " RENAME TO "
                                                                  + live)
                                                          .execute()
                                                          .mapEmpty())
                                              .compose(
                                                  x ->
                                                      tx.query("DROP TABLE " + live + "__old")
                                                          .execute()
                                                          .mapEmpty())
                                              .compose(x -> renameIndexes(tx, liveIdx, copyIdx)))));
    }
    return f;
  }

  /** A table's indexes: definition without its own and its table's name, to the index's name. */
  private static Future<Map<String, String>> indexes(SqlConnection tx, String table) {
    return tx.preparedQuery(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                + " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY i.relname")
        .execute(Tuple.of(table))
        .map(
            rows -> {
              Map<String, String> out = new LinkedHashMap<>();
              for (Row r : rows) {
                out.put(
                    r.getString(1).replaceFirst("^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ", "$1"),
                    r.getString(0));
              }
              return out;
            });
  }

  private static Future<Void> renameIndexes(
      SqlConnection tx, Map<String, String> live, Map<String, String> copy) {
    Future<Void> f = Future.succeededFuture();
    for (var e : copy.entrySet()) {
      String wanted = live.get(e.getKey());
      if (wanted != null && !wanted.equals(e.getValue())) {
        f =
            f.compose(
                v ->
                    tx.query("ALTER INDEX " + e.getValue() + " RENAME TO " + wanted)
                        .execute()
                        .mapEmpty());
      }
    }
    return f;
  }
}
