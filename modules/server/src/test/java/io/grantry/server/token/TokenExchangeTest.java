package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.Audience;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.AccessTokenType;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Token exchange (RFC 8693) end to end, driven by Nimbus's {@link TokenExchangeGrant}: a user's
 * token narrowed to a service, delegated from service to service with the actors nested in {@code
 * act}, impersonation only where registered, a refresh token only where registered, ID tokens as
 * subjects; every exchanged token (JWT or opaque, through the introspection cache, refreshed or
 * not) dies with the grant it came from; the ledger shows who acted for whom; and every bad request
 * gets its RFC error, never a 5xx.
 *
 * <p>The clients: {@code web} (the user's app, JWT access tokens) and {@code web-opaque} (opaque
 * ones) may narrow their own tokens to the services; {@code svc-b} and {@code svc-c} act for the
 * user with their own client_credentials tokens as actors (delegation only); {@code svc-o} does the
 * same with opaque tokens; {@code svc-imp} may impersonate; {@code svc-refresh} may receive refresh
 * tokens; {@code plain} may not exchange at all; {@code rs} introspects everything.
 */
class TokenExchangeTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String ORDERS = "https://orders.example";
  static final TokenTypeURI AT = TokenTypeURI.ACCESS_TOKEN;

  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static URI tokenEndpoint;
  static final Map<String, String> secrets = new LinkedHashMap<>();
  static String alice;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of(), clock);
    fx = new OAuthFixtures(server);
    tokenEndpoint = URI.create(server.url("/token"));
    String exchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    register(
        "web",
        new JsonObject()
            .put("redirect_uris", new JsonArray().add(CB))
            .put(
                "grant_types",
                new JsonArray().add("authorization_code").add("refresh_token").add(exchange))
            .put("scope", "openid profile email offline_access orders.read orders.write")
            .put(
                "token_exchange_audiences",
                new JsonArray().add("svc-b").add("svc-o").add("svc-imp").add("svc-refresh")));
    register(
        "web-opaque",
        new JsonObject()
            .put("redirect_uris", new JsonArray().add(CB))
            .put(
                "grant_types",
                new JsonArray().add("authorization_code").add("refresh_token").add(exchange))
            .put("scope", "openid offline_access orders.read")
            .put("access_token_format", "opaque")
            .put("token_exchange_audiences", new JsonArray().add("svc-o")));
    register(
        "svc-b",
        new JsonObject()
            .put("grant_types", new JsonArray().add("client_credentials").add(exchange))
            .put("scope", "orders.read orders.write")
            .put("token_exchange_audiences", new JsonArray().add("svc-c").add(ORDERS)));
    register(
        "svc-c",
        new JsonObject()
            .put("grant_types", new JsonArray().add("client_credentials").add(exchange))
            .put("scope", "orders.read")
            .put("token_exchange_audiences", new JsonArray().add(ORDERS)));
    register(
        "svc-o",
        new JsonObject()
            .put("grant_types", new JsonArray().add("client_credentials").add(exchange))
            .put("scope", "orders.read")
            .put("access_token_format", "opaque")
            .put("token_exchange_audiences", new JsonArray().add(ORDERS)));
    register(
        "svc-imp",
        new JsonObject()
            .put("grant_types", new JsonArray().add("client_credentials").add(exchange))
            .put("scope", "orders.read")
            .put("token_exchange_allow_impersonation", true));
    register(
        "svc-refresh",
        new JsonObject()
            .put(
                "grant_types",
                new JsonArray().add("client_credentials").add(exchange).add("refresh_token"))
            .put("scope", "orders.read")
            .put("token_exchange_audiences", new JsonArray().add(ORDERS))
            .put("token_exchange_allow_refresh_token", true));
    register(
        "plain",
        new JsonObject()
            .put("grant_types", new JsonArray().add("client_credentials"))
            .put("scope", "orders.read"));
    register(
        "rs",
        new JsonObject()
            .put("grant_types", new JsonArray().add("client_credentials"))
            .put("scope", "orders.read")
            .put("introspect", true));
    alice = fx.user("alice", PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static void register(String id, JsonObject body) {
    body.put("client_id", id)
        .put("client_name", "Test " + id)
        .put("token_endpoint_auth_method", "client_secret_basic");
    secrets.put(id, fx.admin("POST", "/admin/clients", body).getString("client_secret"));
  }

  // ------------------------------------------------------------------ helpers

  /** Alice's tokens from the code flow of {@code clientId}. */
  static JsonObject aliceTokens(String clientId, String scope) {
    return fx.tokens(fx.browser(), clientId, secrets.get(clientId), CB, scope, "alice", PASSWORD);
  }

  static String clientCredentials(String clientId) {
    HttpResponse<String> r =
        fx.token(clientId, secrets.get(clientId), Map.of("grant_type", "client_credentials"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  /** One exchange request, as Nimbus sends it. */
  record Exchange(
      String clientId,
      String subject,
      TokenTypeURI subjectType,
      String actor,
      TokenTypeURI requested,
      String scope,
      List<String> audiences,
      List<String> resources) {
    static Exchange of(String clientId, String subject) {
      return new Exchange(clientId, subject, AT, null, null, null, List.of(), List.of());
    }

    Exchange actor(String token) {
      return new Exchange(
          clientId, subject, subjectType, token, requested, scope, audiences, resources);
    }

    Exchange subjectType(TokenTypeURI type) {
      return new Exchange(clientId, subject, type, actor, requested, scope, audiences, resources);
    }

    Exchange requested(TokenTypeURI type) {
      return new Exchange(clientId, subject, subjectType, actor, type, scope, audiences, resources);
    }

    Exchange scope(String value) {
      return new Exchange(
          clientId, subject, subjectType, actor, requested, value, audiences, resources);
    }

    Exchange audience(String... values) {
      return new Exchange(
          clientId, subject, subjectType, actor, requested, scope, List.of(values), resources);
    }

    Exchange resource(String... values) {
      return new Exchange(
          clientId, subject, subjectType, actor, requested, scope, audiences, List.of(values));
    }

    HTTPResponse send() throws Exception {
      List<Audience> aud = new ArrayList<>();
      audiences.forEach(a -> aud.add(new Audience(a)));
      TokenExchangeGrant grant =
          new TokenExchangeGrant(
              new BearerAccessToken(subject),
              subjectType,
              actor == null ? null : new BearerAccessToken(actor),
              actor == null ? null : AT,
              requested,
              aud.isEmpty() ? null : aud);
      TokenRequest.Builder b =
          new TokenRequest.Builder(
              tokenEndpoint,
              new ClientSecretBasic(new ClientID(clientId), new Secret(secrets.get(clientId))),
              grant);
      if (scope != null) {
        b.scope(Scope.parse(scope));
      }
      if (!resources.isEmpty()) {
        b.resources(resources.stream().map(URI::create).toArray(URI[]::new));
      }
      return b.build().toHTTPRequest().send();
    }

    /** The issued token, after checking the response is a success. */
    AccessToken ok() throws Exception {
      HTTPResponse http = send();
      TokenResponse r = TokenResponse.parse(http);
      assertThat(r.indicatesSuccess()).as(http.getBody()).isTrue();
      assertThat(http.getHeaderValue("Cache-Control")).isEqualTo("no-store");
      return r.toSuccessResponse().getTokens().getAccessToken();
    }

    /** The error, after checking the response is one (a 4xx). */
    ErrorObject refused() throws Exception {
      HTTPResponse http = send();
      assertThat(http.getStatusCode()).as(http.getBody()).isBetween(400, 499);
      TokenResponse r = TokenResponse.parse(http);
      assertThat(r.indicatesSuccess()).as(http.getBody()).isFalse();
      return r.toErrorResponse().getErrorObject();
    }
  }

  /** Every page of an audit history. */
  static JsonArray history(String path) {
    JsonArray all = new JsonArray();
    String cursor = null;
    do {
      JsonObject page =
          fx.admin("GET", path + "?limit=200" + (cursor == null ? "" : "&cursor=" + cursor), null);
      all.addAll(page.getJsonArray("items"));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    return all;
  }

  static JsonObject introspect(String token) {
    return fx.introspect("rs", secrets.get("rs"), token);
  }

  static JsonObject claims(String jws) {
    return OAuthFixtures.claims(jws);
  }

  /** Alice's web token narrowed by web itself to {@code audience}: a token meant for it. */
  static String forService(JsonObject aliceWeb, String audience) throws Exception {
    return Exchange.of("web", aliceWeb.getString("access_token"))
        .audience(audience)
        .ok()
        .getValue();
  }

  // ------------------------------------------------------------------ the flows

  @Test
  void discoverySaysTheGrantIsSupported() throws Exception {
    OIDCProviderMetadata meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    assertThat(meta.getGrantTypes()).contains(GrantType.TOKEN_EXCHANGE);
  }

  @Test
  void aChainOfDelegationsNestsTheActorsAndDiesWithTheGrantItCameFrom() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read orders.write offline_access");

    // The user's app narrows its own token to service B: no actor needed, it is its own token.
    AccessToken t1 = Exchange.of("web", web.getString("access_token")).audience("svc-b").ok();
    assertThat(t1.getType()).isEqualTo(AccessTokenType.BEARER);
    assertThat(t1.getIssuedTokenType()).isEqualTo(AT);
    JsonObject c1 = claims(t1.getValue());
    assertThat(c1.getString("aud")).isEqualTo("svc-b");
    assertThat(c1.getString("sub")).isEqualTo(alice);
    assertThat(c1.getString("client_id")).isEqualTo("web");
    assertThat(c1.containsKey("act")).isFalse();

    // Service B acts for Alice towards service C, with its own token as the actor token.
    AccessToken t2 =
        Exchange.of("svc-b", t1.getValue())
            .actor(clientCredentials("svc-b"))
            .audience("svc-c")
            .scope("orders.read")
            .ok();
    JsonObject c2 = claims(t2.getValue());
    assertThat(c2.getString("aud")).isEqualTo("svc-c");
    assertThat(c2.getString("sub")).isEqualTo(alice);
    assertThat(c2.getString("client_id")).isEqualTo("svc-b");
    assertThat(c2.getString("scope")).isEqualTo("orders.read");
    assertThat(c2.getJsonObject("act"))
        .isEqualTo(new JsonObject().put("sub", "svc-b").put("client_id", "svc-b"));

    // Service C acts for Alice towards the orders API: the actors nest, latest outermost.
    AccessToken t3 =
        Exchange.of("svc-c", t2.getValue()).actor(clientCredentials("svc-c")).resource(ORDERS).ok();
    SignedJWT jwt = SignedJWT.parse(t3.getValue());
    assertThat(jwt.getHeader().getType()).isEqualTo(new JOSEObjectType("at+jwt"));
    JWKSet jwks = JWKSet.load(URI.create(server.url("/jwks")).toURL());
    assertThat(
            jwt.verify(new ECDSAVerifier(jwks.getKeyByKeyId(jwt.getHeader().getKeyID()).toECKey())))
        .isTrue();
    JWTClaimsSet c3 = jwt.getJWTClaimsSet();
    assertThat(c3.getAudience()).containsExactly(ORDERS);
    assertThat(c3.getSubject()).isEqualTo(alice);
    assertThat(c3.getJSONObjectClaim("act"))
        .isEqualTo(
            Map.of(
                "sub",
                "svc-c",
                "client_id",
                "svc-c",
                "act",
                Map.of("sub", "svc-b", "client_id", "svc-b")));
    // Never outliving the tokens it was made from.
    assertThat(c3.getExpirationTime()).isBeforeOrEqualTo(new Date(c2.getLong("exp") * 1000));

    // Active, twice (the second from the introspection cache), with its actors and audience.
    for (int i = 0; i < 2; i++) {
      for (AccessToken t : List.of(t1, t2, t3)) {
        assertThat(introspect(t.getValue()).getBoolean("active")).isTrue();
      }
    }
    JsonObject i3 = introspect(t3.getValue());
    assertThat(i3.getString("client_id")).isEqualTo("svc-c");
    assertThat(i3.getJsonObject("act").getJsonObject("act").getString("sub")).isEqualTo("svc-b");

    // The user's app revokes its refresh token: its grant, and everything exchanged from it, ends.
    HttpResponse<String> revoked =
        fx.postForm(
            "/revoke", "web", secrets.get("web"), Map.of("token", web.getString("refresh_token")));
    assertThat(revoked.statusCode()).isEqualTo(200);
    for (AccessToken t : List.of(t1, t2, t3)) {
      assertThat(introspect(t.getValue())).isEqualTo(new JsonObject().put("active", false));
    }
    assertThat(
            Exchange.of("svc-c", t2.getValue())
                .actor(clientCredentials("svc-c"))
                .resource(ORDERS)
                .refused()
                .getCode())
        .isEqualTo("invalid_grant");
  }

  @Test
  void opaqueExchangedTokensDieWithTheirGrantThroughTheIntrospectionCache() throws Exception {
    JsonObject web = aliceTokens("web-opaque", "openid orders.read offline_access");
    String subject = web.getString("access_token");
    assertThat(subject).contains("~");
    AccessToken o1 = Exchange.of("web-opaque", subject).audience("svc-o").ok();
    assertThat(o1.getValue()).matches("[A-Za-z0-9_-]{1,64}~[A-Za-z0-9_-]{43}");
    AccessToken o2 =
        Exchange.of("svc-o", o1.getValue()).actor(clientCredentials("svc-o")).resource(ORDERS).ok();
    assertThat(o2.getValue()).contains("~");
    for (int i = 0; i < 2; i++) {
      JsonObject answer = introspect(o2.getValue());
      assertThat(answer.getBoolean("active")).isTrue();
      assertThat(answer.getString("aud")).isEqualTo(ORDERS);
      assertThat(answer.getString("sub")).isEqualTo(alice);
      assertThat(answer.getString("client_id")).isEqualTo("svc-o");
      assertThat(answer.getJsonObject("act").getString("sub")).isEqualTo("svc-o");
      assertThat(introspect(o1.getValue()).getString("aud")).isEqualTo("svc-o");
    }
    assertThat(
            fx.postForm(
                    "/revoke",
                    "web-opaque",
                    secrets.get("web-opaque"),
                    Map.of("token", web.getString("refresh_token")))
                .statusCode())
        .isEqualTo(200);
    assertThat(introspect(o1.getValue())).isEqualTo(new JsonObject().put("active", false));
    assertThat(introspect(o2.getValue())).isEqualTo(new JsonObject().put("active", false));
  }

  @Test
  void aRefreshTokenOnlyWhereRegisteredAndItDiesWithTheGrantItCameFrom() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read offline_access");
    // Service B is not registered for refresh tokens.
    String forB = forService(web, "svc-b");
    assertThat(
            Exchange.of("svc-b", forB)
                .actor(clientCredentials("svc-b"))
                .requested(TokenTypeURI.REFRESH_TOKEN)
                .refused()
                .getCode())
        .isEqualTo("invalid_request");

    String forRefresh = forService(web, "svc-refresh");
    AccessToken issued =
        Exchange.of("svc-refresh", forRefresh)
            .actor(clientCredentials("svc-refresh"))
            .requested(TokenTypeURI.REFRESH_TOKEN)
            .resource(ORDERS)
            .ok();
    // RFC 8693 §2.2.1: the refresh token travels in access_token, typed N_A.
    assertThat(issued.getIssuedTokenType()).isEqualTo(TokenTypeURI.REFRESH_TOKEN);
    assertThat(issued.getType()).isEqualTo(AccessTokenType.N_A);
    HttpResponse<String> refreshed =
        fx.refresh("svc-refresh", secrets.get("svc-refresh"), issued.getValue(), null);
    assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
    JsonObject tokens = new JsonObject(refreshed.body());
    JsonObject c = claims(tokens.getString("access_token"));
    assertThat(c.getString("sub")).isEqualTo(alice);
    assertThat(c.getString("aud")).isEqualTo(ORDERS);
    assertThat(c.getString("client_id")).isEqualTo("svc-refresh");
    assertThat(c.getJsonObject("act").getString("sub")).isEqualTo("svc-refresh");
    assertThat(introspect(tokens.getString("access_token")).getBoolean("active")).isTrue();

    assertThat(
            fx.postForm(
                    "/revoke",
                    "web",
                    secrets.get("web"),
                    Map.of("token", web.getString("refresh_token")))
                .statusCode())
        .isEqualTo(200);
    assertThat(introspect(tokens.getString("access_token")))
        .isEqualTo(new JsonObject().put("active", false));
    assertThat(introspect(tokens.getString("refresh_token")))
        .isEqualTo(new JsonObject().put("active", false));
    HttpResponse<String> again =
        fx.refresh(
            "svc-refresh", secrets.get("svc-refresh"), tokens.getString("refresh_token"), null);
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(again.body()).getString("error")).isEqualTo("invalid_grant");
  }

  @Test
  void anIdTokenIsExchangedByTheClientItWasIssuedToOnly() throws Exception {
    JsonObject web = aliceTokens("web", "openid profile orders.read");
    String idToken = web.getString("id_token");
    assertThat(claims(idToken).getString("jti"))
        .startsWith(claims(web.getString("access_token")).getString("jti").split("\\.")[0] + ".");
    AccessToken t =
        Exchange.of("web", idToken).subjectType(TokenTypeURI.ID_TOKEN).audience("svc-b").ok();
    JsonObject c = claims(t.getValue());
    assertThat(c.getString("sub")).isEqualTo(alice);
    assertThat(c.getString("aud")).isEqualTo("svc-b");
    assertThat(c.getString("scope")).isEqualTo("openid orders.read profile");
    // Also as a JWT (RFC 8693 §3), and asking for a JWT gets one, issued as such.
    AccessToken asJwt =
        Exchange.of("web", idToken)
            .subjectType(TokenTypeURI.JWT)
            .requested(TokenTypeURI.JWT)
            .audience("svc-b")
            .ok();
    assertThat(asJwt.getIssuedTokenType()).isEqualTo(TokenTypeURI.JWT);

    // An ID token of another audience: web's, presented by service B.
    assertThat(
            Exchange.of("svc-b", idToken)
                .subjectType(TokenTypeURI.ID_TOKEN)
                .actor(clientCredentials("svc-b"))
                .refused()
                .getCode())
        .isEqualTo("invalid_grant");
    // Declared as what it is not.
    assertThat(Exchange.of("web", idToken).audience("svc-b").refused().getCode())
        .isEqualTo("invalid_request");
    assertThat(
            Exchange.of("web", web.getString("access_token"))
                .subjectType(TokenTypeURI.ID_TOKEN)
                .refused()
                .getCode())
        .isEqualTo("invalid_request");
  }

  @Test
  void impersonationOnlyWhereRegistered() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read");
    // Service B may act for Alice (delegation) but not as her.
    ErrorObject refused = Exchange.of("svc-b", forService(web, "svc-b")).refused();
    assertThat(refused.getCode()).isEqualTo("invalid_request");
    assertThat(refused.getDescription()).contains("actor_token");
    // The impersonating service may: a token for Alice, with no actor.
    AccessToken t = Exchange.of("svc-imp", forService(web, "svc-imp")).ok();
    JsonObject c = claims(t.getValue());
    assertThat(c.getString("sub")).isEqualTo(alice);
    assertThat(c.getString("client_id")).isEqualTo("svc-imp");
    assertThat(c.containsKey("act")).isFalse();
  }

  // ------------------------------------------------------------------ refusals

  @Test
  void deadForeignAndOtherClientsTokensAreInvalidGrant() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read");
    String b = clientCredentials("svc-b");

    // Another client's token that does not name service B.
    assertThat(Exchange.of("svc-b", web.getString("access_token")).actor(b).refused().getCode())
        .isEqualTo("invalid_grant");

    // Nobody's token: right shape, wrong key (another issuer's, or a forgery).
    ECKey other = new ECKeyGenerator(Curve.P_256).keyID("other").generate();
    SignedJWT forged =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("at+jwt"))
                .keyID(SignedJWT.parse(web.getString("access_token")).getHeader().getKeyID())
                .build(),
            new JWTClaimsSet.Builder()
                .issuer(server.url(""))
                .subject(alice)
                .audience("svc-b")
                .claim("client_id", "svc-b")
                .claim("scope", "orders.read")
                .jwtID("x.y")
                .expirationTime(new Date(clock.millis() + 600_000))
                .build());
    forged.sign(new ECDSASigner(other));
    assertThat(Exchange.of("svc-b", forged.serialize()).actor(b).refused().getCode())
        .isEqualTo("invalid_grant");

    // A revoked access token (RFC 7009), and a revoked actor token.
    String forB = forService(web, "svc-b");
    String revokedActor = clientCredentials("svc-b");
    assertThat(
            fx.postForm("/revoke", "svc-b", secrets.get("svc-b"), Map.of("token", revokedActor))
                .statusCode())
        .isEqualTo(200);
    assertThat(Exchange.of("svc-b", forB).actor(revokedActor).refused().getCode())
        .isEqualTo("invalid_grant");
    assertThat(
            fx.postForm("/revoke", "web", secrets.get("web"), Map.of("token", forB)).statusCode())
        .isEqualTo(200);
    assertThat(Exchange.of("svc-b", forB).actor(b).refused().getCode()).isEqualTo("invalid_grant");

    // An actor token of another client.
    assertThat(
            Exchange.of("svc-b", forService(web, "svc-b"))
                .actor(clientCredentials("svc-c"))
                .refused()
                .getCode())
        .isEqualTo("invalid_grant");
  }

  @Test
  void anOldTokenIsInvalidGrant() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read");
    String forB = forService(web, "svc-b");
    clock.advance(Duration.ofHours(2));
    assertThat(Exchange.of("svc-b", forB).actor(clientCredentials("svc-b")).refused().getCode())
        .isEqualTo("invalid_grant");
    assertThat(Exchange.of("web", web.getString("access_token")).refused().getCode())
        .isEqualTo("invalid_grant");
  }

  @Test
  void scopeAudienceAndTheGrantItselfAreChecked() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read");
    String forB = forService(web, "svc-b");
    String b = clientCredentials("svc-b");
    // Wider than the subject token's.
    assertThat(
            Exchange.of("svc-b", forB)
                .actor(b)
                .scope("orders.read orders.write")
                .refused()
                .getCode())
        .isEqualTo("invalid_scope");
    // An audience or a resource service B is not registered for.
    assertThat(Exchange.of("svc-b", forB).actor(b).audience("payroll").refused().getCode())
        .isEqualTo("invalid_target");
    assertThat(
            Exchange.of("svc-b", forB)
                .actor(b)
                .resource("https://payroll.example")
                .refused()
                .getCode())
        .isEqualTo("invalid_target");
    // The user's app may not ask for an audience it is not registered for either.
    assertThat(
            Exchange.of("web", web.getString("access_token")).audience("svc-c").refused().getCode())
        .isEqualTo("invalid_target");
    // A client without the grant.
    ErrorObject plain = Exchange.of("plain", forB).refused();
    assertThat(plain.getCode()).isEqualTo("unauthorized_client");
    // An ID token is not what we issue by exchange; a refresh token cannot be exchanged.
    assertThat(
            Exchange.of("svc-b", forB)
                .actor(b)
                .requested(TokenTypeURI.ID_TOKEN)
                .refused()
                .getCode())
        .isEqualTo("invalid_request");
    assertThat(
            Exchange.of("web", "abc.def")
                .subjectType(TokenTypeURI.REFRESH_TOKEN)
                .refused()
                .getCode())
        .isEqualTo("invalid_request");
  }

  @Test
  void malformedRequestsAreInvalidRequestAndGarbageNeverA5xx() throws Exception {
    String exchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    String secret = secrets.get("svc-b");
    String b = clientCredentials("svc-b");
    List<Map<String, String>> malformed =
        List.of(
            Map.of("grant_type", exchange),
            Map.of("grant_type", exchange, "subject_token", b),
            Map.of(
                "grant_type",
                exchange,
                "subject_token",
                b,
                "subject_token_type",
                "urn:example:saml3"),
            Map.of(
                "grant_type",
                exchange,
                "subject_token",
                b,
                "subject_token_type",
                AT.getURI().toString(),
                "actor_token",
                b),
            Map.of(
                "grant_type",
                exchange,
                "subject_token",
                b,
                "subject_token_type",
                AT.getURI().toString(),
                "actor_token_type",
                AT.getURI().toString()),
            Map.of(
                "grant_type",
                exchange,
                "subject_token",
                b,
                "subject_token_type",
                AT.getURI().toString(),
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:saml2"));
    for (Map<String, String> form : malformed) {
      HttpResponse<String> r = fx.token("svc-b", secret, form);
      assertThat(r.statusCode()).as(form + " " + r.body()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error"))
          .as(form.toString())
          .isEqualTo("invalid_request");
    }
    // The same parameter twice (RFC 6749 §3.2).
    HttpResponse<String> twice =
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(tokenEndpoint)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header(
                    "Authorization",
                    "Basic "
                        + Base64.getEncoder()
                            .encodeToString(("svc-b:" + secret).getBytes(StandardCharsets.UTF_8)))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "grant_type="
                            + exchange
                            + "&subject_token_type="
                            + AT.getURI()
                            + "&subject_token="
                            + b
                            + "&subject_token="
                            + b))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(twice.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(twice.body()).getString("error")).isEqualTo("invalid_request");
    for (String garbage :
        List.of(
            "x",
            "a.b.c",
            "a.b",
            "~",
            "g~",
            "x".repeat(10_000),
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
            "g-1.secret",
            "ümlaut~ß")) {
      HttpResponse<String> r =
          fx.token(
              "svc-b",
              secret,
              Map.of(
                  "grant_type",
                  exchange,
                  "subject_token",
                  garbage,
                  "subject_token_type",
                  AT.getURI().toString(),
                  "actor_token",
                  b,
                  "actor_token_type",
                  AT.getURI().toString()));
      assertThat(r.statusCode()).as(garbage + " " + r.body()).isBetween(400, 499);
      assertThat(new JsonObject(r.body()).getString("error"))
          .isIn("invalid_grant", "invalid_request");
    }
  }

  // ------------------------------------------------------------------ races and the ledger

  @Test
  void exchangesRacingARevocationAllEndRevoked() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read offline_access");
    String forB = forService(web, "svc-b");
    String b = clientCredentials("svc-b");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<HTTPResponse>> racing = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        racing.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return Exchange.of("svc-b", forB).actor(b).audience("svc-c").send();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                pool));
        if (i == 8) {
          assertThat(
                  fx.postForm(
                          "/revoke",
                          "web",
                          secrets.get("web"),
                          Map.of("token", web.getString("refresh_token")))
                      .statusCode())
              .isEqualTo(200);
        }
      }
      int issued = 0;
      for (CompletableFuture<HTTPResponse> f : racing) {
        HTTPResponse http = f.get();
        TokenResponse r = TokenResponse.parse(http);
        if (r.indicatesSuccess()) {
          issued++;
          String token = r.toSuccessResponse().getTokens().getAccessToken().getValue();
          assertThat(introspect(token)).isEqualTo(new JsonObject().put("active", false));
        } else {
          assertThat(http.getStatusCode()).isEqualTo(400);
          assertThat(r.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_grant");
        }
      }
      // Whatever the interleaving, after the revocation nothing exchanged from the grant lives.
      assertThat(issued).isBetween(0, 24);
      assertThat(Exchange.of("svc-b", forB).actor(b).refused().getCode())
          .isEqualTo("invalid_grant");
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void theGrantsHistoryShowsWhoActedForWhom() throws Exception {
    JsonObject web = aliceTokens("web", "openid orders.read offline_access");
    String root = claims(web.getString("access_token")).getString("jti").split("\\.")[0];
    AccessToken t1 = Exchange.of("web", web.getString("access_token")).audience("svc-b").ok();
    AccessToken t2 =
        Exchange.of("svc-b", t1.getValue())
            .actor(clientCredentials("svc-b"))
            .audience("svc-c")
            .ok();
    AccessToken t3 =
        Exchange.of("svc-c", t2.getValue()).actor(clientCredentials("svc-c")).resource(ORDERS).ok();
    String g1 = claims(t1.getValue()).getString("jti").split("\\.")[0];
    String g2 = claims(t2.getValue()).getString("jti").split("\\.")[0];
    String g3 = claims(t3.getValue()).getString("jti").split("\\.")[0];

    JsonArray items = history("/admin/audit/grants/" + root);
    List<JsonObject> exchanges = new ArrayList<>();
    for (Object o : items) {
      JsonObject item = (JsonObject) o;
      if ("grant.token_exchanged.v1".equals(item.getString("type"))) {
        exchanges.add(item);
      }
    }
    assertThat(exchanges)
        .extracting(i -> i.getString("stream_id"))
        .containsExactly("grant:" + g1, "grant:" + g2, "grant:" + g3);
    JsonObject third = exchanges.get(2);
    assertThat(third.getString("actor")).isEqualTo("client:svc-c");
    JsonObject changes = third.getJsonObject("changes");
    assertThat(changes.getString("subject")).isEqualTo(alice);
    assertThat(changes.getString("client_id")).isEqualTo("svc-c");
    assertThat(changes.getJsonObject("act").getString("sub")).isEqualTo("svc-c");
    assertThat(changes.getJsonObject("act").getJsonObject("act").getString("sub"))
        .isEqualTo("svc-b");
    assertThat(changes.getJsonArray("grant_chain"))
        .isEqualTo(new JsonArray().add(root).add(g1).add(g2));
    // The exchanges for Alice are in her history, and service C's in its own.
    assertThat(history("/admin/audit/users/" + alice).encode()).contains("grant:" + g3);
    assertThat(history("/admin/audit/clients/svc-c").encode()).contains("grant:" + g3);
    // No secret in the ledger's view of it.
    assertThat(items.encode())
        .doesNotContain(
            t1.getValue(), t2.getValue(), t3.getValue(), web.getString("refresh_token"));

    // As of now, service C's state: its grant with the chain it descends from (found though the
    // root is the user's app's); once the root is revoked its token is no longer listed, and the
    // row says since when.
    JsonObject before = fx.admin("GET", "/admin/audit/as-of?client=svc-c", null);
    assertThat(grantRow(before, g3).getJsonArray("grant_chain"))
        .isEqualTo(new JsonArray().add(root).add(g1).add(g2));
    assertThat(grantRow(before, g3).containsKey("grant_chain_revoked_at")).isFalse();
    assertThat(before.getJsonArray("access_tokens").encode()).contains(g3);
    assertThat(
            fx.postForm(
                    "/revoke",
                    "web",
                    secrets.get("web"),
                    Map.of("token", web.getString("refresh_token")))
                .statusCode())
        .isEqualTo(200);
    JsonObject after = fx.admin("GET", "/admin/audit/as-of?client=svc-c", null);
    assertThat(grantRow(after, g3).getString("grant_chain_revoked_at")).isNotNull();
    assertThat(after.getJsonArray("access_tokens").encode()).doesNotContain(g3);
  }

  static JsonObject grantRow(JsonObject asOf, String grantId) {
    for (Object o : asOf.getJsonArray("grants")) {
      if (grantId.equals(((JsonObject) o).getString("grant_id"))) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError("no grant " + grantId + " in " + asOf.encode());
  }

  @Test
  void theRegistrationShowsTheSettingsAndRefusesThemWithoutTheGrant() throws Exception {
    for (JsonObject bad :
        List.of(
            new JsonObject()
                .put("grant_types", new JsonArray().add("client_credentials"))
                .put("token_exchange_audiences", new JsonArray().add("svc-c")),
            new JsonObject()
                .put(
                    "grant_types",
                    new JsonArray()
                        .add("client_credentials")
                        .add("urn:ietf:params:oauth:grant-type:token-exchange"))
                .put("token_exchange_allow_refresh_token", true),
            new JsonObject()
                .put(
                    "grant_types",
                    new JsonArray().add("urn:ietf:params:oauth:grant-type:token-exchange"))
                .put("token_exchange_audiences", new JsonArray().add("has space")))) {
      HttpResponse<String> r =
          OAuthFixtures.HTTP.send(
              HttpRequest.newBuilder(URI.create(server.url("/admin/clients")))
                  .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          bad.copy()
                              .put("client_name", "Bad")
                              .put("token_endpoint_auth_method", "client_secret_basic")
                              .encode()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(bad + " " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("token_exchange_");
    }
    JsonObject shown = fx.admin("GET", "/admin/clients/svc-b", null);
    assertThat(shown.getJsonArray("token_exchange_audiences"))
        .isEqualTo(new JsonArray().add("svc-c").add(ORDERS));
    assertThat(shown.getBoolean("token_exchange_allow_impersonation")).isFalse();
    assertThat(
            fx.admin("GET", "/admin/clients/svc-refresh", null)
                .getBoolean("token_exchange_allow_refresh_token"))
        .isTrue();
    assertThat(
            fx.admin("GET", "/admin/clients/plain", null).containsKey("token_exchange_audiences"))
        .isFalse();
  }
}
