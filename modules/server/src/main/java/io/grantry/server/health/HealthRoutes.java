package io.grantry.server.health;

import io.grantry.server.http.RouteGroup;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code /health/live}: the process answers. {@code /health/ready}: the database answers and the
 * migrations are applied; a load balancer sends traffic only while this is 200.
 */
public final class HealthRoutes implements RouteGroup {
  private final Pool pool;
  private final Duration dbTimeout;
  private final BooleanSupplier migrated;

  /**
   * @param migrated whether the migrations were applied by this process's start
   */
  public HealthRoutes(Pool pool, Duration dbTimeout, BooleanSupplier migrated) {
    this.pool = pool;
    this.dbTimeout = dbTimeout;
    this.migrated = migrated;
  }

  @Override
  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    // Below the request timeout (GRANTRY_DB_TIMEOUT_MS), so that readiness answers first.
    long timeout = Math.min(2000, dbTimeout.toMillis() / 2);
    Future<Boolean> db =
        pool.query("SELECT 1")
            .execute()
            .map(rows -> true)
            .timeout(timeout, TimeUnit.MILLISECONDS)
            .otherwise(false);
    db.onComplete(
        ar -> {
          boolean dbUp = ar.succeeded() && ar.result();
          boolean migrated = this.migrated.getAsBoolean();
          JsonObject checks =
              new JsonObject()
                  .put("database", dbUp ? "UP" : "DOWN")
                  .put("migrations", migrated ? "UP" : "DOWN");
          boolean up = dbUp && migrated;
          json(
              ctx,
              up ? 200 : 503,
              new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", checks));
        });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }
}
