package io.grantry.server.ops;

import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.RouteGroup;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts failed client authentications: a 401 from /token, /revoke or /introspect is always {@code
 * invalid_client} (RFC 6749 §5.2). Counted from the status as the headers go out, so the endpoints
 * and their authenticator need not know; the request pays one comparison and, on a failure, an
 * in-memory increment ({@link OpsCounters} carries it to the database later). Mount before the
 * endpoints' own routes. An aliased path (GRANTRY_ENDPOINT_ALIASES) counts as its endpoint.
 */
public final class ClientAuthFailureCounter implements RouteGroup {
  /** The endpoints that authenticate clients, and the name each is counted under. */
  static final Map<Endpoint, String> ENDPOINTS =
      Map.of(
          Endpoint.TOKEN, "token",
          Endpoint.REVOCATION, "revoke",
          Endpoint.INTROSPECTION, "introspect");

  private final MeterRegistry registry;
  private final EndpointPaths paths;

  public ClientAuthFailureCounter(MeterRegistry registry, EndpointPaths paths) {
    this.registry = registry;
    this.paths = paths;
  }

  @Override
  public void mount(Router router) {
    Map<String, Counter> byPath = new HashMap<>();
    ENDPOINTS.forEach(
        (endpoint, name) -> {
          Counter failures = OpsMetrics.clientAuthFailures(registry, name);
          paths.paths(endpoint).forEach(path -> byPath.put(path, failures));
        });
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
