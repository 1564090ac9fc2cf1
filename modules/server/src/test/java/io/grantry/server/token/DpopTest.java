package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenIntrospectionSuccessResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.token.AccessToken;
import com.nimbusds.oauth2.sdk.token.AccessTokenType;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Date;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DPoP-bound access tokens (RFC 9449) at {@code /token} for client_credentials, driven by Nimbus's
 * {@link DefaultDPoPProofFactory}: the token is {@code token_type} DPoP, its JWT carries {@code
 * cnf.jkt} (the RFC 7638 thumbprint of the proof's key), introspection says so, and the grant's
 * event records the key; and every proof that must be refused ({@code invalid_dpop_proof}): a
 * replayed jti, a wrong htm, a wrong htu, a stale iat, one from the future, a private key in the
 * header, two proofs, an unsigned or symmetric one.
 */
class DpopTest {
  static TestServer server;
  static OIDCProviderMetadata meta;
  static URI tokenEndpoint;
  static String secret;
  static ECKey key;
  static DPoPProofFactory proofs;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    io.grantry.server.testing.OAuthFixtures fx =
        new io.grantry.server.testing.OAuthFixtures(server);
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    tokenEndpoint = meta.getTokenEndpointURI();
    secret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "dpop-svc")
                    .put("client_name", "Holds a key")
                    .put(
                        "grant_types", new io.vertx.core.json.JsonArray().add("client_credentials"))
                    .put("scope", "api")
                    .put("introspect", true))
            .getString("client_secret");
    key = new ECKeyGenerator(Curve.P_256).generate();
    proofs = new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HTTPResponse token(SignedJWT... proof) throws Exception {
    HTTPRequest request =
        new TokenRequest(
                tokenEndpoint,
                new ClientSecretBasic(new ClientID("dpop-svc"), new Secret(secret)),
                new ClientCredentialsGrant(),
                new Scope("api"))
            .toHTTPRequest();
    if (proof.length == 1) {
      request.setDPoP(proof[0]);
    } else {
      request.setHeader(
          "DPoP", java.util.Arrays.stream(proof).map(SignedJWT::serialize).toArray(String[]::new));
    }
    return request.send();
  }

  static HTTPResponse tokenWithHeader(String dpop) throws Exception {
    HTTPRequest request =
        new TokenRequest(
                tokenEndpoint,
                new ClientSecretBasic(new ClientID("dpop-svc"), new Secret(secret)),
                new ClientCredentialsGrant(),
                new Scope("api"))
            .toHTTPRequest();
    request.setHeader("DPoP", dpop);
    return request.send();
  }

  static void assertRefused(HTTPResponse r) throws Exception {
    assertThat(r.getStatusCode()).as(r.getBody()).isEqualTo(400);
    assertThat(r.getBodyAsJSONObject().get("error")).isEqualTo("invalid_dpop_proof");
  }

  @Test
  void aProofBindsTheTokenToItsKey() throws Exception {
    TokenResponse response =
        TokenResponse.parse(token(proofs.createDPoPJWT("POST", tokenEndpoint)));
    assertThat(response.indicatesSuccess()).as(String.valueOf(response)).isTrue();
    AccessToken token = response.toSuccessResponse().getTokens().getAccessToken();
    assertThat(token).isInstanceOf(DPoPAccessToken.class);
    assertThat(token.getType()).isEqualTo(AccessTokenType.DPOP);
    String jkt = key.computeThumbprint().toString();
    JWTClaimsSet claims = SignedJWT.parse(token.getValue()).getJWTClaimsSet();
    assertThat(claims.getJSONObjectClaim("cnf")).containsEntry("jkt", jkt);

    TokenIntrospectionSuccessResponse introspected =
        TokenIntrospectionResponse.parse(
                new TokenIntrospectionRequest(
                        meta.getIntrospectionEndpointURI(),
                        new ClientSecretBasic(new ClientID("dpop-svc"), new Secret(secret)),
                        token)
                    .toHTTPRequest()
                    .send())
            .toSuccessResponse();
    assertThat(introspected.isActive()).isTrue();
    assertThat(introspected.getTokenType()).isEqualTo(AccessTokenType.DPOP);
    assertThat(introspected.getJWKThumbprintConfirmation().getValue().toString()).isEqualTo(jkt);

    // The ledger says which key the grant's token is bound to.
    assertThat(
            server.query(
                "SELECT 1 FROM events WHERE type = 'grant.client_credentials_issued.v1'"
                    + " AND payload->>'jti' = $1 AND payload->>'dpop_jkt' = $2",
                claims.getJWTID(),
                jkt))
        .hasSize(1);

    // Without a proof, a bearer token as before.
    TokenResponse bearer = TokenResponse.parse(token());
    assertThat(bearer.toSuccessResponse().getTokens().getAccessToken().getType())
        .isEqualTo(AccessTokenType.BEARER);
  }

  @Test
  void aReplayedProofIsRefused() throws Exception {
    SignedJWT proof = proofs.createDPoPJWT("POST", tokenEndpoint);
    assertThat(token(proof).getStatusCode()).isEqualTo(200);
    assertRefused(token(proof));
  }

  @Test
  void aProofForAnotherMethodOrUriIsRefused() throws Exception {
    assertRefused(token(proofs.createDPoPJWT("GET", tokenEndpoint)));
    assertRefused(
        token(proofs.createDPoPJWT("POST", meta.getPushedAuthorizationRequestEndpointURI())));
    assertRefused(
        token(proofs.createDPoPJWT("POST", URI.create("https://elsewhere.example/token"))));
    // The same URI in another spelling is the same (RFC 9449 §4.3: normalized).
    URI spelled =
        URI.create(tokenEndpoint.toString().replace("http://127.0.0.1", "HTTP://127.0.0.1"));
    assertThat(token(proofs.createDPoPJWT("POST", spelled)).getStatusCode()).isEqualTo(200);
  }

  @Test
  void aStaleOrFutureProofIsRefused() throws Exception {
    Date stale = new Date(System.currentTimeMillis() - 120_000);
    assertRefused(token(proofs.createDPoPJWT(new JWTID(), "POST", tokenEndpoint, stale, null)));
    Date ahead = new Date(System.currentTimeMillis() + 120_000);
    assertRefused(token(proofs.createDPoPJWT(new JWTID(), "POST", tokenEndpoint, ahead, null)));
  }

  @Test
  void aProofWithAnIatBeyondTimeIsRefusedNotAServerError() throws Exception {
    // An iat past what java.time can hold (Instant's range) is a bad proof, never a 500.
    for (Object iat :
        new Object[] {Long.MAX_VALUE, 1e300, -Long.MAX_VALUE, 100_000_000_000_000_000L}) {
      JWTClaimsSet claims =
          new JWTClaimsSet.Builder()
              .jwtID(new JWTID().getValue())
              .claim("htm", "POST")
              .claim("htu", tokenEndpoint.toString())
              .claim("iat", iat)
              .build();
      SignedJWT proof =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.ES256)
                  .type(new JOSEObjectType("dpop+jwt"))
                  .jwk(key.toPublicJWK())
                  .build(),
              claims);
      proof.sign(new ECDSASigner(key));
      assertRefused(token(proof));
    }
  }

  @Test
  void malformedProofsAreRefused() throws Exception {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .jwtID(new JWTID().getValue())
            .claim("htm", "POST")
            .claim("htu", tokenEndpoint.toString())
            .issueTime(new Date())
            .build();
    // The private key in the header (built by hand: Nimbus refuses to).
    String header =
        new JsonObject()
            .put("typ", "dpop+jwt")
            .put("alg", "ES256")
            .put("jwk", new JsonObject(key.toJSONString()))
            .encode();
    String input =
        com.nimbusds.jose.util.Base64URL.encode(header)
            + "."
            + com.nimbusds.jose.util.Base64URL.encode(claims.toString());
    String signature =
        new ECDSASigner(key)
            .sign(
                new JWSHeader(JWSAlgorithm.ES256),
                input.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .toString();
    assertRefused(tokenWithHeader(input + "." + signature));
    // Not typ dpop+jwt.
    SignedJWT plainJwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(JOSEObjectType.JWT)
                .jwk(key.toPublicJWK())
                .build(),
            claims);
    plainJwt.sign(new ECDSASigner(key));
    assertRefused(token(plainJwt));
    // Signed by another key than the header's.
    SignedJWT otherKey =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("dpop+jwt"))
                .jwk(key.toPublicJWK())
                .build(),
            claims);
    otherKey.sign(new ECDSASigner(new ECKeyGenerator(Curve.P_256).generate()));
    assertRefused(token(otherKey));
    // Two proofs.
    assertRefused(
        token(
            proofs.createDPoPJWT("POST", tokenEndpoint),
            proofs.createDPoPJWT("POST", tokenEndpoint)));
    // Not a JWS at all.
    assertRefused(tokenWithHeader("not-a-jwt"));
    // Unsigned (alg none), with the public key in the header.
    String noneHeader =
        new JsonObject()
            .put("typ", "dpop+jwt")
            .put("alg", "none")
            .put("jwk", new JsonObject(key.toPublicJWK().toJSONString()))
            .encode();
    assertRefused(
        tokenWithHeader(
            com.nimbusds.jose.util.Base64URL.encode(noneHeader)
                + "."
                + com.nimbusds.jose.util.Base64URL.encode(claims.toString())
                + "."));
    // Symmetric (HS256): a MAC proves no key the token could be bound to.
    byte[] macKey = new byte[32];
    new java.security.SecureRandom().nextBytes(macKey);
    SignedJWT hs256 =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256)
                .type(new JOSEObjectType("dpop+jwt"))
                .jwk(key.toPublicJWK())
                .build(),
            claims);
    hs256.sign(new com.nimbusds.jose.crypto.MACSigner(macKey));
    assertRefused(token(hs256));
  }
}
