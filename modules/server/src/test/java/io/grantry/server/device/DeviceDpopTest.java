package io.grantry.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.common.contenttype.ContentType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCode;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.token.TypelessAccessToken;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DPoP-bound tokens (RFC 9449 §5) from the device grant (RFC 8628) and token exchange (RFC 8693),
 * end to end with Nimbus ({@code DefaultDPoPProofFactory}, {@code DeviceAuthorizationRequest},
 * {@code DeviceCodeGrant}, {@code TokenExchangeGrant}): a device code bound at {@code
 * /device_authorization} answers only polls that prove its key, and a thief's polls with another
 * key change nothing (no slow_down for the device, no tokens, no revocation); an unbound device
 * code's tokens are bound to the key of the poll that gets them, and a second key racing for them
 * revokes the grant as a replay; a client registered for bound tokens may now have both grants, and
 * never gets a bearer token from them; a bound token is exchanged only with a proof of its key.
 */
class DeviceDpopTest {
  static final String PASSWORD = "correct horse battery";
  static final MutableClock CLOCK = new MutableClock();
  static final String DEVICE_GRANT = DeviceServer.DEVICE_GRANT;
  static final String EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";

  static DeviceServer device;
  static String hubSecret;
  static String svcSecret;
  static ECKey key;
  static ECKey thiefKey;
  static DPoPProofFactory proofs;
  static DPoPProofFactory thiefProofs;

  @BeforeAll
  static void start() throws Exception {
    device = new DeviceServer(CLOCK);
    // A TV whose tokens must be DPoP-bound: registering it for the device grant was refused
    // while the grant issued bearer tokens only.
    device.register(
        DeviceServer.deviceClient(
                "bound-tv", "Bound TV", "none", "openid offline_access", "refresh_token")
            .put("dpop_bound_access_tokens", true));
    // A TV that may use DPoP but need not.
    device.register(DeviceServer.deviceClient("plain-tv", "Plain TV", "none", "openid"));
    // A media hub bound to DPoP that exchanges its device tokens: refused before, as above.
    hubSecret =
        device.register(
            DeviceServer.deviceClient(
                    "bound-hub",
                    "Bound hub",
                    "client_secret_basic",
                    "openid profile",
                    EXCHANGE_GRANT)
                .put("token_exchange_audiences", new JsonArray().add("media-api"))
                .put("dpop_bound_access_tokens", true));
    // A service that may use DPoP but need not, exchanging its own client_credentials tokens.
    svcSecret =
        device.register(
            new JsonObject()
                .put("client_id", "svc")
                .put("client_name", "Service")
                .put("token_endpoint_auth_method", "client_secret_basic")
                .put("grant_types", new JsonArray().add("client_credentials").add(EXCHANGE_GRANT))
                .put("scope", "api")
                .put("token_exchange_audiences", new JsonArray().add("media-api")));
    key = new ECKeyGenerator(Curve.P_256).generate();
    thiefKey = new ECKeyGenerator(Curve.P_256).generate();
    proofs = new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256);
    thiefProofs = new DefaultDPoPProofFactory(thiefKey, JWSAlgorithm.ES256);
  }

  @AfterAll
  static void stop() throws Exception {
    device.close();
  }

  // ---------------------------------------------------------------- helpers

  static String jkt(ECKey k) throws Exception {
    return k.computeThumbprint().toString();
  }

  /** A proof for a POST to {@code htu}, made at the server's (test) time. */
  static SignedJWT proof(DPoPProofFactory f, URI htu) throws Exception {
    return f.createDPoPJWT(new JWTID(), "POST", htu, Date.from(CLOCK.instant()), null);
  }

  static SignedJWT tokenProof(DPoPProofFactory f) throws Exception {
    return proof(f, device.meta.getTokenEndpointURI());
  }

  /** The device's request, with a DPoP proof of {@code f}'s key when {@code f} is not null. */
  static DeviceAuthorizationSuccessResponse request(
      ClientAuthentication auth, String clientId, String scope, DPoPProofFactory f)
      throws Exception {
    URI endpoint = device.meta.getDeviceAuthorizationEndpointURI();
    DeviceAuthorizationRequest request =
        auth == null
            ? new DeviceAuthorizationRequest(endpoint, new ClientID(clientId), Scope.parse(scope))
            : new DeviceAuthorizationRequest(endpoint, auth, Scope.parse(scope), Map.of());
    HTTPRequest http = request.toHTTPRequest();
    if (f != null) {
      http.setDPoP(proof(f, endpoint));
    }
    HTTPResponse r = http.send();
    DeviceAuthorizationResponse parsed = DeviceAuthorizationResponse.parse(r);
    assertThat(parsed.indicatesSuccess()).as(r.getBody()).isTrue();
    return parsed.toSuccessResponse();
  }

  static HTTPResponse poll(ClientAuthentication auth, String clientId, DeviceCode code, SignedJWT p)
      throws Exception {
    TokenRequest request =
        auth == null
            ? new TokenRequest(
                device.meta.getTokenEndpointURI(),
                new ClientID(clientId),
                new DeviceCodeGrant(code))
            : new TokenRequest(device.meta.getTokenEndpointURI(), auth, new DeviceCodeGrant(code));
    HTTPRequest http = request.toHTTPRequest();
    if (p != null) {
      http.setDPoP(p);
    }
    return http.send();
  }

  static HTTPResponse poll(String clientId, DeviceCode code, SignedJWT p) throws Exception {
    return poll(null, clientId, code, p);
  }

  static String error(HTTPResponse r) {
    assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(400);
    return new JsonObject(r.getBody()).getString("error");
  }

  static JsonObject ok(HTTPResponse r) {
    assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(200);
    return new JsonObject(r.getBody());
  }

  static String boundTo(String jwt) {
    JsonObject cnf = OAuthFixtures.claims(jwt).getJsonObject("cnf");
    return cnf == null ? null : cnf.getString("jkt");
  }

  static String grantId(DeviceCode code) {
    return GrantTokens.grantIdOf(code.getValue()).orElseThrow();
  }

  /** The grant's events, oldest first: {@code type payload} per line. */
  static List<String> events(String grantId) throws Exception {
    List<String> out = new ArrayList<>();
    device
        .server
        .query(
            "SELECT type, payload::text AS p FROM events WHERE stream_id = $1 ORDER BY version",
            GrantTokens.streamId(grantId))
        .forEach(r -> out.add(r.getString("type") + " " + r.getString("p")));
    return out;
  }

  static boolean active(String token) {
    return device.fx.introspect("rs", device.rsSecret, token).getBoolean("active");
  }

  /** A person signs in on the device page as a new user and allows {@code userCode}. */
  static void allow(String username, String userCode) {
    device.fx.allowDevice(username, PASSWORD, userCode);
  }

  /** Polls {@code n} times at once, each with its own proof; the answers in order. */
  static List<HTTPResponse> race(String clientId, DeviceCode code, List<DPoPProofFactory> keys)
      throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<HTTPResponse>> polls = new ArrayList<>();
    for (DPoPProofFactory f : keys) {
      SignedJWT p = tokenProof(f);
      polls.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  go.await();
                  return poll(clientId, code, p);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    go.countDown();
    List<HTTPResponse> out = new ArrayList<>();
    for (CompletableFuture<HTTPResponse> p : polls) {
      out.add(p.get());
    }
    return out;
  }

  static HTTPResponse exchange(
      ClientAuthentication auth, String subject, String audience, SignedJWT p) throws Exception {
    HTTPRequest http =
        new TokenRequest.Builder(
                device.meta.getTokenEndpointURI(),
                auth,
                new TokenExchangeGrant(
                    new TypelessAccessToken(subject),
                    TokenTypeURI.ACCESS_TOKEN,
                    null,
                    null,
                    null,
                    audience == null
                        ? null
                        : List.of(new com.nimbusds.oauth2.sdk.id.Audience(audience))))
            .build()
            .toHTTPRequest();
    if (p != null) {
      http.setDPoP(p);
    }
    return http.send();
  }

  // ---------------------------------------------------------------- the scenarios

  @Test
  void aDeviceCodeBoundAtItsRequestAnswersOnlyPollsProvingItsKeyAndItsTokensAreBound()
      throws Exception {
    DeviceAuthorizationSuccessResponse d =
        request(null, "bound-tv", "openid offline_access", proofs);
    DeviceCode code = d.getDeviceCode();
    // The binding is a fact of the grant, for auditors.
    assertThat(events(grantId(code)).get(0))
        .startsWith("grant.device_authorization_requested.v1")
        .contains("\"dpop_jkt\": \"" + jkt(key) + "\"");

    // The client's every token request needs a proof (dpop_bound_access_tokens).
    assertThat(error(poll("bound-tv", code, null))).isEqualTo("invalid_dpop_proof");
    SignedJWT first = tokenProof(proofs);
    assertThat(error(poll("bound-tv", code, first))).isEqualTo("authorization_pending");
    // The same proof again: its jti is spent.
    assertThat(error(poll("bound-tv", code, first))).isEqualTo("invalid_dpop_proof");
    // A thief holding the device code but not the key, polling right after the device, learns
    // nothing, and is not counted as the device's poll: the device is not slowed down.
    for (int i = 0; i < 3; i++) {
      assertThat(error(poll("bound-tv", code, tokenProof(thiefProofs)))).isEqualTo("invalid_grant");
    }
    CLOCK.advance(Duration.ofSeconds(5));
    assertThat(error(poll("bound-tv", code, tokenProof(proofs))))
        .isEqualTo("authorization_pending");

    allow("bea", d.getUserCode().getValue());
    CLOCK.advance(Duration.ofSeconds(5));
    // The device and the thief race for the tokens: only the key's proof gets them, and the
    // thief's poll revokes nothing.
    List<HTTPResponse> raced = race("bound-tv", code, List.of(thiefProofs, proofs));
    assertThat(error(raced.get(0))).isEqualTo("invalid_grant");
    JsonObject tokens = ok(raced.get(1));
    assertThat(tokens.getString("token_type")).isEqualTo("DPoP");
    String access = tokens.getString("access_token");
    assertThat(boundTo(access)).isEqualTo(jkt(key));
    assertThat(active(access)).isTrue();
    assertThat(
            device
                .fx
                .introspect("rs", device.rsSecret, access)
                .getJsonObject("cnf")
                .getString("jkt"))
        .isEqualTo(jkt(key));
    // The thief once more, after the tokens: still nothing, and the grant lives on.
    assertThat(error(poll("bound-tv", code, tokenProof(thiefProofs)))).isEqualTo("invalid_grant");
    assertThat(active(access)).isTrue();
    List<String> history = events(grantId(code));
    assertThat(history).hasSize(3);
    assertThat(history.get(2))
        .startsWith("grant.device_code_redeemed.v1")
        .contains("\"dpop_jkt\": \"" + jkt(key) + "\"")
        .contains("\"refresh_token_dpop_jkt\": \"" + jkt(key) + "\"");

    // The TV is a public client: its refresh token is bound to the key too.
    String refresh = tokens.getString("refresh_token");
    Map<String, String> form =
        Map.of("grant_type", "refresh_token", "refresh_token", refresh, "client_id", "bound-tv");
    HTTPResponse foreign = refresh(form, tokenProof(thiefProofs));
    assertThat(error(foreign)).isEqualTo("invalid_grant");
    JsonObject refreshed = ok(refresh(form, tokenProof(proofs)));
    assertThat(refreshed.getString("token_type")).isEqualTo("DPoP");
    assertThat(boundTo(refreshed.getString("access_token"))).isEqualTo(jkt(key));

    // The device code presented again with its key is a replay: the grant is revoked.
    assertThat(error(poll("bound-tv", code, tokenProof(proofs)))).isEqualTo("invalid_grant");
    assertThat(active(access)).isFalse();
    assertThat(active(refreshed.getString("access_token"))).isFalse();
  }

  static HTTPResponse refresh(Map<String, String> form, SignedJWT p) throws Exception {
    HTTPRequest http = new HTTPRequest(HTTPRequest.Method.POST, device.meta.getTokenEndpointURI());
    http.setEntityContentType(ContentType.APPLICATION_URLENCODED);
    http.setBody(OAuthFixtures.formBody(form));
    http.setDPoP(p);
    return http.send();
  }

  @Test
  void anUnboundDeviceCodesTokensAreBoundToTheKeyOfThePollThatGetsThem() throws Exception {
    DeviceAuthorizationSuccessResponse d = request(null, "plain-tv", "openid", null);
    assertThat(error(poll("plain-tv", d.getDeviceCode(), tokenProof(thiefProofs))))
        .as("an unbound code: any key may poll")
        .isEqualTo("authorization_pending");
    allow("cai", d.getUserCode().getValue());
    CLOCK.advance(Duration.ofSeconds(5));
    JsonObject tokens = ok(poll("plain-tv", d.getDeviceCode(), tokenProof(proofs)));
    assertThat(tokens.getString("token_type")).isEqualTo("DPoP");
    assertThat(boundTo(tokens.getString("access_token"))).isEqualTo(jkt(key));

    // Without a proof, a client that may choose gets a bearer token, as before.
    DeviceAuthorizationSuccessResponse bearer = request(null, "plain-tv", "openid", null);
    allow("cid", bearer.getUserCode().getValue());
    CLOCK.advance(Duration.ofSeconds(5));
    JsonObject plain = ok(poll("plain-tv", bearer.getDeviceCode(), null));
    assertThat(plain.getString("token_type")).isEqualTo("Bearer");
    assertThat(boundTo(plain.getString("access_token"))).isNull();

    // A dpop_jkt at the request binds the code as a proof does.
    HTTPRequest named =
        new DeviceAuthorizationRequest(
                device.meta.getDeviceAuthorizationEndpointURI(),
                new ClientID("plain-tv"),
                Scope.parse("openid"))
            .toHTTPRequest();
    named.setBody(named.getBody() + "&dpop_jkt=" + jkt(key));
    DeviceCode namedCode =
        DeviceAuthorizationResponse.parse(named.send()).toSuccessResponse().getDeviceCode();
    assertThat(error(poll("plain-tv", namedCode, null))).isEqualTo("invalid_grant");
    assertThat(error(poll("plain-tv", namedCode, tokenProof(proofs))))
        .isEqualTo("authorization_pending");
  }

  @Test
  void twoKeysRacingForAnUnboundDeviceCodesTokensRevokeTheGrant() throws Exception {
    DeviceAuthorizationSuccessResponse d = request(null, "plain-tv", "openid", null);
    allow("dan", d.getUserCode().getValue());
    CLOCK.advance(Duration.ofSeconds(5));
    List<HTTPResponse> raced = race("plain-tv", d.getDeviceCode(), List.of(proofs, thiefProofs));
    List<Integer> statuses = raced.stream().map(HTTPResponse::getStatusCode).toList();
    assertThat(statuses).containsExactlyInAnyOrder(200, 400);
    HTTPResponse winner = raced.get(statuses.indexOf(200));
    HTTPResponse loser = raced.get(statuses.indexOf(400));
    assertThat(error(loser)).isEqualTo("invalid_grant");
    String access = ok(winner).getString("access_token");
    // The winner's token is bound to the winner's key; the loser's presentation of the same code
    // was a replay (RFC 6749 §10.5): whoever won, the grant is revoked.
    assertThat(boundTo(access)).isIn(jkt(key), jkt(thiefKey));
    assertThat(active(access)).isFalse();
    assertThat(events(grantId(d.getDeviceCode())))
        .anyMatch(e -> e.startsWith("grant.device_code_replayed.v1"))
        .filteredOn(e -> e.startsWith("grant.device_code_redeemed.v1"))
        .hasSize(1);
  }

  @Test
  void aBadDpopJktOrAProofOfAnotherKeyThanItIsRefusedAtTheRequest() throws Exception {
    URI endpoint = device.meta.getDeviceAuthorizationEndpointURI();
    HTTPRequest malformed =
        new DeviceAuthorizationRequest(endpoint, new ClientID("plain-tv"), Scope.parse("openid"))
            .toHTTPRequest();
    malformed.setBody(malformed.getBody() + "&dpop_jkt=not-a-thumbprint");
    assertThat(error(malformed.send())).isEqualTo("invalid_request");
    HTTPRequest mismatched =
        new DeviceAuthorizationRequest(endpoint, new ClientID("plain-tv"), Scope.parse("openid"))
            .toHTTPRequest();
    mismatched.setBody(mismatched.getBody() + "&dpop_jkt=" + jkt(thiefKey));
    mismatched.setDPoP(proof(proofs, endpoint));
    assertThat(error(mismatched.send())).isEqualTo("invalid_dpop_proof");
    // A proof made for the token endpoint is not one for this endpoint (htu).
    HTTPRequest elsewhere =
        new DeviceAuthorizationRequest(endpoint, new ClientID("plain-tv"), Scope.parse("openid"))
            .toHTTPRequest();
    elsewhere.setDPoP(tokenProof(proofs));
    assertThat(error(elsewhere.send())).isEqualTo("invalid_dpop_proof");
  }

  @Test
  void aBoundDeviceTokenIsExchangedOnlyWithAProofOfItsKeyForABoundToken() throws Exception {
    ClientSecretBasic hub = new ClientSecretBasic(new ClientID("bound-hub"), new Secret(hubSecret));
    DeviceAuthorizationSuccessResponse d = request(hub, "bound-hub", "openid profile", proofs);
    allow("eve", d.getUserCode().getValue());
    CLOCK.advance(Duration.ofSeconds(5));
    String access =
        ok(poll(hub, "bound-hub", d.getDeviceCode(), tokenProof(proofs))).getString("access_token");
    assertThat(boundTo(access)).isEqualTo(jkt(key));

    // The hub must prove a key at every token request; the subject token's key, here.
    assertThat(error(exchange(hub, access, "media-api", null))).isEqualTo("invalid_dpop_proof");
    HTTPResponse thief = exchange(hub, access, "media-api", tokenProof(thiefProofs));
    assertThat(error(thief)).isEqualTo("invalid_grant");
    assertThat(thief.getBody()).contains("DPoP-bound");
    JsonObject exchanged = ok(exchange(hub, access, "media-api", tokenProof(proofs)));
    assertThat(exchanged.getString("token_type")).isEqualTo("DPoP");
    String x = exchanged.getString("access_token");
    assertThat(boundTo(x)).isEqualTo(jkt(key));
    assertThat(OAuthFixtures.claims(x).getString("aud")).isEqualTo("media-api");
    assertThat(active(x)).isTrue();
    // The grant's event names the key.
    String exchangedGrant = OAuthFixtures.claims(x).getString("jti").split("\\.")[0];
    assertThat(events(exchangedGrant).get(0))
        .startsWith("grant.token_exchanged.v1")
        .contains("\"dpop_jkt\": \"" + jkt(key) + "\"");
    // And the exchanged token, bound in turn, again only with its key.
    assertThat(error(exchange(hub, x, "media-api", tokenProof(thiefProofs))))
        .isEqualTo("invalid_grant");
    assertThat(
            boundTo(
                ok(exchange(hub, x, "media-api", tokenProof(proofs))).getString("access_token")))
        .isEqualTo(jkt(key));
  }

  @Test
  void aBoundTokenIsNeverExchangedAsABearerTokenByAClientThatMayChoose() throws Exception {
    ClientSecretBasic svc = new ClientSecretBasic(new ClientID("svc"), new Secret(svcSecret));
    // A client_credentials token bound to the key, then exchanged by its own client.
    HTTPRequest cc =
        new TokenRequest(
                device.meta.getTokenEndpointURI(),
                svc,
                new com.nimbusds.oauth2.sdk.ClientCredentialsGrant(),
                new Scope("api"))
            .toHTTPRequest();
    cc.setDPoP(tokenProof(proofs));
    String bound = ok(cc.send()).getString("access_token");
    assertThat(boundTo(bound)).isEqualTo(jkt(key));

    HTTPResponse asBearer = exchange(svc, bound, "media-api", null);
    assertThat(error(asBearer)).isEqualTo("invalid_grant");
    assertThat(asBearer.getBody()).contains("DPoP-bound");
    assertThat(error(exchange(svc, bound, "media-api", tokenProof(thiefProofs))))
        .isEqualTo("invalid_grant");
    JsonObject withKey = ok(exchange(svc, bound, "media-api", tokenProof(proofs)));
    assertThat(withKey.getString("token_type")).isEqualTo("DPoP");
    assertThat(boundTo(withKey.getString("access_token"))).isEqualTo(jkt(key));

    // An unbound token exchanged with a proof: the new token is bound to the proof's key.
    String unbound =
        new JsonObject(
                device
                    .fx
                    .token(
                        "svc",
                        svcSecret,
                        Map.of("grant_type", "client_credentials", "scope", "api"))
                    .body())
            .getString("access_token");
    assertThat(boundTo(unbound)).isNull();
    JsonObject nowBound = ok(exchange(svc, unbound, "media-api", tokenProof(thiefProofs)));
    assertThat(boundTo(nowBound.getString("access_token"))).isEqualTo(jkt(thiefKey));
    JsonObject stillBearer = ok(exchange(svc, unbound, "media-api", null));
    assertThat(stillBearer.getString("token_type")).isEqualTo("Bearer");
    assertThat(boundTo(stillBearer.getString("access_token"))).isNull();
  }

  @Test
  void discoveryAndTheTokenTypesOfNimbusAgree() throws Exception {
    // Nimbus reads a DPoP answer as a DPoP access token, as a client library would.
    DeviceAuthorizationSuccessResponse d = request(null, "bound-tv", "openid", proofs);
    allow("fay", d.getUserCode().getValue());
    CLOCK.advance(Duration.ofSeconds(5));
    AccessToken t =
        TokenResponse.parse(poll("bound-tv", d.getDeviceCode(), tokenProof(proofs)))
            .toSuccessResponse()
            .getTokens()
            .getAccessToken();
    assertThat(t).isInstanceOf(DPoPAccessToken.class);
    assertThat(device.meta.getDeviceAuthorizationEndpointURI())
        .isEqualTo(URI.create(device.server.url("/device_authorization")));
  }
}
