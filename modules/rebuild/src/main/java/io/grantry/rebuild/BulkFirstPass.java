package io.grantry.rebuild;

import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.FirstPass;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.TableNames;
import io.grantry.server.consents.ConsentsProjection;
import io.grantry.server.tokenstate.TokenStateProjection;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fast first pass of a rebuild ({@code grantry projections rebuild}): the ledger read from the
 * start with one binary COPY, each page's JSON parsed on every core, and the same pages the
 * statement replay would read ({@link FirstPass#PAGE_SIZE}) handed in commit order to each
 * projection's {@link Fold}: token state ({@link TokenStateFold}) and consents ({@link
 * ConsentsFold}), folded in memory and then written with COPY into copies indexed after the load
 * ({@link CopyWrites}). The other projections (clients, users, sessions: few rows, and their rows
 * change rarely) take their statements through the pool on the same read, a page a transaction, a
 * few pages ahead. A 5-million-event ledger is rebuilt at about 100,000 events/s on two cores
 * (ops/bench/replay.sh), where the statement replay managed about 8,000.
 *
 * <p>Memory is bounded by the heap, not by the ledger: the token-state fold holds its rows in
 * memory, about 300 bytes an event of the ledger ({@link #FOLD_BYTES_PER_EVENT}), so a ledger too
 * big for half of the heap has that fold made in parts ({@link #parts}), each from a read of the
 * ledger of its own (the first read feeds everything else as well), each part's rows written with
 * COPY before the next part is folded, and the copies indexed after the last part. A
 * 20-million-event ledger in a 3 GB heap takes four reads; up to ~5 million events, one.
 *
 * <p>This module exists so that the server holds one form of each projection's rules, its
 * statements, and the rebuild's second form of them (the folds, which only a rebuild from position
 * zero can use: see {@link TokenStateFold} for why the live projection cannot share one) sits apart
 * with the tests that hold it equal to the first: {@code TokenStateFoldTest} (random histories
 * through both) and {@code ProjectionRebuildTest} (a server's ledger rebuilt under traffic, against
 * a statement replay, row for row).
 *
 * <p>How long each step took is logged at INFO; where the CPU went is measured from outside by
 * ops/bench/replay.sh (by thread: the fold runs on {@code rebuild-fold}, the writes on {@code
 * rebuild-write}).
 */
public final class BulkFirstPass implements FirstPass {
  private static final Logger log = LoggerFactory.getLogger(BulkFirstPass.class);

  /** Opens a JDBC connection to the ledger's database (COPY is not in the Vert.x client). */
  @FunctionalInterface
  public interface Jdbc {
    Connection open() throws SQLException;
  }

  /**
   * The heap the folds take per event of the ledger, at most: the token-state fold of a 5,000,091-
   * event ledger of {@code ops/bench/ledger.sh} held 1.5 GB after its last page (its arrays grown
   * by doubling; results/replay.md), 300 bytes an event. Counted on every event (not only grant
   * events), so an estimate from above.
   */
  static final long FOLD_BYTES_PER_EVENT = 300;

  private final Jdbc jdbc;
  private final Map<String, Fold.Parts> folds;

  /** The number of parts when fixed ({@link #inParts}), 0 to work it out from the heap. */
  private final int fixedParts;

  BulkFirstPass(Jdbc jdbc, Map<String, Fold.Parts> folds, int fixedParts) {
    this.jdbc = jdbc;
    this.folds = folds;
    this.fixedParts = fixedParts;
  }

  /** With the folds of the server's inline projections (token state and consents). */
  public static BulkFirstPass of(Jdbc jdbc) {
    return new BulkFirstPass(
        jdbc,
        Map.of(
            TokenStateProjection.NAME,
            TokenStateFold::new,
            ConsentsProjection.NAME,
            Fold.Parts.whole(ConsentsFold::new)),
        0);
  }

  /**
   * The same, with the folds that can be split made in {@code parts} parts whatever the ledger's
   * size and the heap (tests; a rebuild works the number out: {@link #parts}).
   */
  BulkFirstPass inParts(int parts) {
    if (parts < 1) {
      throw new IllegalArgumentException("parts: " + parts);
    }
    return new BulkFirstPass(jdbc, folds, parts);
  }

  /**
   * In how many parts the token-state fold is made, each from a read of the ledger of its own, so
   * that a part's rows fit in half of the heap ({@code heap}: the rest is for the pages in flight,
   * the other folds and the arrays' growth) for a ledger of {@code events} events: memory bounded
   * by the heap whatever the ledger's size, at the cost of a read of the ledger per part (one for
   * ledgers up to ~5 million events in a 3 GB heap).
   */
  static int parts(long events, long heap) {
    long budget = Math.max(1, heap / 2);
    return (int) Math.max(1, Math.min(4096, (events * FOLD_BYTES_PER_EVENT + budget - 1) / budget));
  }

  @Override
  public boolean writesInBulk(Projection p) {
    return folds.containsKey(p.name());
  }

  /** Runs on a thread of its own ({@code rebuild-fold}): the JDBC reading and writing block. */
  @Override
  public Future<GlobalPosition> run(
      Pool pool,
      List<Projection> projections,
      Map<Projection, TableNames> copies,
      LongConsumer progress) {
    Map<Projection, Fold.Parts> bulk = new LinkedHashMap<>();
    List<Projection> statements = new ArrayList<>();
    for (Projection p : projections) {
      if (writesInBulk(p)) {
        bulk.put(p, folds.get(p.name()));
      } else {
        statements.add(p);
      }
    }
    Promise<GlobalPosition> done = Promise.promise();
    Thread t =
        new Thread(
            () -> {
              try {
                done.complete(pass(pool, bulk, statements, copies, progress));
              } catch (Throwable err) {
                done.fail(err);
              }
            },
            "rebuild-fold");
    t.setDaemon(true);
    t.start();
    return done.future();
  }

  private GlobalPosition pass(
      Pool pool,
      Map<Projection, Fold.Parts> makers,
      List<Projection> statements,
      Map<Projection, TableNames> copies,
      LongConsumer progress)
      throws Exception {
    long t0 = System.nanoTime();
    Projection viaPool =
        statements.isEmpty()
            ? null
            : statements.size() == 1 ? statements.get(0) : ProjectionRunner.composite(statements);
    TableNames statementCopies = TableNames.union(statements.stream().map(copies::get).toList());
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    ArrayDeque<Future<Void>> pending = new ArrayDeque<>();
    AtomicReference<Future<Void>> chain = new AtomicReference<>(Future.succeededFuture());
    long[] count = {0};
    GlobalPosition last;
    try (Connection c = jdbc.open()) {
      c.setAutoCommit(false);
      boolean splits = makers.values().stream().anyMatch(Fold.Parts::splits);
      int parts = splits ? fixedParts : 1;
      if (parts == 0) {
        long events;
        try (var st = c.createStatement();
            var rs = st.executeQuery("SELECT coalesce(max(position), 0) FROM events")) {
          rs.next();
          events = rs.getLong(1);
        }
        parts = parts(events, Runtime.getRuntime().maxMemory());
        log.info(
            "Rebuild's first pass: up to {} events, a heap of {} MB: folds in {} part(s)",
            events,
            Runtime.getRuntime().maxMemory() >> 20,
            parts);
      }
      Map<Projection, Fold<?>> bulk = new LinkedHashMap<>();
      for (var e : makers.entrySet()) {
        bulk.put(e.getKey(), e.getValue().of(0, parts));
      }
      List<Fold<?>> all = new ArrayList<>(bulk.values());
      last =
          LedgerCopy.pipeline(
              c,
              GlobalPosition.START,
              LedgerCopy.Columns.REPLAY,
              PAGE_SIZE,
              threads,
              raws -> prepare(raws, statements, all),
              (raws, page) -> {
                for (int i = 0; i < all.size(); i++) {
                  apply(all.get(i), page.prepared().get(i));
                }
                if (viaPool != null && !page.events().isEmpty()) {
                  // Page after page, in order, each in a transaction of its own.
                  Future<Void> next =
                      chain
                          .get()
                          .compose(
                              v ->
                                  FirstPass.applyToCopies(
                                      pool, viaPool, statementCopies, page.events()));
                  chain.set(next);
                  pending.add(next);
                  while (pending.size() > 64) {
                    await(pending.poll());
                  }
                }
                progress.accept(raws.size());
                count[0] += raws.size();
                return true;
              });
      c.commit();
      for (Future<Void> f : pending) {
        await(f);
      }
      long t1 = System.nanoTime();
      log.info(
          "Rebuild's first pass: {} events read and folded in {} ms",
          count[0],
          (t1 - t0) / 1_000_000);
      Map<Projection, CopyWrites.Load> loads = new LinkedHashMap<>();
      for (var e : bulk.entrySet()) {
        boolean split = parts > 1 && makers.get(e.getKey()).splits();
        loads.put(e.getKey(), new CopyWrites.Load(e.getValue(), true, !split));
      }
      // Only the loads hold the first part's folds now, and only until they are written.
      bulk.clear();
      all.clear();
      write(loads, copies, threads, 0, parts, t1);
      loads.clear();
      for (int part = 1; part < parts; part++) {
        long t2 = System.nanoTime();
        Map<Projection, Fold<?>> more = new LinkedHashMap<>();
        for (var e : makers.entrySet()) {
          if (e.getValue().splits()) {
            more.put(e.getKey(), e.getValue().of(part, parts));
          }
        }
        again(c, new ArrayList<>(more.values()), last, count[0], threads);
        long t3 = System.nanoTime();
        log.info(
            "Rebuild's first pass: part {} of {}: {} events read again and folded in {} ms",
            part + 1,
            parts,
            count[0],
            (t3 - t2) / 1_000_000);
        Map<Projection, CopyWrites.Load> partLoads = new LinkedHashMap<>();
        for (var e : more.entrySet()) {
          partLoads.put(e.getKey(), new CopyWrites.Load(e.getValue(), false, part == parts - 1));
        }
        more.clear();
        write(partLoads, copies, threads, part, parts, t3);
        partLoads.clear();
      }
    }
    return last;
  }

  private void write(
      Map<Projection, CopyWrites.Load> loads,
      Map<Projection, TableNames> copies,
      int threads,
      int part,
      int parts,
      long since)
      throws Exception {
    CopyWrites.write(jdbc, loads, copies, threads);
    log.info(
        "Rebuild's first pass: {} written with COPY{} in {} ms",
        loads.keySet().stream().map(Projection::name).toList(),
        parts == 1 ? " and indexed" : " (part " + (part + 1) + " of " + parts + ")",
        (System.nanoTime() - since) / 1_000_000);
  }

  /**
   * A later part's read of the ledger: the same events as the first read, up to its last ({@code
   * last}, {@code events} of them), in the same pages (the ledger's pages from the start, cut after
   * {@code last}: whatever was appended since is the second pass's and is skipped), folded by
   * {@code folds}. Events older than the first read's last do not appear later (a reader sees only
   * transactions older than every running one), so the pages are the same unless events were
   * deleted meanwhile (an archive run): then the rebuild fails rather than fold other pages.
   */
  private static void again(
      Connection c, List<Fold<?>> folds, GlobalPosition last, long events, int threads)
      throws Exception {
    if (folds.isEmpty() || events == 0) {
      return;
    }
    long[] read = {0};
    GlobalPosition[] end = {GlobalPosition.START};
    LedgerCopy.pipeline(
        c,
        GlobalPosition.START,
        LedgerCopy.Columns.REPLAY,
        PAGE_SIZE,
        threads,
        raws -> prepare(upTo(raws, last), List.of(), folds),
        (raws, page) -> {
          // Read to the end rather than stop at the cut: a COPY stopped early is cancelled, and a
          // cancel may hit the connection's next statement (the next part's read). What follows
          // the cut is what was appended since the first read: little.
          List<LedgerCopy.Raw> mine = upTo(raws, last);
          if (!mine.isEmpty()) {
            for (int i = 0; i < folds.size(); i++) {
              apply(folds.get(i), page.prepared().get(i));
            }
            read[0] += mine.size();
            end[0] = mine.get(mine.size() - 1).commitOrder();
          }
          return true;
        });
    c.commit();
    if (read[0] != events || !end[0].equals(last)) {
      throw new IllegalStateException(
          "the ledger changed under the rebuild: a later read found "
              + read[0]
              + " events up to "
              + end[0]
              + " where the first found "
              + events
              + " up to "
              + last
              + " (events deleted meanwhile?); run the rebuild again");
    }
  }

  /** The events of {@code raws} up to {@code last} (a page is in commit order). */
  private static List<LedgerCopy.Raw> upTo(List<LedgerCopy.Raw> raws, GlobalPosition last) {
    int n = raws.size();
    while (n > 0 && raws.get(n - 1).commitOrder().compareTo(last) > 0) {
      n--;
    }
    return n == raws.size() ? raws : raws.subList(0, n);
  }

  /** A page as the stages leave it: the events the statements need, each fold's preparation. */
  private record Prepared(List<RecordedEvent> events, List<Object> prepared) {}

  /**
   * On any core: the page's events decoded for the statement projections that read them (only
   * those), and each fold's preparation.
   */
  private static Prepared prepare(
      List<LedgerCopy.Raw> raws, List<Projection> statements, List<Fold<?>> folds) {
    List<RecordedEvent> events = new ArrayList<>();
    for (LedgerCopy.Raw r : raws) {
      for (Projection p : statements) {
        if (p.reads(r.streamId())) {
          events.add(r.decode());
          break;
        }
      }
    }
    List<Object> prepared = new ArrayList<>(folds.size());
    for (Fold<?> f : folds) {
      prepared.add(f.prepare(raws));
    }
    return new Prepared(events, prepared);
  }

  @SuppressWarnings("unchecked")
  private static <P> void apply(Fold<P> f, Object prepared) {
    f.apply((P) prepared);
  }

  private static void await(Future<Void> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }
}
