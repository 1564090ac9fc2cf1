package io.grantry.server.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Projection lag for Prometheus: {@code grantry_projection_lag_events} and {@code
 * grantry_projection_lag_seconds} per projection. Inline projections are written in the append's
 * transaction and never lag (always 0); asynchronous ones are read from their checkpoints every few
 * seconds (a query per refresh, never per scrape).
 *
 * <p>The lag is estimated from positions, at a cost that does not grow with it: the first event
 * after the projection's checkpoint in commit order (one indexed read) and the ledger's highest
 * position (another). Events behind: the positions from that first event to the highest, so 0
 * exactly when the projection has applied everything, and otherwise an estimate, off both ways
 * (review 5, L3):
 *
 * <ul>
 *   <li>too high by the positions of appends that were rolled back (a sequence does not take back
 *       the values of a transaction that failed) and of events archived since;
 *   <li>too low under concurrent writers (two instances, or the checkpointer beside the token
 *       path): positions are drawn at insert and txids at a transaction's first write, so commit
 *       order is not position order, and the first unapplied event in commit order can have a
 *       higher position than other unapplied events, which are then not counted. A projection stuck
 *       on the last event of a long transaction can say 1 while a younger transaction's events wait
 *       too.
 * </ul>
 *
 * Seconds behind: the age of that first event (recorded_at follows commit order closely, not
 * exactly), which keeps growing while a projection is stuck, whatever the count says. Counting the
 * events instead read every one of them every 5 s, which while a projection caught up on a large
 * ledger was most of the database's reading (results/merkle.md); {@code grantry projections status
 * --exact} still counts them, on request.
 */
public final class ProjectionLagMetrics {
  /**
   * Each asynchronous projection's checkpoint ({@code txid}, {@code position}, {@code updated_at}),
   * the first event after it in commit order ({@code first_position}, its age {@code lag_seconds})
   * and the ledger's highest position ({@code last_position}): {@link #eventsBehind}.
   */
  public static final String LAG =
      """
      SELECT c.name, c.txid, c.position, c.updated_at, f.position AS first_position,
             (SELECT max(position) FROM events) AS last_position,
             coalesce(extract(epoch FROM now() - f.recorded_at), 0) AS lag_seconds
      FROM projection_checkpoints c
      LEFT JOIN LATERAL (SELECT e.position, e.recorded_at FROM events e
          WHERE (e.txid, e.position) > (c.txid, c.position)
          ORDER BY e.txid, e.position LIMIT 1) f ON true
      ORDER BY c.name""";

  private final MeterRegistry registry;
  private final Map<String, AtomicReference<double[]>> values = new ConcurrentHashMap<>();
  private long timer = -1;

  public ProjectionLagMetrics(MeterRegistry registry, List<String> inlineProjections) {
    this.registry = registry;
    inlineProjections.forEach(name -> gauge(name).set(new double[] {0, 0}));
  }

  private AtomicReference<double[]> gauge(String name) {
    return values.computeIfAbsent(
        name,
        n -> {
          AtomicReference<double[]> ref = new AtomicReference<>(new double[] {0, 0});
          Gauge.builder("grantry.projection.lag.events", ref, r -> r.get()[0])
              .tag("projection", n)
              .description("Events a projection has not applied yet")
              .register(registry);
          Gauge.builder("grantry.projection.lag.seconds", ref, r -> r.get()[1])
              .tag("projection", n)
              .description("Age of the oldest event a projection has not applied yet")
              .register(registry);
          return ref;
        });
  }

  public void start(Vertx vertx, Pool pool, long periodMillis) {
    timer = vertx.setPeriodic(0, periodMillis, id -> refresh(pool));
  }

  /** Reads every asynchronous projection's lag once and sets its gauges. */
  Future<Void> refresh(Pool pool) {
    return pool.query(LAG)
        .execute()
        .onSuccess(
            rows -> {
              for (Row r : rows) {
                gauge(r.getString("name")).set(new double[] {eventsBehind(r), secondsBehind(r)});
              }
            })
        .mapEmpty();
  }

  /**
   * The events a row of {@link #LAG} estimates its projection has not applied: 0 exactly when it
   * has applied everything (see the class comment for how far off it can be otherwise).
   */
  public static long eventsBehind(Row r) {
    Long first = r.getLong("first_position");
    Long last = r.getLong("last_position");
    return first == null ? 0 : Math.max(1, (last == null ? first : last) - first + 1);
  }

  /** The age in seconds of the first event a row of {@link #LAG} has not applied (0: none). */
  public static double secondsBehind(Row r) {
    return r.getLong("first_position") == null
        ? 0
        : Math.max(0, r.getNumeric("lag_seconds").doubleValue());
  }

  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
