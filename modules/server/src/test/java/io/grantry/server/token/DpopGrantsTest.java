package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.PushedAuthorizationRequest;
import com.nimbusds.oauth2.sdk.PushedAuthorizationResponse;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionSuccessResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.JWKThumbprintConfirmation;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.AccessTokenType;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.oauth2.sdk.token.Tokens;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DPoP (RFC 9449) beyond client_credentials, end to end with Nimbus: the code and refresh grants
 * bind their access tokens to the proof's key (token_type DPoP, {@code cnf.jkt}, introspection, the
 * grant's events); a public client's refresh token is bound to the key (another key, or none:
 * invalid_grant); {@code dpop_jkt} at {@code /authorize} and a proof at {@code /par} bind the code;
 * {@code /userinfo} takes a bound token only with the DPoP scheme and a proof with {@code ath} (as
 * Bearer: 401 with the DPoP challenge); {@code dpop_bound_access_tokens} makes proofs mandatory;
 * server nonces ({@code use_dpop_nonce}) on by configuration, accepted by a second instance;
 * discovery lists the proof algorithms.
 */
class DpopGrantsTest {
  static final String REDIRECT = "https://app.example.com/cb";
  static final String PASSWORD = "correct horse battery staple";
  static final Map<String, String> SHARED = TestServer.sharedSecrets();

  static TestServer server;
  static OAuthFixtures fx;
  static OIDCProviderMetadata meta;
  static URI tokenEndpoint;
  static String webSecret;
  static String boundSecret;
  static ECKey key;
  static ECKey otherKey;
  static DPoPProofFactory proofs;
  static DPoPProofFactory otherProofs;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(SHARED);
    fx = new OAuthFixtures(server);
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    tokenEndpoint = meta.getTokenEndpointURI();
    fx.publicClient("dp-native", REDIRECT, "openid profile offline_access");
    webSecret = fx.confidentialClient("dp-web", REDIRECT, "openid profile offline_access");
    boundSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "dp-bound")
                    .put("client_name", "Proofs always")
                    .put("grant_types", new JsonArray().add("client_credentials"))
                    .put("scope", "api")
                    .put("dpop_bound_access_tokens", true))
            .getString("client_secret");
    fx.user("dp-user", PASSWORD);
    key = new ECKeyGenerator(Curve.P_256).generate();
    otherKey = new ECKeyGenerator(Curve.P_256).generate();
    proofs = new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256);
    otherProofs = new DefaultDPoPProofFactory(otherKey, JWSAlgorithm.ES256);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String jkt(ECKey k) throws Exception {
    return k.computeThumbprint().toString();
  }

  /** The authorization request of {@code clientId}, optionally naming {@code dpop_jkt}. */
  static AuthorizationRequest.Builder request(String clientId, CodeVerifier verifier) {
    return new AuthorizationRequest.Builder(ResponseType.CODE, new ClientID(clientId))
        .redirectionURI(URI.create(REDIRECT))
        .scope(new Scope("openid", "offline_access"))
        .state(new State())
        .codeChallenge(verifier, CodeChallengeMethod.S256);
  }

  static String code(AuthorizationRequest request) {
    Map<String, String> callback =
        fx.browser().authorize(request.toQueryString(), "dp-user", PASSWORD);
    assertThat(callback).as(callback.toString()).containsKey("code");
    return callback.get("code");
  }

  static HTTPResponse token(ClientAuthentication auth, AuthorizationGrant grant, SignedJWT proof)
      throws Exception {
    TokenRequest request =
        auth == null
            ? new TokenRequest(tokenEndpoint, new ClientID("dp-native"), grant)
            : new TokenRequest(tokenEndpoint, auth, grant);
    HTTPRequest http = request.toHTTPRequest();
    if (proof != null) {
      http.setDPoP(proof);
    }
    return http.send();
  }

  static HTTPResponse redeem(String code, CodeVerifier verifier, SignedJWT proof) throws Exception {
    return token(
        null,
        new AuthorizationCodeGrant(new AuthorizationCode(code), URI.create(REDIRECT), verifier),
        proof);
  }

  static Tokens ok(HTTPResponse http) throws Exception {
    TokenResponse r = TokenResponse.parse(http);
    assertThat(r.indicatesSuccess()).as(http.getBody()).isTrue();
    return r.toSuccessResponse().getTokens();
  }

  static String error(HTTPResponse http) throws Exception {
    assertThat(http.getStatusCode()).as(http.getBody()).isBetween(400, 401);
    return (String) http.getBodyAsJSONObject().get("error");
  }

  static SignedJWT proof(DPoPProofFactory f) throws Exception {
    return f.createDPoPJWT("POST", tokenEndpoint);
  }

  static HTTPResponse userinfo(AccessToken token, SignedJWT proof) throws Exception {
    HTTPRequest http = new UserInfoRequest(meta.getUserInfoEndpointURI(), token).toHTTPRequest();
    if (proof != null) {
      http.setDPoP(proof);
    }
    return http.send();
  }

  @Test
  void discoveryListsTheProofAlgorithms() {
    assertThat(meta.getDPoPJWSAlgs())
        .containsExactlyInAnyOrder(
            JWSAlgorithm.ES256, JWSAlgorithm.RS256, JWSAlgorithm.PS256, JWSAlgorithm.EdDSA);
  }

  @Test
  void aPublicClientsTokensAreBoundAndItsRefreshTokenToo() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    String code = code(request("dp-native", verifier).build());
    Tokens tokens = ok(redeem(code, verifier, proof(proofs)));
    AccessToken access = tokens.getAccessToken();
    assertThat(access).isInstanceOf(DPoPAccessToken.class);
    assertThat(SignedJWT.parse(access.getValue()).getJWTClaimsSet().getJSONObjectClaim("cnf"))
        .containsEntry("jkt", jkt(key));

    // The grant's events name the key of the tokens, for auditors.
    String grantId =
        SignedJWT.parse(access.getValue()).getJWTClaimsSet().getJWTID().split("\\.")[0];
    JsonObject redeemed =
        new JsonObject(
            server
                .query(
                    "SELECT payload::text AS p FROM events WHERE stream_id = $1"
                        + " AND type = 'grant.authorization_code_redeemed.v1'",
                    "grant:" + grantId)
                .get(0)
                .getString("p"));
    assertThat(redeemed.getString("dpop_jkt")).isEqualTo(jkt(key));
    assertThat(redeemed.getString("refresh_token_dpop_jkt")).isEqualTo(jkt(key));

    RefreshToken refresh = tokens.getRefreshToken();
    // Another key, or no proof: the refresh token is bound (RFC 9449 §5), invalid_grant.
    assertThat(error(token(null, new RefreshTokenGrant(refresh), proof(otherProofs))))
        .isEqualTo("invalid_grant");
    assertThat(error(token(null, new RefreshTokenGrant(refresh), null))).isEqualTo("invalid_grant");
    // The right key: a new bound access token, and the refused attempts did not revoke the grant.
    Tokens refreshed = ok(token(null, new RefreshTokenGrant(refresh), proof(proofs)));
    assertThat(refreshed.getAccessToken()).isInstanceOf(DPoPAccessToken.class);
    assertThat(
            SignedJWT.parse(refreshed.getAccessToken().getValue())
                .getJWTClaimsSet()
                .getJSONObjectClaim("cnf"))
        .containsEntry("jkt", jkt(key));
    // The successor stays bound.
    assertThat(
            error(
                token(
                    null, new RefreshTokenGrant(refreshed.getRefreshToken()), proof(otherProofs))))
        .isEqualTo("invalid_grant");
    assertThat(
            server.query(
                "SELECT 1 FROM events WHERE stream_id = $1 AND type = 'grant.refresh_token_rotated.v1'"
                    + " AND payload->>'dpop_jkt' = $2",
                "grant:" + grantId,
                jkt(key)))
        .hasSize(1);
  }

  @Test
  void aConfidentialClientsRefreshTokenIsNotBoundButItsAccessTokensAre() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    String code = code(request("dp-web", verifier).build());
    ClientSecretBasic auth = new ClientSecretBasic(new ClientID("dp-web"), new Secret(webSecret));
    Tokens tokens =
        ok(
            token(
                auth,
                new AuthorizationCodeGrant(
                    new AuthorizationCode(code), URI.create(REDIRECT), verifier),
                proof(proofs)));
    // RFC 9449 §5: a confidential client's refresh token is bound to its authentication; a new
    // key binds the new access token.
    Tokens refreshed =
        ok(token(auth, new RefreshTokenGrant(tokens.getRefreshToken()), proof(otherProofs)));
    assertThat(
            SignedJWT.parse(refreshed.getAccessToken().getValue())
                .getJWTClaimsSet()
                .getJSONObjectClaim("cnf"))
        .containsEntry("jkt", jkt(otherKey));
    // Without a proof, a bearer token.
    Tokens bearer = ok(token(auth, new RefreshTokenGrant(refreshed.getRefreshToken()), null));
    assertThat(bearer.getAccessToken().getType()).isEqualTo(AccessTokenType.BEARER);

    // Introspection says which key the token is bound to.
    TokenIntrospectionSuccessResponse introspected =
        TokenIntrospectionResponse.parse(
                new TokenIntrospectionRequest(
                        meta.getIntrospectionEndpointURI(), auth, tokens.getAccessToken())
                    .toHTTPRequest()
                    .send())
            .toSuccessResponse();
    assertThat(introspected.isActive()).isTrue();
    assertThat(introspected.getTokenType()).isEqualTo(AccessTokenType.DPOP);
    assertThat(introspected.getJWKThumbprintConfirmation().getValue().toString())
        .isEqualTo(jkt(key));
  }

  @Test
  void dpopJktAtTheAuthorizationEndpointBindsTheCode() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    String code =
        code(
            request("dp-native", verifier)
                .dPoPJWKThumbprintConfirmation(JWKThumbprintConfirmation.of(key))
                .build());
    assertThat(
            server.query(
                "SELECT 1 FROM events WHERE type = 'grant.authorization_code_issued.v1'"
                    + " AND payload->>'dpop_jkt' = $1",
                jkt(key)))
        .isNotEmpty();
    // Without a proof, or with another key's: invalid_grant, and the code is still good...
    assertThat(error(redeem(code, verifier, null))).isEqualTo("invalid_grant");
    assertThat(error(redeem(code, verifier, proof(otherProofs)))).isEqualTo("invalid_grant");
    // ... for the key it is bound to.
    assertThat(ok(redeem(code, verifier, proof(proofs))).getAccessToken())
        .isInstanceOf(DPoPAccessToken.class);
    // A malformed dpop_jkt is refused at the authorization endpoint (back to the client).
    Map<String, String> refused =
        fx.browser()
            .authorize(
                request("dp-native", new CodeVerifier())
                    .customParameter("dpop_jkt", "abc")
                    .build()
                    .toQueryString(),
                "dp-user",
                PASSWORD);
    assertThat(refused).containsEntry("error", "invalid_request");
  }

  @Test
  void aProofAtTheParEndpointBindsTheCode() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    ClientSecretBasic auth = new ClientSecretBasic(new ClientID("dp-web"), new Secret(webSecret));
    URI par = meta.getPushedAuthorizationRequestEndpointURI();
    HTTPRequest push =
        new PushedAuthorizationRequest(par, auth, request("dp-web", verifier).build())
            .toHTTPRequest();
    push.setDPoP(proofs.createDPoPJWT("POST", par));
    PushedAuthorizationResponse pushed = PushedAuthorizationResponse.parse(push.send());
    assertThat(pushed.indicatesSuccess()).as(String.valueOf(pushed)).isTrue();
    String code =
        code(
            new AuthorizationRequest.Builder(
                    pushed.toSuccessResponse().getRequestURI(), new ClientID("dp-web"))
                .build());
    AuthorizationCodeGrant grant =
        new AuthorizationCodeGrant(new AuthorizationCode(code), URI.create(REDIRECT), verifier);
    assertThat(error(token(auth, grant, proof(otherProofs)))).isEqualTo("invalid_grant");
    assertThat(ok(token(auth, grant, proof(proofs))).getAccessToken())
        .isInstanceOf(DPoPAccessToken.class);

    // A proof for the token endpoint is not one for /par; dpop_jkt naming another key than the
    // proof's is refused.
    HTTPRequest wrongHtu =
        new PushedAuthorizationRequest(par, auth, request("dp-web", verifier).build())
            .toHTTPRequest();
    wrongHtu.setDPoP(proof(proofs));
    assertThat(error(wrongHtu.send())).isEqualTo("invalid_dpop_proof");
    HTTPRequest mismatch =
        new PushedAuthorizationRequest(
                par,
                auth,
                request("dp-web", verifier)
                    .dPoPJWKThumbprintConfirmation(JWKThumbprintConfirmation.of(otherKey))
                    .build())
            .toHTTPRequest();
    mismatch.setDPoP(proofs.createDPoPJWT("POST", par));
    assertThat(error(mismatch.send())).isEqualTo("invalid_dpop_proof");
  }

  @Test
  void userinfoTakesABoundTokenOnlyWithItsProof() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    String code =
        code(request("dp-native", verifier).scope(new Scope("openid", "profile")).build());
    AccessToken access = ok(redeem(code, verifier, proof(proofs))).getAccessToken();
    URI userinfo = meta.getUserInfoEndpointURI();

    HTTPResponse good = userinfo(access, proofs.createDPoPJWT("GET", userinfo, access));
    assertThat(good.getStatusCode()).as(good.getBody()).isEqualTo(200);
    assertThat(good.getBodyAsJSONObject().get("preferred_username")).isEqualTo("dp-user");

    // As a bearer token: refused, with the DPoP challenge (RFC 9449 §7.1, §7.2).
    HTTPResponse asBearer = userinfo(new BearerAccessToken(access.getValue()), null);
    assertThat(asBearer.getStatusCode()).isEqualTo(401);
    assertThat(asBearer.getHeaderValue("WWW-Authenticate"))
        .startsWith("DPoP ")
        .contains("error=\"invalid_token\"")
        .contains("algs=\"ES256 RS256 PS256 EdDSA\"");
    // DPoP without a proof; a proof without ath; one for another URI or method; another key's;
    // a replayed one.
    assertChallenge(userinfo(access, null), "invalid_dpop_proof");
    assertChallenge(userinfo(access, proofs.createDPoPJWT("GET", userinfo)), "invalid_dpop_proof");
    assertChallenge(
        userinfo(access, proofs.createDPoPJWT("POST", userinfo, access)), "invalid_dpop_proof");
    assertChallenge(
        userinfo(access, proofs.createDPoPJWT("GET", tokenEndpoint, access)), "invalid_dpop_proof");
    assertChallenge(
        userinfo(access, otherProofs.createDPoPJWT("GET", userinfo, access)), "invalid_token");
    SignedJWT once = proofs.createDPoPJWT("GET", userinfo, access);
    assertThat(userinfo(access, once).getStatusCode()).isEqualTo(200);
    assertChallenge(userinfo(access, once), "invalid_dpop_proof");
    // A bearer token presented with the DPoP scheme is not a bound one.
    String bearer =
        ok(redeem(
                code(request("dp-native", verifier = new CodeVerifier()).build()), verifier, null))
            .getAccessToken()
            .getValue();
    assertChallenge(
        userinfo(
            new DPoPAccessToken(bearer),
            proofs.createDPoPJWT("GET", userinfo, new DPoPAccessToken(bearer))),
        "invalid_token");
  }

  static void assertChallenge(HTTPResponse r, String error) {
    assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(401);
    assertThat(r.getHeaderValue("WWW-Authenticate"))
        .startsWith("DPoP ")
        .contains("error=\"" + error + "\"");
  }

  @Test
  void aClientRegisteredForDpopMustSendAProof() throws Exception {
    ClientSecretBasic auth =
        new ClientSecretBasic(new ClientID("dp-bound"), new Secret(boundSecret));
    assertThat(error(token(auth, new ClientCredentialsGrant(), null)))
        .isEqualTo("invalid_dpop_proof");
    assertThat(ok(token(auth, new ClientCredentialsGrant(), proof(proofs))).getAccessToken())
        .isInstanceOf(DPoPAccessToken.class);
    assertThat(
            fx.admin("GET", "/admin/clients/dp-bound", null).getBoolean("dpop_bound_access_tokens"))
        .isTrue();
    // Opaque tokens carry no binding: such a client cannot be registered.
    assertThatThrownBy(
            () ->
                fx.admin(
                    "POST",
                    "/admin/clients",
                    new JsonObject()
                        .put("client_id", "dp-opaque")
                        .put("client_name", "Opaque and bound")
                        .put("grant_types", new JsonArray().add("client_credentials"))
                        .put("scope", "api")
                        .put("access_token_format", "opaque")
                        .put("dpop_bound_access_tokens", true)))
        .hasMessageContaining("400")
        .hasMessageContaining("access_token_format");
  }

  @Test
  void serverNoncesAreAskedForRotatedAndValidOnEveryInstance() throws Exception {
    Map<String, String> settings = new HashMap<>(SHARED);
    settings.put("GRANTRY_DPOP_NONCE_REQUIRED", "true");
    try (TestServer first = TestServer.start(settings)) {
      settings.put("GRANTRY_ISSUER", first.url(""));
      try (TestServer second = TestServer.startOn(first.db, settings, Clock.systemUTC())) {
        String secret =
            new OAuthFixtures(first)
                .confidentialClient("nonce-svc", REDIRECT, "api", "client_credentials");
        ClientSecretBasic auth =
            new ClientSecretBasic(new ClientID("nonce-svc"), new Secret(secret));
        URI firstToken = URI.create(first.url("/token"));
        URI secondToken = URI.create(second.url("/token"));
        // No nonce: use_dpop_nonce, and the nonce to use.
        HTTPResponse asked = send(firstToken, auth, proofs.createDPoPJWT("POST", firstToken));
        assertThat(asked.getStatusCode()).isEqualTo(400);
        assertThat(asked.getBodyAsJSONObject().get("error")).isEqualTo("use_dpop_nonce");
        String nonce = asked.getHeaderValue("DPoP-Nonce");
        assertThat(nonce).isNotBlank();
        // A made-up nonce is no better.
        assertThat(
                send(firstToken, auth, proofs.createDPoPJWT("POST", firstToken, new Nonce("x")))
                    .getBodyAsJSONObject()
                    .get("error"))
            .isEqualTo("use_dpop_nonce");
        // With it: a token; and the other instance (same pepper, nothing shared in memory) takes
        // the same nonce. Proofs name the issuer's token URL, which both instances serve.
        HTTPResponse withNonce =
            send(firstToken, auth, proofs.createDPoPJWT("POST", firstToken, new Nonce(nonce)));
        assertThat(withNonce.getStatusCode()).as(withNonce.getBody()).isEqualTo(200);
        assertThat(withNonce.getHeaderValue("DPoP-Nonce")).isEqualTo(nonce);
        HTTPResponse elsewhere =
            send(secondToken, auth, proofs.createDPoPJWT("POST", firstToken, new Nonce(nonce)));
        assertThat(elsewhere.getStatusCode()).as(elsewhere.getBody()).isEqualTo(200);
      }
    }
  }

  static HTTPResponse send(URI endpoint, ClientAuthentication auth, SignedJWT proof)
      throws Exception {
    HTTPRequest http =
        new TokenRequest(endpoint, auth, new ClientCredentialsGrant(), new Scope("api"))
            .toHTTPRequest();
    http.setDPoP(proof);
    return http.send();
  }
}
