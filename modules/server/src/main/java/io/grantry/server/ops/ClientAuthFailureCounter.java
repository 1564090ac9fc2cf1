package io.grantry.server.ops;

import io.grantry.server.http.RouteGroup;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts failed client authentications: a 401 from /token, /revoke or /introspect is always {@code
 * invalid_client} (RFC 6749 §5.2). Counted from the status as the headers go out, so the endpoints
 * and their authenticator need not know; the request pays one comparison and, on a failure, an
 * in-memory increment ({@link OpsCounters} carries it to the database later). Mount before the
 * endpoints' own routes.
 */
public final class ClientAuthFailureCounter implements RouteGroup {
  static final List<String> ENDPOINTS = List.of("token", "revoke", "introspect");
  private final MeterRegistry registry;

  public ClientAuthFailureCounter(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void mount(Router router) {
    Map<String, Counter> byPath = new HashMap<>();
    for (String endpoint : ENDPOINTS) {
      byPath.put("/" + endpoint, OpsMetrics.clientAuthFailures(registry, endpoint));
    }
    // A route without a path: one with a path would add itself to the route label of the HTTP
    // metrics ("/token>/token").
    router
        .route()
        .handler(
            ctx -> {
              Counter failures =
                  ctx.request().method() == HttpMethod.POST
                      ? byPath.get(ctx.request().path())
                      : null;
              if (failures != null) {
                ctx.addHeadersEndHandler(
                    v -> {
                      if (ctx.response().getStatusCode() == 401) {
                        failures.increment();
                      }
                    });
              }
              ctx.next();
            });
  }
}
