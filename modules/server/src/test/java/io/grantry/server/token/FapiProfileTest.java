package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.PushedAuthorizationRequest;
import com.nimbusds.oauth2.sdk.PushedAuthorizationResponse;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseMode;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import com.nimbusds.oauth2.sdk.token.Tokens;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The FAPI 2.0 Security Profile per client ({@code "profile": "fapi2"}), driven by Nimbus as a FAPI
 * client would: pushed requests with PKCE S256, {@code private_key_jwt} (PS256 or ES256, never
 * RS256) everywhere, DPoP-bound tokens, {@code iss} in the response, codes of 60 s at most (the
 * server's own codes live longer here), responses in the query only, and a lost refresh answer
 * retried with the token sent. What such a client may not do is refused: a plain authorization
 * request, a push without PKCE or asking form_post, a token request without a proof, an RS256
 * assertion, a registration with a secret or RS256.
 */
class FapiProfileTest {
  static final String REDIRECT = "https://bank.example.com/cb";
  static final String PASSWORD = "correct horse battery staple";

  static TestServer server;
  static OAuthFixtures fx;
  static OIDCProviderMetadata meta;
  static ECKey ec;
  static RSAKey rsa;
  static DPoPProofFactory proofs;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_CODE_TTL_SECONDS", "300"));
    fx = new OAuthFixtures(server);
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec").generate();
    rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
    fx.admin("POST", "/admin/clients", fapiClient("fapi-bank"));
    fx.user("fapi-user", PASSWORD);
    proofs =
        new DefaultDPoPProofFactory(new ECKeyGenerator(Curve.P_256).generate(), JWSAlgorithm.ES256);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static JsonObject fapiClient(String id) {
    return new JsonObject()
        .put("client_id", id)
        .put("client_name", "A bank's app")
        .put("token_endpoint_auth_method", "private_key_jwt")
        .put(
            "jwks",
            new JsonObject()
                .put(
                    "keys",
                    new JsonArray()
                        .add(new JsonObject(ec.toPublicJWK().toJSONString()))
                        .add(new JsonObject(rsa.toPublicJWK().toJSONString()))))
        .put("redirect_uris", new JsonArray().add(REDIRECT))
        .put("grant_types", new JsonArray().add("authorization_code").add("refresh_token"))
        .put("scope", "openid accounts offline_access")
        .put("profile", "fapi2");
  }

  static ClientAuthentication auth(URI audience, JWSAlgorithm alg) throws Exception {
    return alg == JWSAlgorithm.ES256
        ? new PrivateKeyJWT(
            new ClientID("fapi-bank"), audience, alg, ec.toECPrivateKey(), "ec", null)
        : new PrivateKeyJWT(
            new ClientID("fapi-bank"), audience, alg, rsa.toRSAPrivateKey(), "rsa", null);
  }

  static AuthorizationRequest.Builder request(CodeVerifier verifier) {
    AuthorizationRequest.Builder b =
        new AuthorizationRequest.Builder(ResponseType.CODE, new ClientID("fapi-bank"))
            .redirectionURI(URI.create(REDIRECT))
            .scope(new Scope("openid", "accounts", "offline_access"))
            .state(new State());
    return verifier == null ? b : b.codeChallenge(verifier, CodeChallengeMethod.S256);
  }

  static HTTPResponse push(AuthorizationRequest request) throws Exception {
    URI par = meta.getPushedAuthorizationRequestEndpointURI();
    return new PushedAuthorizationRequest(
            par, auth(URI.create(server.url("")), JWSAlgorithm.PS256), request)
        .toHTTPRequest()
        .send();
  }

  static HTTPResponse token(AuthorizationGrant grant, ClientAuthentication auth, boolean proof)
      throws Exception {
    URI endpoint = meta.getTokenEndpointURI();
    HTTPRequest http = new TokenRequest(endpoint, auth, grant).toHTTPRequest();
    if (proof) {
      http.setDPoP(proofs.createDPoPJWT("POST", endpoint));
    }
    return http.send();
  }

  static String error(HTTPResponse r) throws Exception {
    assertThat(r.getStatusCode()).as(r.getBody()).isBetween(400, 401);
    return (String) r.getBodyAsJSONObject().get("error");
  }

  @Test
  void aFapiClientRunsTheWholeFlowAsTheProfileSays() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    HTTPResponse pushed = push(request(verifier).build());
    PushedAuthorizationResponse par = PushedAuthorizationResponse.parse(pushed);
    assertThat(par.indicatesSuccess()).as(pushed.getBody()).isTrue();
    Map<String, String> callback =
        fx.browser()
            .authorize(
                new AuthorizationRequest.Builder(
                        par.toSuccessResponse().getRequestURI(), new ClientID("fapi-bank"))
                    .build()
                    .toQueryString(),
                "fapi-user",
                PASSWORD);
    assertThat(callback).containsKey("code").containsEntry("iss", server.url(""));
    // The code lives 60 s, though this server gives others 300.
    JsonObject issued =
        new JsonObject(
            server
                .query(
                    "SELECT payload::text AS p FROM events WHERE type ="
                        + " 'grant.authorization_code_issued.v1' AND payload->>'client_id' ="
                        + " 'fapi-bank' ORDER BY position DESC LIMIT 1")
                .get(0)
                .getString("p"));
    assertThat(
            Duration.between(
                Instant.parse(issued.getString("issued_at")),
                Instant.parse(issued.getString("expires_at"))))
        .isEqualTo(Duration.ofSeconds(60));

    AuthorizationCodeGrant grant =
        new AuthorizationCodeGrant(
            new AuthorizationCode(callback.get("code")), URI.create(REDIRECT), verifier);
    URI tokenEndpoint = meta.getTokenEndpointURI();
    // Without a DPoP proof: refused (sender-constrained tokens, FAPI 2.0 §5.3.2.1).
    assertThat(error(token(grant, auth(tokenEndpoint, JWSAlgorithm.ES256), false)))
        .isEqualTo("invalid_dpop_proof");
    // An RS256 assertion, though its key is registered: not a FAPI algorithm.
    assertThat(error(token(grant, auth(tokenEndpoint, JWSAlgorithm.RS256), true)))
        .isEqualTo("invalid_client");
    HTTPResponse ok = token(grant, auth(tokenEndpoint, JWSAlgorithm.ES256), true);
    TokenResponse tokens = TokenResponse.parse(ok);
    assertThat(tokens.indicatesSuccess()).as(ok.getBody()).isTrue();
    Tokens t = tokens.toSuccessResponse().getTokens();
    assertThat(t.getAccessToken()).isInstanceOf(DPoPAccessToken.class);
    assertThat(SignedJWT.parse(t.getAccessToken().getValue()).getJWTClaimsSet().getClaim("cnf"))
        .isNotNull();

    // A refresh whose answer was lost is retried with the token sent, and answered the same
    // (rotation only where a retry succeeds, FAPI 2.0 §5.3.2.1).
    RefreshTokenGrant refresh = new RefreshTokenGrant(t.getRefreshToken());
    HTTPResponse first = token(refresh, auth(tokenEndpoint, JWSAlgorithm.PS256), true);
    HTTPResponse retry = token(refresh, auth(tokenEndpoint, JWSAlgorithm.PS256), true);
    assertThat(first.getStatusCode()).as(first.getBody()).isEqualTo(200);
    assertThat(retry.getStatusCode()).as(retry.getBody()).isEqualTo(200);
    assertThat(retry.getBodyAsJSONObject().get("refresh_token"))
        .isEqualTo(first.getBodyAsJSONObject().get("refresh_token"));
  }

  @Test
  void aFapiClientsPlainAuthorizationRequestIsRefused() {
    Map<String, String> answer =
        fx.browser()
            .authorize(request(new CodeVerifier()).build().toQueryString(), "fapi-user", PASSWORD);
    assertThat(answer).containsEntry("error", "invalid_request");
    assertThat(answer.get("error_description")).contains("push");
  }

  @Test
  void whatTheProfileForbidsIsRefusedAtThePush() throws Exception {
    // No PKCE.
    assertThat(error(push(request(null).build()))).isEqualTo("invalid_request");
    // form_post.
    assertThat(
            error(push(request(new CodeVerifier()).responseMode(ResponseMode.FORM_POST).build())))
        .isEqualTo("invalid_request");
  }

  @Test
  void aFapiClientIsRegisteredOnlyAsTheProfileAllows() {
    assertThat(fx.admin("GET", "/admin/clients/fapi-bank", null).getString("profile"))
        .isEqualTo("fapi2");
    for (JsonObject bad :
        new JsonObject[] {
          fapiClient("fapi-secret")
              .put("token_endpoint_auth_method", "client_secret_basic")
              .put("jwks", (Object) null),
          fapiClient("fapi-rs").put("token_endpoint_auth_signing_alg", "RS256"),
          fapiClient("fapi-opaque").put("access_token_format", "opaque"),
          fapiClient("fapi-1").put("profile", "fapi1")
        }) {
      bad.getMap().values().removeIf(v -> v == null);
      assertThatThrownBy(() -> fx.admin("POST", "/admin/clients", bad))
          .as(bad.getString("client_id"))
          .hasMessageContaining("answered 4");
    }
  }
}
