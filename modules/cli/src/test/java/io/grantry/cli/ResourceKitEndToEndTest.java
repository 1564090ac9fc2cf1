package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import io.grantry.resource.InvalidTokenException;
import io.grantry.resource.ResourceServer;
import io.grantry.resource.ResourceServerOptions;
import io.grantry.resource.TokenPrincipal;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The resource-server kit (modules/resource) as an independent verifier of every kind of access
 * token a real Grantry issues, through the example API ({@code grantry example-api}): JWTs of each
 * signing algorithm, opaque tokens through introspection with the API's own client, DPoP-bound
 * client_credentials tokens with proofs Nimbus makes, tokens signed before and after a key
 * rotation; and the refusals a client sees: expired, wrong audience, missing scope, revoked.
 */
class ResourceKitEndToEndTest {
  static final String BOTH = ExampleApi.READ + " " + ExampleApi.WRITE;
  static final MutableClock serverClock = new MutableClock();
  static final MutableClock apiClock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static Vertx vertx;
  static ExampleApi api;
  static String issuer;
  static final Map<String, String> secrets = new java.util.HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_ACCESS_TOKEN_TTL_SECONDS", "600"), serverClock);
    fx = new OAuthFixtures(server);
    issuer = server.url("");
    client("es-app", BOTH, new JsonObject().put("access_token_signing_alg", "ES256"));
    client("rs-app", BOTH, new JsonObject().put("access_token_signing_alg", "RS256"));
    client("opaque-app", BOTH, new JsonObject().put("access_token_format", "opaque"));
    client("reader", ExampleApi.READ, new JsonObject());
    // The API's own client: it may introspect every client's tokens.
    client("notes-api", "", new JsonObject().put("introspect", true));
    vertx = Vertx.vertx();
    api = TestServer.await(ExampleApi.start(vertx, options(), "127.0.0.1", 0));
  }

  static ResourceServerOptions options() {
    return new ResourceServerOptions(issuer, issuer)
        .setIntrospectionClient("notes-api", secrets.get("notes-api"))
        .setClock(apiClock);
  }

  static void client(String id, String scope, JsonObject extra) {
    JsonObject body =
        new JsonObject()
            .put("client_id", id)
            .put("client_name", "Resource kit " + id)
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("grant_types", new JsonArray().add("client_credentials"))
            .put("scope", scope)
            .mergeIn(extra);
    secrets.put(id, fx.admin("POST", "/admin/clients", body).getString("client_secret"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (api != null) {
      TestServer.await(api.stop());
    }
    if (vertx != null) {
      TestServer.await(vertx.close());
    }
    server.close();
  }

  static String token(String clientId, String scope) {
    HttpResponse<String> r =
        fx.token(
            clientId,
            secrets.get(clientId),
            Map.of("grant_type", "client_credentials", "scope", scope));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  static HttpResponse<String> call(int port, String method, String token) throws Exception {
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/notes"))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .header("Authorization", "Bearer " + token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> call(String method, String token) throws Exception {
    return call(api.port(), method, token);
  }

  static JsonObject header(String jws) {
    return new JsonObject(
        new String(
            Base64.getUrlDecoder().decode(jws.substring(0, jws.indexOf('.'))),
            StandardCharsets.UTF_8));
  }

  static String challenge(HttpResponse<String> r) {
    return r.headers().firstValue("WWW-Authenticate").orElse("");
  }

  static void revoke(String clientId, String token) {
    HttpResponse<String> r =
        fx.postForm("/revoke", clientId, secrets.get(clientId), Map.of("token", token));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void jwtAccessTokensOfEverySigningAlgorithmPassBothRoutes() throws Exception {
    for (String[] c : new String[][] {{"es-app", "ES256"}, {"rs-app", "RS256"}}) {
      String token = token(c[0], BOTH);
      assertThat(header(token).getString("alg")).isEqualTo(c[1]);
      assertThat(header(token).getString("typ")).isEqualTo("at+jwt");
      for (String method : new String[] {"GET", "POST"}) {
        HttpResponse<String> r = call(method, token);
        assertThat(r.statusCode()).as(c[1] + " " + method + ": " + r.body()).isEqualTo(200);
        JsonObject who = new JsonObject(r.body());
        assertThat(who.getString("client_id")).isEqualTo(c[0]);
        assertThat(who.getString("sub")).isEqualTo(c[0]);
        assertThat(who.getJsonArray("scopes").stream().map(Object::toString).toList())
            .containsExactlyInAnyOrder(ExampleApi.READ, ExampleApi.WRITE);
      }
    }
  }

  @Test
  void anOpaqueTokenPassesThroughIntrospectionWithTheApisOwnClient() throws Exception {
    String token = token("opaque-app", BOTH);
    assertThat(token.chars().filter(ch -> ch == '.').count()).as("opaque, not a JWS").isLessThan(2);
    HttpResponse<String> r = call("POST", token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("client_id")).isEqualTo("opaque-app");
  }

  @Test
  void aTokenWithoutTheRoutesScopeIs403InsufficientScope() throws Exception {
    for (String clientId : new String[] {"reader", "opaque-app"}) {
      String token = token(clientId, ExampleApi.READ);
      assertThat(call("GET", token).statusCode()).as(clientId).isEqualTo(200);
      HttpResponse<String> r = call("POST", token);
      assertThat(r.statusCode()).as(clientId).isEqualTo(403);
      assertThat(challenge(r))
          .as(clientId)
          .startsWith("Bearer error=\"insufficient_scope\"")
          .contains("scope=\"" + ExampleApi.WRITE + "\"");
    }
  }

  @Test
  void aTokenForAnotherAudienceIsRefused() throws Exception {
    ExampleApi other =
        TestServer.await(
            ExampleApi.start(
                vertx,
                new ResourceServerOptions(issuer, "https://billing.example")
                    .setIntrospectionClient("notes-api", secrets.get("notes-api")),
                "127.0.0.1",
                0));
    try {
      for (String clientId : new String[] {"es-app", "rs-app", "opaque-app"}) {
        HttpResponse<String> r = call(other.port(), "GET", token(clientId, BOTH));
        assertThat(r.statusCode()).as(clientId).isEqualTo(401);
        assertThat(challenge(r)).as(clientId).contains("invalid_token").contains("audience");
      }
    } finally {
      TestServer.await(other.stop());
    }
  }

  @Test
  void anExpiredTokenIsRefused() throws Exception {
    // Issued by a server whose clock reads 20 minutes ago: a 10-minute token, expired for 10.
    serverClock.advance(Duration.ofMinutes(-20));
    String jwt;
    String opaque;
    try {
      jwt = token("es-app", BOTH);
      opaque = token("opaque-app", BOTH);
    } finally {
      serverClock.advance(Duration.ofMinutes(20));
    }
    for (String token : new String[] {jwt, opaque}) {
      HttpResponse<String> r = call("GET", token);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(challenge(r)).contains("invalid_token");
    }
  }

  @Test
  void aRevokedOpaqueTokenIsRefusedAtItsNextIntrospection() throws Exception {
    // Revoked before the API ever saw it: refused at once.
    String unseen = token("opaque-app", BOTH);
    revoke("opaque-app", unseen);
    assertThat(call("GET", unseen).statusCode()).isEqualTo(401);

    // Seen, then revoked: the cached answer holds for the cache's TTL (30 s), then it is refused.
    String seen = token("opaque-app", BOTH);
    assertThat(call("GET", seen).statusCode()).isEqualTo(200);
    revoke("opaque-app", seen);
    assertThat(call("GET", seen).statusCode()).as("within the cache's 30 s").isEqualTo(200);
    apiClock.advance(Duration.ofSeconds(31));
    assertThat(call("GET", seen).statusCode()).isEqualTo(401);

    // An API that must see revocations at once keeps no answers: refused at the next request.
    ResourceServer strict =
        TestServer.await(
            ResourceServer.create(vertx, options().setIntrospectionCacheTtl(Duration.ZERO)));
    try {
      String token = token("opaque-app", BOTH);
      assertThat(TestServer.await(strict.verify(token)).clientId()).isEqualTo("opaque-app");
      revoke("opaque-app", token);
      assertThat(rejection(strict, token)).contains("not active");
    } finally {
      TestServer.await(strict.close());
    }
  }

  @Test
  void aRevokedJwtStaysAcceptedUntilItsExpBecauseItIsCheckedOffline() throws Exception {
    String token = token("es-app", BOTH);
    assertThat(call("GET", token).statusCode()).isEqualTo(200);
    revoke("es-app", token);
    // Documented behaviour (ResourceServer's javadoc, ops/resource-servers.md): a JWT is validated
    // with the issuer's keys, without asking it, so it stays good here until its exp; the issuer
    // itself already says it is not active.
    assertThat(call("GET", token).statusCode()).isEqualTo(200);
    assertThat(fx.introspect("notes-api", secrets.get("notes-api"), token).getBoolean("active"))
        .isFalse();
  }

  @Test
  void tokensSignedBeforeAndAfterAKeyRotationPassTheKitRefetchesOnTheNewKid() throws Exception {
    String before = token("es-app", BOTH);
    assertThat(call("GET", before).statusCode()).isEqualTo(200);
    JsonObject rotated =
        fx.admin("POST", "/admin/keys/rotate", new JsonObject().put("alg", "ES256"));
    assertThat(rotated.encode()).contains("ES256");
    TestServer.await(server.server.resources().keys().refresh());
    String after = token("es-app", BOTH);
    assertThat(header(after).getString("kid")).isNotEqualTo(header(before).getString("kid"));

    // The kit last fetched the keys when it started; past its 30 s bound it fetches again.
    apiClock.advance(Duration.ofSeconds(31));
    HttpResponse<String> r = call("GET", after);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(call("GET", before).statusCode())
        .as("the retiring key still verifies")
        .isEqualTo(200);
  }

  @Test
  void aDpopBoundTokenPassesWithItsProofOnlyAndIsRefusedAsBearer() throws Exception {
    ECKey key = new ECKeyGenerator(Curve.P_256).generate();
    DPoPProofFactory proofs = new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256);
    // RFC 9449 §5: client_credentials with a proof at /token: a JWT bound to the key.
    HttpResponse<String> issued =
        ResourceKitDpopEndToEndTest.tokenWithProof(
            server, "es-app", secrets.get("es-app"), proofs, BOTH);
    assertThat(issued.statusCode()).as(issued.body()).isEqualTo(200);
    JsonObject answer = new JsonObject(issued.body());
    assertThat(answer.getString("token_type")).isEqualTo("DPoP");
    String token = answer.getString("access_token");
    String jkt = key.computeThumbprint().toString();
    assertThat(OAuthFixtures.claims(token).getJsonObject("cnf").getString("jkt")).isEqualTo(jkt);

    String notes = "http://127.0.0.1:" + api.port() + "/notes";
    String proof =
        proofs.createDPoPJWT("GET", URI.create(notes), new DPoPAccessToken(token)).serialize();
    HttpResponse<String> ok = callDpop("GET", token, proof);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(new JsonObject(ok.body()).getString("dpop_jkt")).isEqualTo(jkt);

    HttpResponse<String> replay = callDpop("GET", token, proof);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(challenge(replay)).contains("invalid_dpop_proof");
    HttpResponse<String> asBearer = call("GET", token);
    assertThat(asBearer.statusCode()).isEqualTo(401);
    assertThat(challenge(asBearer)).contains("invalid_token").contains("DPoP-bound");
    ECKey other = new ECKeyGenerator(Curve.P_256).generate();
    String foreign =
        new DefaultDPoPProofFactory(other, JWSAlgorithm.ES256)
            .createDPoPJWT("GET", URI.create(notes), new DPoPAccessToken(token))
            .serialize();
    assertThat(callDpop("GET", token, foreign).statusCode())
        .as("a proof of another key")
        .isEqualTo(401);
    String post =
        proofs.createDPoPJWT("POST", URI.create(notes), new DPoPAccessToken(token)).serialize();
    assertThat(callDpop("POST", token, post).statusCode())
        .as("POST /notes, notes:write")
        .isEqualTo(200);
  }

  static HttpResponse<String> callDpop(String method, String token, String proof) throws Exception {
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/notes"))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .header("Authorization", "DPoP " + token)
            .header("DPoP", proof)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String rejection(ResourceServer kit, String token) {
    try {
      TestServer.await(kit.verify(token));
      return "accepted";
    } catch (InvalidTokenException e) {
      return e.getMessage();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The example of ops/resource-servers.md, as written there (its ten lines are these). */
  @Test
  void theDocumentedExampleRuns() throws Exception {
    Router router = Router.router(vertx);
    String secret = secrets.get("notes-api");
    // ---- ops/resource-servers.md
    ResourceServerOptions options =
        new ResourceServerOptions(issuer, issuer).setIntrospectionClient("notes-api", secret);
    ResourceServer kit = TestServer.await(ResourceServer.create(vertx, options));
    router
        .get("/notes")
        .handler(kit.require("notes:read"))
        .handler(
            ctx -> {
              TokenPrincipal who = TokenPrincipal.of(ctx).orElseThrow();
              ctx.json(new JsonObject().put("sub", who.subject()).put("client", who.clientId()));
            });
    // ----
    var http =
        TestServer.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    try {
      HttpResponse<String> r = call(http.actualPort(), "GET", token("reader", ExampleApi.READ));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(new JsonObject(r.body()).getString("sub")).isEqualTo("reader");
    } finally {
      TestServer.await(http.close());
      TestServer.await(kit.close());
    }
  }
}
