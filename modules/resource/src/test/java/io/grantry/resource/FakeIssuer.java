package io.grantry.resource;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An issuer's three documents on 127.0.0.1, as a test sets them: discovery, a JWKS it can change,
 * and introspection answers by token, counting the requests for each. Grantry itself is the issuer
 * of the end-to-end tests (ResourceKitEndToEndTest); this one lets a test make what Grantry never
 * would (a foreign issuer, a huge JWKS, an issuer that does not answer).
 */
final class FakeIssuer implements AutoCloseable {
  final Vertx vertx;
  final HttpServer server;
  final String issuer;
  volatile JsonArray keys = new JsonArray();
  volatile String issuerClaim;
  volatile boolean silent;
  volatile boolean introspectionDown;
  volatile String padding = "";
  final Map<String, JsonObject> answers = new ConcurrentHashMap<>();
  final AtomicInteger jwksFetches = new AtomicInteger();
  final AtomicInteger introspections = new AtomicInteger();
  volatile String lastAuthorization;

  FakeIssuer(Vertx vertx) throws Exception {
    this.vertx = vertx;
    Router router = Router.router(vertx);
    router
        .get("/.well-known/openid-configuration")
        .handler(
            ctx ->
                ctx.json(
                    new JsonObject()
                        .put("issuer", issuerClaim)
                        .put("jwks_uri", issuerClaim + "/jwks")
                        .put("introspection_endpoint", issuerClaim + "/introspect")));
    router
        .get("/jwks")
        .handler(
            ctx -> {
              jwksFetches.incrementAndGet();
              if (silent) {
                return; // never answers
              }
              ctx.json(new JsonObject().put("keys", keys).put("padding", padding));
            });
    router
        .post("/introspect")
        .handler(BodyHandler.create())
        .handler(
            ctx -> {
              introspections.incrementAndGet();
              if (introspectionDown) {
                ctx.response().setStatusCode(500).end();
                return;
              }
              lastAuthorization = ctx.request().getHeader("Authorization");
              String token = ctx.request().getFormAttribute("token");
              ctx.json(answers.getOrDefault(token, new JsonObject().put("active", false)));
            });
    server =
        vertx
            .createHttpServer()
            .requestHandler(router)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    issuer = "http://127.0.0.1:" + server.actualPort();
    issuerClaim = issuer;
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
