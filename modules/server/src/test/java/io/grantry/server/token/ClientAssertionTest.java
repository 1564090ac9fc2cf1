package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.PushedAuthorizationRequest;
import com.nimbusds.oauth2.sdk.PushedAuthorizationResponse;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretJWT;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.sun.net.httpserver.HttpServer;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client authentication with signed JWTs (RFC 7523, OIDC Core §9) driven by Nimbus: {@code
 * private_key_jwt} with ES256, RS256, PS256 and EdDSA keys registered as {@code jwks} or fetched
 * from a {@code jwks_uri}, and {@code client_secret_jwt}, at {@code /token}, {@code /par}, {@code
 * /revoke} and {@code /introspect}; and every assertion that must be refused: a replayed {@code
 * jti} (on this instance and on another one), a wrong audience, an expired one or one that lives
 * too long, {@code iss} not {@code sub}, no {@code jti}, a key the client did not register, an
 * algorithm it did not register, the secret of a client_secret_jwt client used as a password.
 */
class ClientAssertionTest {
  static final MutableClock CLOCK = new MutableClock();
  static final String REDIRECT = "http://127.0.0.1:9/cb";
  static final CountDownLatch NEVER = new CountDownLatch(1);

  /** The key-encryption key and pepper of a deployment with two instances. */
  static final Map<String, String> SHARED = TestServer.sharedSecrets();

  static TestServer server;
  static OAuthFixtures fx;
  static OIDCProviderMetadata meta;
  static URI tokenEndpoint;
  static ECKey ec;
  static RSAKey rsa;
  static KeyPair ed;
  static JsonObject edJwk;
  static ECKey unregistered;
  static String jwtSecret;
  static HttpServer keyServer;
  static final AtomicReference<String> served = new AtomicReference<>();
  static final AtomicInteger fetches = new AtomicInteger();
  static final AtomicInteger failingFetches = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    Map<String, String> settings = new HashMap<>(SHARED);
    settings.put("GRANTRY_JWKS_URI_TIMEOUT_MILLIS", "1500");
    settings.put("GRANTRY_JWKS_URI_MAX_BYTES", "4096");
    server = TestServer.start(settings, CLOCK);
    fx = new OAuthFixtures(server);
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    tokenEndpoint = meta.getTokenEndpointURI();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
    unregistered = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    byte[] spki = ed.getPublic().getEncoded();
    edJwk =
        new JsonObject()
            .put("kty", "OKP")
            .put("crv", "Ed25519")
            .put("kid", "ed-1")
            .put("x", b64(Arrays.copyOfRange(spki, spki.length - 32, spki.length)));
    JsonObject jwks =
        new JsonObject()
            .put(
                "keys",
                new JsonArray()
                    .add(new JsonObject(ec.toPublicJWK().toJSONString()))
                    .add(new JsonObject(rsa.toPublicJWK().toJSONString()))
                    .add(edJwk));
    register("pkj", "private_key_jwt", new JsonObject().put("jwks", jwks));
    register(
        "pkj-es256-only",
        "private_key_jwt",
        new JsonObject().put("jwks", jwks).put("token_endpoint_auth_signing_alg", "ES256"));
    jwtSecret = register("csj", "client_secret_jwt", new JsonObject()).getString("client_secret");

    keyServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    keyServer.createContext(
        "/jwks",
        exchange -> {
          fetches.incrementAndGet();
          byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    keyServer.createContext(
        "/failing",
        exchange -> {
          failingFetches.incrementAndGet();
          exchange.sendResponseHeaders(503, -1);
          exchange.close();
        });
    keyServer.createContext(
        "/big",
        exchange -> {
          byte[] body =
              new JsonObject()
                  .put("keys", new JsonArray().add(new JsonObject(ec.toPublicJWK().toJSONString())))
                  .put("padding", "x".repeat(5000))
                  .encode()
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    keyServer.createContext(
        "/silent",
        exchange -> {
          try {
            NEVER.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.close();
        });
    // Threads of its own: the silent key server holds one until the end.
    keyServer.setExecutor(Executors.newCachedThreadPool());
    keyServer.start();
    String keys = "http://127.0.0.1:" + keyServer.getAddress().getPort();
    served.set(jwkSet(ec).encode());
    register("pkj-uri", "private_key_jwt", new JsonObject().put("jwks_uri", keys + "/jwks"));
    register("pkj-big", "private_key_jwt", new JsonObject().put("jwks_uri", keys + "/big"));
    register("pkj-failing", "private_key_jwt", new JsonObject().put("jwks_uri", keys + "/failing"));
    register("pkj-silent", "private_key_jwt", new JsonObject().put("jwks_uri", keys + "/silent"));
  }

  @AfterAll
  static void stop() throws Exception {
    NEVER.countDown();
    keyServer.stop(0);
    server.close();
  }

  static JsonObject register(String clientId, String method, JsonObject extra) {
    JsonObject body =
        new JsonObject()
            .put("client_id", clientId)
            .put("client_name", "Signs its assertions")
            .put("token_endpoint_auth_method", method)
            .put("redirect_uris", new JsonArray().add(REDIRECT))
            .put("grant_types", new JsonArray().add("client_credentials").add("authorization_code"))
            .put("scope", "openid api")
            .put("introspect", true);
    extra.forEach(e -> body.put(e.getKey(), e.getValue()));
    return fx.admin("POST", "/admin/clients", body);
  }

  static JsonObject jwkSet(ECKey... keys) {
    JsonArray array = new JsonArray();
    for (ECKey k : keys) {
      array.add(new JsonObject(k.toPublicJWK().toJSONString()));
    }
    return new JsonObject().put("keys", array);
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static JWTClaimsSet.Builder claims(String clientId) {
    Instant now = CLOCK.instant();
    return new JWTClaimsSet.Builder()
        .issuer(clientId)
        .subject(clientId)
        .audience(server.url(""))
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(60)))
        .jwtID(UUID.randomUUID().toString());
  }

  static String es256(ECKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  static String eddsa(JWTClaimsSet claims) throws Exception {
    String signingInput =
        b64(new JsonObject().put("alg", "EdDSA").put("kid", "ed-1").encode().getBytes())
            + "."
            + b64(claims.toString().getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(ed.getPrivate());
    s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64(s.sign());
  }

  /** client_credentials at /token, authenticated by Nimbus's {@code auth}. */
  static TokenResponse token(ClientAuthentication auth) throws Exception {
    return TokenResponse.parse(
        new TokenRequest(tokenEndpoint, auth, new ClientCredentialsGrant(), new Scope("api"))
            .toHTTPRequest()
            .send());
  }

  /** client_credentials at /token with a raw assertion, as a client that builds its own would. */
  static HttpResponse<String> tokenWith(String assertion) {
    return fx.postForm(
        "/token",
        null,
        null,
        Map.of(
            "grant_type", "client_credentials",
            "scope", "api",
            "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion", assertion));
  }

  static void assertInvalidClient(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_client");
  }

  @Test
  void discoveryListsTheMethodsAndAlgorithms() {
    assertThat(meta.getTokenEndpointAuthMethods())
        .contains(
            ClientAuthenticationMethod.PRIVATE_KEY_JWT,
            ClientAuthenticationMethod.CLIENT_SECRET_JWT);
    assertThat(meta.getTokenEndpointJWSAlgs())
        .containsExactlyInAnyOrder(
            JWSAlgorithm.ES256,
            JWSAlgorithm.RS256,
            JWSAlgorithm.PS256,
            JWSAlgorithm.EdDSA,
            JWSAlgorithm.HS256);
    assertThat(meta.getIntrospectionEndpointAuthMethods())
        .contains(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
    assertThat(meta.getRevocationEndpointAuthMethods())
        .contains(ClientAuthenticationMethod.PRIVATE_KEY_JWT);
  }

  @Test
  void privateKeyJwtWithEachAlgorithm() throws Exception {
    ClientID pkj = new ClientID("pkj");
    TokenResponse es =
        token(
            new PrivateKeyJWT(
                pkj, tokenEndpoint, JWSAlgorithm.ES256, ec.toECPrivateKey(), "ec-1", null));
    assertThat(es.indicatesSuccess()).as(String.valueOf(es)).isTrue();
    TokenResponse rs =
        token(
            new PrivateKeyJWT(
                pkj, tokenEndpoint, JWSAlgorithm.RS256, rsa.toRSAPrivateKey(), "rsa-1", null));
    assertThat(rs.indicatesSuccess()).as(String.valueOf(rs)).isTrue();
    TokenResponse ps =
        token(
            new PrivateKeyJWT(
                pkj, tokenEndpoint, JWSAlgorithm.PS256, rsa.toRSAPrivateKey(), "rsa-1", null));
    assertThat(ps.indicatesSuccess()).as(String.valueOf(ps)).isTrue();
    // The issuer as the audience (RFC 7523 §3 allows it; FAPI 2.0 wants it), no kid.
    // (Nimbus signs no EdDSA assertion without Tink: signed here with the JDK's Ed25519.)
    HttpResponse<String> edd = tokenWith(eddsa(claims("pkj").build()));
    assertThat(edd.statusCode()).as(edd.body()).isEqualTo(200);
  }

  @Test
  void clientSecretJwt() throws Exception {
    TokenResponse ok =
        token(
            new ClientSecretJWT(
                new ClientID("csj"), tokenEndpoint, JWSAlgorithm.HS256, new Secret(jwtSecret)));
    assertThat(ok.indicatesSuccess()).as(String.valueOf(ok)).isTrue();
    // A wrong secret.
    TokenResponse wrong =
        token(
            new ClientSecretJWT(
                new ClientID("csj"),
                tokenEndpoint,
                JWSAlgorithm.HS256,
                new Secret(jwtSecret.substring(1) + "A")));
    assertThat(wrong.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_client");
    // The client's secret sent as a password: not the method it registered.
    TokenResponse asPassword =
        token(new ClientSecretBasic(new ClientID("csj"), new Secret(jwtSecret)));
    assertThat(asPassword.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_client");
  }

  @Test
  void everyClientAuthenticatedEndpointTakesAssertions() throws Exception {
    ClientID pkj = new ClientID("pkj");
    AccessToken token =
        token(
                new PrivateKeyJWT(
                    pkj, tokenEndpoint, JWSAlgorithm.ES256, ec.toECPrivateKey(), "ec-1", null))
            .toSuccessResponse()
            .getTokens()
            .getAccessToken();
    TokenIntrospectionResponse introspected =
        TokenIntrospectionResponse.parse(
            new TokenIntrospectionRequest(
                    meta.getIntrospectionEndpointURI(),
                    new PrivateKeyJWT(
                        pkj,
                        meta.getIntrospectionEndpointURI(),
                        JWSAlgorithm.ES256,
                        ec.toECPrivateKey(),
                        "ec-1",
                        null),
                    token)
                .toHTTPRequest()
                .send());
    assertThat(introspected.indicatesSuccess()).isTrue();
    assertThat(introspected.toSuccessResponse().isActive()).isTrue();

    HTTPResponse revoked =
        new TokenRevocationRequest(
                meta.getRevocationEndpointURI(),
                new PrivateKeyJWT(
                    pkj, tokenEndpoint, JWSAlgorithm.ES256, ec.toECPrivateKey(), "ec-1", null),
                token)
            .toHTTPRequest()
            .send();
    assertThat(revoked.getStatusCode()).isEqualTo(200);

    CodeVerifier verifier = new CodeVerifier();
    PushedAuthorizationResponse pushed =
        PushedAuthorizationResponse.parse(
            new PushedAuthorizationRequest(
                    meta.getPushedAuthorizationRequestEndpointURI(),
                    new PrivateKeyJWT(
                        pkj,
                        meta.getPushedAuthorizationRequestEndpointURI(),
                        JWSAlgorithm.ES256,
                        ec.toECPrivateKey(),
                        "ec-1",
                        null),
                    new AuthorizationRequest.Builder(ResponseType.CODE, pkj)
                        .redirectionURI(URI.create(REDIRECT))
                        .scope(new Scope("openid"))
                        .codeChallenge(verifier, CodeChallengeMethod.S256)
                        .build())
                .toHTTPRequest()
                .send());
    assertThat(pushed.indicatesSuccess()).as(String.valueOf(pushed)).isTrue();
  }

  @Test
  void theTokenExchangeGrantTakesAssertions() throws Exception {
    String exchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    register(
        "pkj-x",
        "private_key_jwt",
        new JsonObject()
            .put("jwks", jwkSet(ec))
            .put("grant_types", new JsonArray().add("client_credentials").add(exchange))
            .put("token_exchange_audiences", new JsonArray().add("https://orders.example")));
    ClientID id = new ClientID("pkj-x");
    AccessToken subject =
        token(
                new PrivateKeyJWT(
                    id, tokenEndpoint, JWSAlgorithm.ES256, ec.toECPrivateKey(), "ec-1", null))
            .toSuccessResponse()
            .getTokens()
            .getAccessToken();
    PrivateKeyJWT auth =
        new PrivateKeyJWT(id, tokenEndpoint, JWSAlgorithm.ES256, ec.toECPrivateKey(), "ec-1", null);
    TokenRequest request =
        new TokenRequest.Builder(
                tokenEndpoint,
                auth,
                new TokenExchangeGrant(
                    subject,
                    TokenTypeURI.ACCESS_TOKEN,
                    null,
                    null,
                    null,
                    List.of(new Audience("https://orders.example"))))
            .build();
    HTTPResponse first = request.toHTTPRequest().send();
    assertThat(first.getStatusCode()).as(first.getBody()).isEqualTo(200);
    assertThat(new JsonObject(first.getBody()).getString("issued_token_type"))
        .isEqualTo(TokenTypeURI.ACCESS_TOKEN.getURI().toString());
    // The same assertion again: its jti is spent, whatever the grant.
    HTTPResponse replayed = request.toHTTPRequest().send();
    assertThat(replayed.getStatusCode()).as(replayed.getBody()).isEqualTo(401);
    assertThat(new JsonObject(replayed.getBody()).getString("error")).isEqualTo("invalid_client");
    // Signed by a key the client did not register.
    HTTPResponse foreign =
        new TokenRequest.Builder(
                tokenEndpoint,
                new PrivateKeyJWT(
                    id,
                    tokenEndpoint,
                    JWSAlgorithm.ES256,
                    unregistered.toECPrivateKey(),
                    "ec-1",
                    null),
                new TokenExchangeGrant(subject, TokenTypeURI.ACCESS_TOKEN))
            .build()
            .toHTTPRequest()
            .send();
    assertThat(foreign.getStatusCode()).as(foreign.getBody()).isEqualTo(401);
  }

  @Test
  void aReplayedJtiIsInvalidClient() throws Exception {
    String assertion = es256(ec, claims("pkj").build());
    assertThat(tokenWith(assertion).statusCode()).isEqualTo(200);
    assertInvalidClient(tokenWith(assertion));
    // Nimbus's own assertion, sent twice.
    PrivateKeyJWT once =
        new PrivateKeyJWT(
            new ClientID("pkj"),
            tokenEndpoint,
            JWSAlgorithm.ES256,
            ec.toECPrivateKey(),
            "ec-1",
            null);
    assertThat(token(once).indicatesSuccess()).isTrue();
    assertThat(token(once).toErrorResponse().getErrorObject().getCode())
        .isEqualTo("invalid_client");
  }

  @Test
  void aJtiIsSpentOnEveryInstance() throws Exception {
    // A second server on the same database, with the same issuer (instances of one deployment).
    Map<String, String> shared = new HashMap<>(SHARED);
    shared.put("GRANTRY_ISSUER", server.url(""));
    try (TestServer other = TestServer.startOn(server.db, shared, CLOCK)) {
      String assertion = es256(ec, claims("pkj").build());
      assertThat(tokenWith(assertion).statusCode()).isEqualTo(200);
      HttpResponse<String> replayed =
          new OAuthFixtures(other)
              .postForm(
                  "/token",
                  null,
                  null,
                  Map.of(
                      "grant_type", "client_credentials",
                      "scope", "api",
                      "client_assertion_type",
                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                      "client_assertion", assertion));
      assertInvalidClient(replayed);
    }
  }

  @Test
  void assertionsThatMustBeRefused() throws Exception {
    Instant now = CLOCK.instant();
    // Another audience.
    assertInvalidClient(
        tokenWith(es256(ec, claims("pkj").audience("https://elsewhere.example").build())));
    // Expired (past the 30 s of skew).
    assertInvalidClient(
        tokenWith(
            es256(ec, claims("pkj").expirationTime(Date.from(now.minusSeconds(31))).build())));
    // Living too long: more than 5 minutes ahead.
    assertInvalidClient(
        tokenWith(
            es256(ec, claims("pkj").expirationTime(Date.from(now.plusSeconds(600))).build())));
    // No exp at all.
    assertInvalidClient(tokenWith(es256(ec, claims("pkj").expirationTime(null).build())));
    // Not valid before a minute from now.
    assertInvalidClient(
        tokenWith(es256(ec, claims("pkj").notBeforeTime(Date.from(now.plusSeconds(60))).build())));
    // iss is not sub.
    assertInvalidClient(tokenWith(es256(ec, claims("pkj").subject("pkj-uri").build())));
    // No jti.
    assertInvalidClient(tokenWith(es256(ec, claims("pkj").jwtID(null).build())));
    // A key the client did not register, under a kid it did.
    assertInvalidClient(tokenWith(es256(unregistered, claims("pkj").build())));
    // alg none.
    String unsigned =
        b64("{\"alg\":\"none\"}".getBytes())
            + "."
            + b64(claims("pkj").build().toString().getBytes(StandardCharsets.UTF_8))
            + ".";
    assertInvalidClient(tokenWith(unsigned));
    // HS256 with the public key's bytes as the secret (the algorithm confusion of RFC 8725 §2.1).
    SignedJWT confused = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims("pkj").build());
    confused.sign(new MACSigner(ec.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
    assertInvalidClient(tokenWith(confused.serialize()));
    // The right key, but an algorithm the client did not register (it registered ES256 only).
    TokenResponse rs256 =
        token(
            new PrivateKeyJWT(
                new ClientID("pkj-es256-only"),
                tokenEndpoint,
                JWSAlgorithm.RS256,
                rsa.toRSAPrivateKey(),
                "rsa-1",
                null));
    assertThat(rs256.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_client");
    // An unknown client_assertion_type.
    HttpResponse<String> saml =
        fx.postForm(
            "/token",
            null,
            null,
            Map.of(
                "grant_type", "client_credentials",
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                "client_assertion", es256(ec, claims("pkj").build())));
    assertInvalidClient(saml);
    // An assertion and a password at once.
    HttpResponse<String> two =
        fx.postForm(
            "/token",
            "csj",
            jwtSecret,
            Map.of(
                "grant_type", "client_credentials",
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion", es256(ec, claims("pkj").build())));
    assertThat(two.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(two.body()).getString("error")).isEqualTo("invalid_request");
  }

  @Test
  void keysFromAJwksUriAreCachedAndRefetchedForANewKidAtMostSoOften() throws Exception {
    ECKey next = new ECKeyGenerator(Curve.P_256).keyID("ec-2").generate();
    int before = fetches.get();
    assertThat(tokenWith(es256(ec, claims("pkj-uri").build())).statusCode()).isEqualTo(200);
    assertThat(tokenWith(es256(ec, claims("pkj-uri").build())).statusCode()).isEqualTo(200);
    assertThat(fetches.get() - before).isEqualTo(1); // cached

    // The client rotates: its new key is served, and an assertion names its kid. The keys were
    // fetched less than 10 s ago, so they are not fetched again yet...
    served.set(jwkSet(ec, next).encode());
    assertInvalidClient(tokenWith(es256(next, claims("pkj-uri").build())));
    assertThat(fetches.get() - before).isEqualTo(1);
    // ...but after that, the unknown kid fetches them once, and the new key works.
    CLOCK.advance(Duration.ofSeconds(11));
    assertThat(tokenWith(es256(next, claims("pkj-uri").build())).statusCode()).isEqualTo(200);
    assertThat(fetches.get() - before).isEqualTo(2);
    // Made-up kids do not make the server fetch again and again.
    for (int i = 0; i < 3; i++) {
      ECKey madeUp = new ECKeyGenerator(Curve.P_256).keyID("made-up-" + i).generate();
      assertInvalidClient(tokenWith(es256(madeUp, claims("pkj-uri").build())));
    }
    assertThat(fetches.get() - before).isEqualTo(2);
  }

  /**
   * The review's L1: a failed fetch set no "fetched" time, so the refetch interval never applied
   * and every assertion naming the client (anyone can send one: the lookup precedes the signature
   * check) started a new fetch of its failing jwks_uri.
   */
  @Test
  void aFailingJwksUriIsFetchedAtMostOncePerIntervalWhateverTheAssertionsSent() throws Exception {
    int before = failingFetches.get();
    for (int i = 0; i < 4; i++) {
      ECKey madeUp = new ECKeyGenerator(Curve.P_256).keyID("made-up-" + i).generate();
      assertInvalidClient(tokenWith(es256(madeUp, claims("pkj-failing").build())));
      assertInvalidClient(tokenWith(es256(ec, claims("pkj-failing").build())));
    }
    assertThat(failingFetches.get() - before).isEqualTo(1);
    // Once the interval (10 s) has passed, the next assertion tries again, once.
    CLOCK.advance(Duration.ofSeconds(11));
    assertInvalidClient(tokenWith(es256(ec, claims("pkj-failing").build())));
    assertInvalidClient(tokenWith(es256(ec, claims("pkj-failing").build())));
    assertThat(failingFetches.get() - before).isEqualTo(2);
  }

  @Test
  void aJwksUriTooLargeOrTooSlowAuthenticatesNobody() throws Exception {
    assertInvalidClient(tokenWith(es256(ec, claims("pkj-big").build())));
    assertInvalidClient(tokenWith(es256(ec, claims("pkj-silent").build())));
  }

  @Test
  void registrationRefusesPrivateKeysAndMissingKeys() throws Exception {
    JsonObject withPrivate =
        new JsonObject().put("keys", new JsonArray().add(new JsonObject(ec.toJSONString())));
    assertThat(refused("bad-1", "private_key_jwt", new JsonObject().put("jwks", withPrivate)))
        .contains("private");
    assertThat(refused("bad-2", "private_key_jwt", new JsonObject())).contains("jwks");
    assertThat(
            refused(
                "bad-3",
                "private_key_jwt",
                new JsonObject()
                    .put("jwks", jwkSet(ec))
                    .put("jwks_uri", "https://keys.example/jwks")))
        .contains("exactly one");
    assertThat(refused("bad-4", "client_secret_basic", new JsonObject().put("jwks", jwkSet(ec))))
        .contains("private_key_jwt");
    assertThat(
            refused(
                "bad-5",
                "private_key_jwt",
                new JsonObject()
                    .put("jwks", jwkSet(ec))
                    .put("token_endpoint_auth_signing_alg", "HS256")))
        .contains("token_endpoint_auth_signing_alg");
    assertThat(
            refused(
                "bad-6",
                "private_key_jwt",
                new JsonObject().put("jwks_uri", "http://keys.example/jwks")))
        .contains("https");
    // A private_key_jwt client gets no secret; a client_secret_jwt client does.
    JsonObject shown = fx.admin("GET", "/admin/clients/pkj", null);
    assertThat(shown.getString("token_endpoint_auth_method")).isEqualTo("private_key_jwt");
    assertThat(shown.getJsonObject("jwks").getJsonArray("keys")).hasSize(3);
    assertThat(shown.containsKey("client_secret_expires_at")).isFalse();
    assertThat(jwtSecret).hasSize(43);
  }

  static String refused(String clientId, String method, JsonObject extra) throws Exception {
    JsonObject body =
        new JsonObject()
            .put("client_id", clientId)
            .put("client_name", "Refused")
            .put("token_endpoint_auth_method", method)
            .put("grant_types", new JsonArray().add("client_credentials"))
            .put("scope", "api");
    extra.forEach(e -> body.put(e.getKey(), e.getValue()));
    HttpResponse<String> r =
        OAuthFixtures.HTTP.send(
            java.net.http.HttpRequest.newBuilder(URI.create(server.url("/admin/clients")))
                .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.encode()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    return r.body();
  }
}
