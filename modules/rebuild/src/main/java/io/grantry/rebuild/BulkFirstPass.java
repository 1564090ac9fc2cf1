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
import java.util.function.Supplier;
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

  private final Jdbc jdbc;
  private final Map<String, Supplier<Fold<?>>> folds;

  BulkFirstPass(Jdbc jdbc, Map<String, Supplier<Fold<?>>> folds) {
    this.jdbc = jdbc;
    this.folds = folds;
  }

  /** With the folds of the server's inline projections (token state and consents). */
  public static BulkFirstPass of(Jdbc jdbc) {
    return new BulkFirstPass(
        jdbc,
        Map.of(
            TokenStateProjection.NAME, TokenStateFold::new,
            ConsentsProjection.NAME, ConsentsFold::new));
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
    Map<Projection, Fold<?>> bulk = new LinkedHashMap<>();
    List<Projection> statements = new ArrayList<>();
    for (Projection p : projections) {
      if (writesInBulk(p)) {
        bulk.put(p, folds.get(p.name()).get());
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
      Map<Projection, Fold<?>> bulk,
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
    List<Fold<?>> all = new ArrayList<>(bulk.values());
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    ArrayDeque<Future<Void>> pending = new ArrayDeque<>();
    AtomicReference<Future<Void>> chain = new AtomicReference<>(Future.succeededFuture());
    long[] count = {0};
    GlobalPosition last;
    try (Connection c = jdbc.open()) {
      c.setAutoCommit(false);
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
    }
    for (Future<Void> f : pending) {
      await(f);
    }
    long t1 = System.nanoTime();
    log.info(
        "Rebuild's first pass: {} events read and folded in {} ms",
        count[0],
        (t1 - t0) / 1_000_000);
    CopyWrites.write(jdbc, bulk, copies, threads);
    log.info(
        "Rebuild's first pass: {} written with COPY and indexed in {} ms",
        bulk.keySet().stream().map(Projection::name).toList(),
        (System.nanoTime() - t1) / 1_000_000);
    return last;
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
