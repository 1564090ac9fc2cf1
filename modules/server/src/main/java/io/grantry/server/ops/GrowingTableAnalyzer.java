package io.grantry.server.ops;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the planner's statistics of small, growing tables current, so that the plans cached for the
 * hot statements follow the tables as they fill.
 *
 * <p>Why: the endpoints' statements are prepared once per connection, and after five executions
 * PostgreSQL may keep a <em>generic</em> plan, made with the table's size at that moment. On a new
 * database every table starts empty, and a plan made then for {@code UPDATE refresh_tokens ... FROM
 * unnest($1)} scans the whole table instead of probing its primary key. Nothing replans it until
 * the table's statistics change, and autovacuum first analyzes a table only after its naptime (a
 * minute by default) and then after 10% of it changed: on a fresh server, refresh with rotation ran
 * at a third of its speed for its first minute, the rotation's update reading every row of the
 * table for each token (measured with {@code ops/bench/pgwork.sh refresh}: 609 µs and 61 buffers
 * per refresh in that statement alone).
 *
 * <p>What: every {@code intervalMs} this asks {@code pg_stat_user_tables} for the tables of the
 * current schema that were never analyzed and have at least {@link #MIN_CHANGES} changed rows, or
 * that hold fewer than {@link #SMALL_ROWS} rows and changed by more than half since their last
 * analysis, and analyzes them, one at a time and only those no other transaction holds a lock on
 * (see {@link #analyze}; each ANALYZE invalidates the plans cached for its table). Large tables are
 * left to autovacuum: there a new plan changes nothing. So the work is a catalog query per interval
 * and a few dozen ANALYZEs of small tables over a database's life. Several servers on one database
 * may analyze the same table twice, or one may skip a table another is analyzing; that is harmless.
 */
public final class GrowingTableAnalyzer {
  private static final Logger log = LoggerFactory.getLogger(GrowingTableAnalyzer.class);
  static final long MIN_CHANGES = 500;
  static final long SMALL_ROWS = 2_000_000;
  private static final int STATISTICS_TARGET = 10;
  private static final String LOCK_NOT_AVAILABLE = "55P03";
  private static final String UNDEFINED_TABLE = "42P01";

  private static final String DUE =
      """
      SELECT quote_ident(s.relname) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze >= %d
        AND (c.reltuples < 0 OR (c.reltuples < %d AND s.n_mod_since_analyze > c.reltuples / 2))
      ORDER BY s.relname
      """
          .formatted(MIN_CHANGES, SMALL_ROWS);

  private final Vertx vertx;
  private final Pool pool;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timer = -1;
  private boolean warned;

  public GrowingTableAnalyzer(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** Checks every {@code intervalMs} (0: never). */
  public void start(long intervalMs) {
    if (intervalMs > 0) {
      timer = vertx.setPeriodic(intervalMs, id -> analyzeDue());
    }
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /**
   * One check now: analyzes the tables that are due, and answers the names of those it analyzed
   * (none while a check runs). A table some other transaction holds a conflicting lock on (a
   * rebuild swapping tables, a bulk load) is skipped, and so is one dropped since the catalog named
   * it: a later check finds it again.
   */
  public Future<List<String>> analyzeDue() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(List.of());
    }
    return pool.query(DUE)
        .execute()
        .compose(
            rows -> {
              List<String> analyzed = new ArrayList<>(rows.size());
              Future<Void> f = Future.succeededFuture();
              for (Row r : rows) {
                String table = r.getString(0);
                f =
                    f.compose(
                        v ->
                            analyze(table)
                                .map(
                                    done -> {
                                      if (done) {
                                        analyzed.add(table);
                                      }
                                      return null;
                                    }));
              }
              return f.map(
                  v -> {
                    if (!analyzed.isEmpty()) {
                      log.debug("Analyzed growing tables {}", analyzed);
                    }
                    return analyzed;
                  });
            })
        .onFailure(
            err -> {
              if (!warned) {
                warned = true;
                log.warn(
                    "Cannot analyze growing tables ({}); plans may lag behind them until autovacuum does",
                    err.toString());
              }
            })
        .eventually(
            () -> {
              running.set(false);
              return Future.succeededFuture();
            });
  }

  /**
   * Analyzes one table in a transaction of its own that waits for no lock: true when done, false
   * when the table was busy or is gone.
   *
   * <p>Why one table at a time and NOWAIT: a rebuild's swap ({@code ProjectionRunner}) locks the
   * events table against appends and then renames projection tables. One analysis of several tables
   * held the lock of each table it had analyzed until its commit; having analyzed access_tokens, it
   * waited for events behind the swap, which then waited for access_tokens: a deadlock, which
   * PostgreSQL broke by failing one of the two, the rebuild or the analysis. Here the analysis
   * holds at most the one table it analyzes, and takes even that only if it is free at once ({@code
   * LOCK ... NOWAIT}, the same lock ANALYZE takes), so it never waits behind a swap, nor makes one
   * wait for more than one table's sample.
   *
   * <p>And why through {@code withTransaction}: the failed analysis had been sent as one string
   * {@code BEGIN; ...; ANALYZE ...; COMMIT}, and PostgreSQL skips the rest of such a string at an
   * error, COMMIT included: the connection went back to the server's pool inside an aborted
   * transaction, and the requests that took it next answered 500 ("current transaction is
   * aborted"). {@code withTransaction} rolls back before it releases the connection.
   *
   * <p>Names come from the catalog, quoted by {@code quote_ident}: no input of anyone's reaches
   * these statements. A sample of 3,000 rows instead of 30,000: what the plans need is the table's
   * size (and the keys' spread), and the full sample of the ledger's jsonb cost ~0.5 s of a core
   * per analysis under load. Autovacuum's own analyses still use the full target.
   */
  private Future<Boolean> analyze(String table) {
    return pool.withTransaction(
            tx ->
                tx.query(
                        "SET LOCAL default_statistics_target = "
                            + STATISTICS_TARGET
                            + "; LOCK TABLE "
                            + table
                            + " IN SHARE UPDATE EXCLUSIVE MODE NOWAIT; ANALYZE "
                            + table)
                    .execute())
        .map(true)
        .recover(
            err -> {
              if (err instanceof PgException pg
                  && (LOCK_NOT_AVAILABLE.equals(pg.getSqlState())
                      || UNDEFINED_TABLE.equals(pg.getSqlState()))) {
                log.debug("Not analyzing {} now ({})", table, pg.getErrorMessage());
                return Future.succeededFuture(false);
              }
              return Future.failedFuture(err);
            });
  }
}
