package io.grantry.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kit against an issuer the test controls ({@link FakeIssuer}), with tokens Nimbus JOSE+JWT
 * signs: every rule of RFC 9068 §4, RFC 6750 §3 and RFC 7662 the kit applies, each with the refusal
 * a client would see. Grantry as the issuer: ResourceKitEndToEndTest (cli module).
 */
class ResourceServerTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static Vertx vertx;
  static ECKey ec;
  static RSAKey rsa;

  FakeIssuer issuer;
  TestClock clock;
  ResourceServer kit;
  HttpServer api;

  @BeforeAll
  static void keys() throws Exception {
    vertx = Vertx.vertx();
    ec =
        new ECKeyGenerator(Curve.P_256)
            .keyID("ec-1")
            .algorithm(JWSAlgorithm.ES256)
            .keyUse(KeyUse.SIGNATURE)
            .generate();
    rsa =
        new RSAKeyGenerator(2048)
            .keyID("rsa-1")
            .algorithm(JWSAlgorithm.RS256)
            .keyUse(KeyUse.SIGNATURE)
            .generate();
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
  }

  @BeforeEach
  void start() throws Exception {
    issuer = new FakeIssuer(vertx);
    issuer.keys = new JsonArray().add(publicJwk(ec)).add(publicJwk(rsa));
    issuer.answers.put(
        "opaque-active",
        new JsonObject()
            .put("active", true)
            .put("iss", issuer.issuer)
            .put("aud", "https://api.example")
            .put("sub", "alice")
            .put("client_id", "app")
            .put("scope", "read")
            .put("exp", Instant.now().plusSeconds(600).getEpochSecond()));
    clock = new TestClock();
    kit = await(ResourceServer.create(vertx, options()));
    api = serve(vertx, kit);
  }

  ResourceServerOptions options() {
    return new ResourceServerOptions(issuer.issuer, "https://api.example")
        .setIntrospectionClient("api rs", "s3cr:t")
        .setClock(clock);
  }

  @AfterEach
  void close() throws Exception {
    await(api.close());
    await(kit.close());
    issuer.close();
  }

  static HttpServer serve(Vertx vertx, ResourceServer kit) throws Exception {
    Router router = Router.router(vertx);
    router
        .route("/read")
        .handler(kit.require("read"))
        .handler(
            ctx -> {
              TokenPrincipal p = TokenPrincipal.of(ctx).orElseThrow();
              ctx.json(
                  new JsonObject()
                      .put("sub", p.subject())
                      .put("client_id", p.clientId())
                      .put("scopes", new JsonArray(List.copyOf(p.scopes())))
                      .put("jti", p.claims().getString("jti")));
            });
    router
        .route("/write")
        .handler(kit.require("read", "write"))
        .handler(ctx -> ctx.json(new JsonObject()));
    return await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
  }

  HttpResponse<String> call(String path, String authorization) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.actualPort() + path));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JWTClaimsSet.Builder claims(FakeIssuer issuer) {
    return new JWTClaimsSet.Builder()
        .issuer(issuer.issuer)
        .audience("https://api.example")
        .subject("alice")
        .claim("client_id", "app")
        .claim("scope", "read profile")
        .jwtID("jti-1")
        .issueTime(new Date())
        .expirationTime(Date.from(Instant.now().plusSeconds(300)));
  }

  static String sign(JWTClaimsSet claims, JWSAlgorithm alg, String kid, String typ)
      throws Exception {
    JWSHeader.Builder h = new JWSHeader.Builder(alg);
    if (kid != null) {
      h.keyID(kid);
    }
    if (typ != null) {
      h.type(new JOSEObjectType(typ));
    }
    SignedJWT jwt = new SignedJWT(h.build(), claims);
    if (alg == JWSAlgorithm.ES256) {
      jwt.sign(
          new ECDSASigner(
              kid != null && kid.equals(ec.getKeyID()) || kid == null ? ec : ECKey.parse(kid)));
    } else {
      jwt.sign(new RSASSASigner(rsa));
    }
    return jwt.serialize();
  }

  String es256(JWTClaimsSet claims) throws Exception {
    return sign(claims, JWSAlgorithm.ES256, ec.getKeyID(), "at+jwt");
  }

  static JsonObject publicJwk(com.nimbusds.jose.jwk.JWK key) {
    return new JsonObject(key.toPublicJWK().toJSONString());
  }

  static String error(HttpResponse<String> r) {
    return r.headers().firstValue("WWW-Authenticate").orElse("");
  }

  // ---- JWT access tokens (RFC 9068)

  @Test
  void es256AndRs256AccessTokensPassAndTheRouteSeesThePrincipal() throws Exception {
    for (String token :
        List.of(
            es256(claims(issuer).build()),
            sign(claims(issuer).build(), JWSAlgorithm.RS256, "rsa-1", "at+jwt"))) {
      HttpResponse<String> r = call("/read", "Bearer " + token);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonObject body = new JsonObject(r.body());
      assertThat(body.getString("sub")).isEqualTo("alice");
      assertThat(body.getString("client_id")).isEqualTo("app");
      assertThat(body.getJsonArray("scopes").stream().map(Object::toString).toList())
          .containsExactlyInAnyOrder("read", "profile");
      assertThat(body.getString("jti")).isEqualTo("jti-1");
    }
    assertThat(call("/read", "bearer " + es256(claims(issuer).build())).statusCode())
        .as("the scheme is case-insensitive (RFC 9110 §11.1)")
        .isEqualTo(200);
  }

  @Test
  void aTokenTypedOtherThanAtJwtIsRefused() throws Exception {
    // vertx-auth-jwt ignores typ: an id_token (typ JWT) signed by the same issuer would pass it.
    for (String typ : new String[] {"JWT", null, "dpop+jwt"}) {
      HttpResponse<String> r =
          call("/read", "Bearer " + sign(claims(issuer).build(), JWSAlgorithm.ES256, "ec-1", typ));
      assertThat(r.statusCode()).as("typ " + typ).isEqualTo(401);
      assertThat(error(r)).contains("error=\"invalid_token\"").contains("at+jwt");
    }
    assertThat(
            call(
                    "/read",
                    "Bearer "
                        + sign(
                            claims(issuer).build(),
                            JWSAlgorithm.ES256,
                            "ec-1",
                            "application/at+jwt"))
                .statusCode())
        .as("RFC 9068 §4: the full media type is the same type")
        .isEqualTo(200);
  }

  @Test
  void wrongIssuerAudienceAndTimesAreRefusedWithTheSkewAllowed() throws Exception {
    Instant now = Instant.now();
    record Case(String what, JWTClaimsSet claims, int status) {}
    List<Case> cases =
        List.of(
            new Case("another issuer", claims(issuer).issuer("https://evil.example").build(), 401),
            new Case(
                "another audience", claims(issuer).audience("https://other.example").build(), 401),
            new Case(
                "our audience among others",
                claims(issuer).audience(List.of("x", "https://api.example")).build(),
                200),
            new Case(
                "expired a minute ago",
                claims(issuer).expirationTime(Date.from(now.minusSeconds(60))).build(),
                401),
            new Case(
                "expired 10 s ago, within the 30 s skew",
                claims(issuer).expirationTime(Date.from(now.minusSeconds(10))).build(),
                200),
            new Case(
                "not before a minute from now",
                claims(issuer).notBeforeTime(Date.from(now.plusSeconds(60))).build(),
                401),
            new Case("without exp", claims(issuer).expirationTime(null).build(), 401));
    for (Case c : cases) {
      HttpResponse<String> r = call("/read", "Bearer " + es256(c.claims()));
      assertThat(r.statusCode()).as(c.what() + ": " + r.body()).isEqualTo(c.status());
      if (c.status() == 401) {
        assertThat(error(r)).as(c.what()).startsWith("Bearer error=\"invalid_token\"");
        assertThat(r.body()).as(c.what()).doesNotContain("eyJ");
      }
    }
  }

  @Test
  void unsignedForgedAndSymmetricTokensAreRefused() throws Exception {
    String none =
        new PlainJWT(
                new com.nimbusds.jose.PlainHeader.Builder()
                    .type(new JOSEObjectType("at+jwt"))
                    .build(),
                claims(issuer).build())
            .serialize();
    ECKey other = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    SignedJWT forged =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID("ec-1")
                .type(new JOSEObjectType("at+jwt"))
                .build(),
            claims(issuer).build());
    forged.sign(new ECDSASigner(other));
    SignedJWT hs =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).type(new JOSEObjectType("at+jwt")).build(),
            claims(issuer).build());
    // The classic confusion: the RSA public key's bytes as an HMAC secret.
    hs.sign(new MACSigner(rsa.toRSAPublicKey().getEncoded()));
    String[] valid = es256(claims(issuer).build()).split("\\.");
    String tampered =
        valid[0]
            + "."
            + es256(claims(issuer).subject("mallory").build()).split("\\.")[1]
            + "."
            + valid[2];
    for (String token : List.of(none + "x", forged.serialize(), hs.serialize(), tampered)) {
      HttpResponse<String> r = call("/read", "Bearer " + token);
      assertThat(r.statusCode()).as(token).isEqualTo(401);
      assertThat(error(r)).contains("invalid_token");
    }
  }

  // ---- keys: refetch on an unknown kid, bounded

  @Test
  void anUnknownKidRefetchesTheKeysAtMostOncePerInterval() throws Exception {
    ECKey rotated =
        new ECKeyGenerator(Curve.P_256).keyID("ec-2").algorithm(JWSAlgorithm.ES256).generate();
    ECKey later =
        new ECKeyGenerator(Curve.P_256).keyID("ec-3").algorithm(JWSAlgorithm.ES256).generate();
    String before = es256(claims(issuer).build());
    SignedJWT after =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID("ec-2")
                .type(new JOSEObjectType("at+jwt"))
                .build(),
            claims(issuer).build());
    after.sign(new ECDSASigner(rotated));
    SignedJWT third =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID("ec-3")
                .type(new JOSEObjectType("at+jwt"))
                .build(),
            claims(issuer).build());
    third.sign(new ECDSASigner(later));
    assertThat(issuer.jwksFetches.get()).isEqualTo(1);

    // The issuer rotates: the new key published, the old one still (overlap).
    issuer.keys = new JsonArray().add(publicJwk(ec)).add(publicJwk(rotated)).add(publicJwk(rsa));
    assertThat(call("/read", "Bearer " + after.serialize()).statusCode())
        .as("within 30 s of the last fetch: the new kid is not fetched yet")
        .isEqualTo(401);
    assertThat(issuer.jwksFetches.get()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(31));
    assertThat(call("/read", "Bearer " + after.serialize()).statusCode()).isEqualTo(200);
    assertThat(call("/read", "Bearer " + before).statusCode())
        .as("signed before the rotation")
        .isEqualTo(200);
    assertThat(issuer.jwksFetches.get()).isEqualTo(2);

    // Made-up kids within the interval cost the issuer nothing.
    for (int i = 0; i < 20; i++) {
      assertThat(call("/read", "Bearer " + third.serialize()).statusCode()).isEqualTo(401);
    }
    assertThat(issuer.jwksFetches.get()).isEqualTo(2);
    // Known kids never fetch.
    clock.advance(Duration.ofSeconds(31));
    assertThat(call("/read", "Bearer " + before).statusCode()).isEqualTo(200);
    assertThat(issuer.jwksFetches.get()).isEqualTo(2);
  }

  @Test
  void aJwksLargerThanTheCapOrAnIssuerThatDoesNotAnswerKeepsTheKeysHeld() throws Exception {
    issuer.padding = "x".repeat(70 * 1024);
    issuer.keys = new JsonArray().add(publicJwk(ec)).add(publicJwk(rsa));
    clock.advance(Duration.ofSeconds(31));
    String unknown =
        sign(claims(issuer).build(), JWSAlgorithm.RS256, "rsa-1", "at+jwt").replaceFirst("^", "");
    SignedJWT stranger =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID("nope")
                .type(new JOSEObjectType("at+jwt"))
                .build(),
            claims(issuer).build());
    stranger.sign(new ECDSASigner(ec));
    assertThat(call("/read", "Bearer " + stranger.serialize()).statusCode()).isEqualTo(401);
    assertThat(issuer.jwksFetches.get()).as("fetched, refused for its size").isEqualTo(2);
    assertThat(call("/read", "Bearer " + unknown).statusCode())
        .as("the keys held before still verify")
        .isEqualTo(200);

    // A kit created against an issuer whose JWKS is too big or never comes does not start.
    assertThatThrownBy(() -> await(ResourceServer.create(vertx, options())))
        .hasMessageContaining("larger than 65536 bytes");
    issuer.padding = "";
    issuer.silent = true;
    assertThatThrownBy(
            () ->
                await(
                    ResourceServer.create(
                        vertx, options().setFetchTimeout(Duration.ofMillis(300)))))
        .hasMessageContaining("/jwks");
  }

  @Test
  void anotherIssuerInTheDiscoveryDocumentIsRefusedAtStart() {
    issuer.issuerClaim = issuer.issuer + "/";
    assertThatThrownBy(() -> await(ResourceServer.create(vertx, options())))
        .hasMessageContaining("names another issuer");
  }

  // ---- scopes and the challenges of RFC 6750 §3

  @Test
  void aMissingScopeIs403InsufficientScopeNamingTheScopesNeeded() throws Exception {
    HttpResponse<String> r = call("/write", "Bearer " + es256(claims(issuer).build()));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(error(r))
        .startsWith("Bearer error=\"insufficient_scope\"")
        .contains("scope=\"read write\"");
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("insufficient_scope");
    assertThat(
            call("/write", "Bearer " + es256(claims(issuer).claim("scope", "read write").build()))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void withoutATokenBothSchemesAreOfferedWithoutAnErrorCode() throws Exception {
    for (String authorization : new String[] {null, "Basic YTpi", "Bearer", "Token abc"}) {
      HttpResponse<String> r = call("/read", authorization);
      assertThat(r.statusCode()).as(authorization).isEqualTo(401);
      assertThat(r.headers().allValues("WWW-Authenticate"))
          .as(authorization)
          .containsExactly("Bearer", "DPoP algs=\"ES256 RS256 PS256\"");
    }
    HttpResponse<String> malformed = call("/read", "Bearer a b");
    assertThat(malformed.statusCode()).isEqualTo(401);
    assertThat(error(malformed)).contains("invalid_token");
  }

  // ---- opaque tokens: introspection with a bounded cache

  @Test
  void anOpaqueTokenIsIntrospectedWithTheKitsClientAndCachedNoLongerThanAllowed() throws Exception {
    HttpResponse<String> r = call("/read", "Bearer opaque-active");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("sub")).isEqualTo("alice");
    // RFC 6749 §2.3.1: id and secret form-encoded, then Basic.
    assertThat(issuer.lastAuthorization)
        .isEqualTo(
            "Basic " + java.util.Base64.getEncoder().encodeToString("api+rs:s3cr%3At".getBytes()));
    assertThat(call("/read", "Bearer opaque-active").statusCode()).isEqualTo(200);
    assertThat(issuer.introspections.get()).as("the second from the cache").isEqualTo(1);

    // Revoked at the issuer: refused once the cached answer's 30 s are over.
    issuer.answers.put("opaque-active", new JsonObject().put("active", false));
    clock.advance(Duration.ofSeconds(31));
    assertThat(call("/read", "Bearer opaque-active").statusCode()).isEqualTo(401);
    assertThat(issuer.introspections.get()).isEqualTo(2);
  }

  @Test
  void anIntrospectionAnswerIsNeverKeptPastTheTokensExp() throws Exception {
    issuer.answers.put(
        "short",
        new JsonObject()
            .put("active", true)
            .put("aud", "https://api.example")
            .put("scope", "read")
            .put("exp", clock.instant().plusSeconds(5).getEpochSecond()));
    assertThat(call("/read", "Bearer short").statusCode()).isEqualTo(200);
    clock.advance(Duration.ofSeconds(6));
    assertThat(call("/read", "Bearer short").statusCode()).isEqualTo(401);
    assertThat(issuer.introspections.get())
        .as("asked again: the entry died with the token")
        .isEqualTo(2);
  }

  @Test
  void inactiveForeignAndUnknownOpaqueTokensAreRefused() throws Exception {
    issuer.answers.put(
        "other-aud",
        new JsonObject()
            .put("active", true)
            .put("aud", "https://other.example")
            .put("scope", "read"));
    issuer.answers.put(
        "other-iss",
        new JsonObject()
            .put("active", true)
            .put("iss", "https://evil.example")
            .put("scope", "read"));
    for (String token : List.of("unknown", "other-aud", "other-iss")) {
      HttpResponse<String> r = call("/read", "Bearer " + token);
      assertThat(r.statusCode()).as(token).isEqualTo(401);
      assertThat(error(r)).as(token).contains("invalid_token");
    }
  }

  @Test
  void anIssuerThatCannotIntrospectIs503NotInvalidToken() throws Exception {
    issuer.introspectionDown = true;
    HttpResponse<String> r = call("/read", "Bearer opaque-active");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).contains("5");
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("temporarily_unavailable");
    assertThat(r.body()).doesNotContain("127.0.0.1");
    issuer.introspectionDown = false;
    assertThat(call("/read", "Bearer opaque-active").statusCode())
        .as("a failure is not cached")
        .isEqualTo(200);
  }

  @Test
  void theIntrospectionCacheIsBoundedInSize() throws Exception {
    ResourceServer small =
        await(ResourceServer.create(vertx, options().setIntrospectionCacheSize(2)));
    try {
      for (String t : List.of("a", "b", "c", "a")) {
        issuer.answers.put(t, new JsonObject().put("active", true).put("scope", "read"));
        await(small.verify(t));
      }
      assertThat(issuer.introspections.get()).as("a was evicted by c").isEqualTo(4);
    } finally {
      await(small.close());
    }
  }

  @Test
  void withoutAnIntrospectionClientOpaqueTokensAreRefused() throws Exception {
    ResourceServer jwtOnly =
        await(
            ResourceServer.create(
                vertx, new ResourceServerOptions(issuer.issuer, "https://api.example")));
    try {
      assertThatThrownBy(() -> await(jwtOnly.verify("opaque-active")))
          .isInstanceOf(InvalidTokenException.class)
          .hasMessageContaining("no introspection client");
      assertThat(issuer.introspections.get()).isZero();
    } finally {
      await(jwtOnly.close());
    }
  }

  // ---- support

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  /** The real time plus an offset a test moves forward. */
  static final class TestClock extends Clock {
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    void advance(Duration d) {
      offset.updateAndGet(o -> o.plus(d));
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset.get());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
