package io.grantry.server.health;

import io.grantry.server.ServerResources;
import io.grantry.server.http.RouteGroup;
import io.vertx.ext.web.Router;

/** {@code /metrics} in the Prometheus text format. */
public final class MetricsRoutes implements RouteGroup {
  private final ServerResources resources;

  public MetricsRoutes(ServerResources resources) {
    this.resources = resources;
  }

  @Override
  public void mount(Router router) {
    router
        .get("/metrics")
        .handler(
            ctx ->
                ctx.vertx()
                    // Scraping formats every meter; keep it off the event loop.
                    .executeBlocking(() -> resources.registry().scrape(), false)
                    .onSuccess(
                        text ->
                            ctx.response()
                                .putHeader(
                                    "Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                                .end(text))
                    .onFailure(ctx::fail));
  }
}
