package io.grantry.cli;

import io.grantry.resource.ResourceServer;
import io.grantry.resource.ResourceServerOptions;
import io.grantry.resource.TokenPrincipal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * A small API protected by the resource-server kit (modules/resource), as an integrator would write
 * one: {@code GET /notes} needs the scope {@code notes:read}, {@code POST /notes} needs {@code
 * notes:write}; each answers who called (the token's principal). It keeps no notes: it shows the
 * kit, not a notes service. {@code grantry example-api} runs it; ResourceKitEndToEndTest uses it as
 * the independent verifier of every kind of token Grantry issues.
 */
public final class ExampleApi {
  public static final String READ = "notes:read";
  public static final String WRITE = "notes:write";

  private final ResourceServer kit;
  private final HttpServer http;

  private ExampleApi(ResourceServer kit, HttpServer http) {
    this.kit = kit;
    this.http = http;
  }

  /** Reads the issuer's documents, then listens on {@code host:port} (0: any free port). */
  public static Future<ExampleApi> start(
      Vertx vertx, ResourceServerOptions options, String host, int port) {
    return ResourceServer.create(vertx, options)
        .compose(
            kit -> {
              Router router = Router.router(vertx);
              router.get("/notes").handler(kit.require(READ)).handler(ExampleApi::whoCalled);
              router.post("/notes").handler(kit.require(WRITE)).handler(ExampleApi::whoCalled);
              return vertx
                  .createHttpServer()
                  .requestHandler(router)
                  .listen(port, host)
                  .map(http -> new ExampleApi(kit, http))
                  .onFailure(e -> kit.close());
            });
  }

  private static void whoCalled(RoutingContext ctx) {
    TokenPrincipal p = TokenPrincipal.of(ctx).orElseThrow();
    JsonObject body =
        new JsonObject()
            .put("route", ctx.request().method() + " " + ctx.request().path())
            .put("sub", p.subject())
            .put("client_id", p.clientId())
            .put("scopes", new JsonArray(List.copyOf(p.scopes())));
    p.dpopJkt().ifPresent(jkt -> body.put("dpop_jkt", jkt));
    ctx.json(body);
  }

  public int port() {
    return http.actualPort();
  }

  public ResourceServer kit() {
    return kit;
  }

  public Future<Void> stop() {
    return http.close().compose(v -> kit.close());
  }
}
