package io.grantry.server.ops;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 * analysis, and analyzes them (each ANALYZE invalidates the plans cached for its table). Large
 * tables are left to autovacuum: there a new plan changes nothing. So the work is a catalog query
 * per interval and a few dozen ANALYZEs of small tables over a database's life. Several servers on
 * one database may analyze the same table twice; that is harmless.
 */
public final class GrowingTableAnalyzer {
  private static final Logger log = LoggerFactory.getLogger(GrowingTableAnalyzer.class);
  static final long MIN_CHANGES = 500;
  static final long SMALL_ROWS = 2_000_000;
  private static final int STATISTICS_TARGET = 10;

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
   * One check now: analyzes the tables that are due, and answers their names (none while a check
   * runs).
   */
  public Future<List<String>> analyzeDue() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(List.of());
    }
    return pool.query(DUE)
        .execute()
        .compose(
            rows -> {
              List<String> due = new ArrayList<>(rows.size());
              for (Row r : rows) {
                due.add(r.getString(0));
              }
              if (due.isEmpty()) {
                return Future.succeededFuture(due);
              }
              // Names come from the catalog, quoted by quote_ident: no input of anyone's reaches
              // this
              // statement. A sample of 3,000 rows instead of 30,000: what the plans need is the
              // table's
              // size (and the keys' spread), and the full sample of the ledger's jsonb cost ~0.5 s
              // of a
              // core per analysis under load. Autovacuum's own analyses still use the full target.
              return pool.query(
                      "BEGIN; SET LOCAL default_statistics_target = "
                          + STATISTICS_TARGET
                          + "; ANALYZE "
                          + String.join(", ", due)
                          + "; COMMIT")
                  .execute()
                  .map(
                      v -> {
                        log.debug("Analyzed growing tables {}", due);
                        return due;
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
}
