package io.grantry.server.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
 */
public final class ProjectionLagMetrics {
  private static final String LAG =
      """
      SELECT c.name,
             (SELECT count(*) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS lag,
             coalesce(extract(epoch FROM now() - (SELECT min(recorded_at) FROM events e
                 WHERE (e.txid, e.position) > (c.txid, c.position))), 0) AS lag_seconds
      FROM projection_checkpoints c""";

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
    timer =
        vertx.setPeriodic(
            0,
            periodMillis,
            id ->
                pool.query(LAG)
                    .execute()
                    .onSuccess(
                        rows -> {
                          for (Row r : rows) {
                            gauge(r.getString("name"))
                                .set(
                                    new double[] {
                                      r.getLong("lag"), r.getNumeric("lag_seconds").doubleValue()
                                    });
                          }
                        }));
  }

  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
