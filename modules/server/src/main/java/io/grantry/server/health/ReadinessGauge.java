package io.grantry.server.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code grantry_ready}: 1 while the database answers and the migrations are applied (what {@code
 * /health/ready} says), else 0; checked every few seconds, never per scrape. A server whose
 * database is gone still answers {@code /metrics}, so an alert can tell "up but not ready" from
 * "down" ({@code up == 0}).
 */
public final class ReadinessGauge {
  private final AtomicInteger ready = new AtomicInteger();

  public ReadinessGauge(MeterRegistry registry) {
    Gauge.builder("grantry.ready", ready, AtomicInteger::get)
        .description("1 while the database answers and the migrations are applied")
        .register(registry);
  }

  public void start(Vertx vertx, Pool pool, AtomicBoolean migrated, long periodMillis) {
    vertx.setPeriodic(
        0,
        periodMillis,
        id ->
            pool.query("SELECT 1")
                .execute()
                .timeout(Math.min(2000, periodMillis), TimeUnit.MILLISECONDS)
                .onComplete(ar -> ready.set(ar.succeeded() && migrated.get() ? 1 : 0)));
  }
}
