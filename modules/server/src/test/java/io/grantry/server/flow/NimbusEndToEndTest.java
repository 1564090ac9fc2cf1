package io.grantry.server.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.AuthenticationSuccessResponse;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.AccessTokenValidator;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.net.URI;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The authorization code flow driven by a client library we did not write (Nimbus OAuth 2.0 SDK
 * with OpenID Connect): discovery, the authorization request with PKCE, the code exchange, and
 * validation of the ID token and the access token against the published JWKS.
 */
class NimbusEndToEndTest {
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;
  static final String REDIRECT = "http://127.0.0.1:9/callback";

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("nimbus-app", REDIRECT, "openid profile email offline_access");
    fx.user("nimbus-user", "a long enough password");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void discoveryAuthorizeExchangeAndValidateWithAnIndependentClient() throws Exception {
    OIDCProviderMetadata meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    assertThat(meta.getIssuer().getValue()).isEqualTo(server.url(""));

    CodeVerifier verifier = new CodeVerifier();
    State state = new State();
    Nonce nonce = new Nonce();
    AuthenticationRequest request =
        new AuthenticationRequest.Builder(
                ResponseType.CODE,
                new Scope("openid", "profile", "email", "offline_access"),
                new ClientID("nimbus-app"),
                URI.create(REDIRECT))
            .endpointURI(meta.getAuthorizationEndpointURI())
            .state(state)
            .nonce(nonce)
            .codeChallenge(verifier, CodeChallengeMethod.S256)
            .build();

    Map<String, String> callback =
        fx.browser()
            .authorize(request.toURI().getRawQuery(), "nimbus-user", "a long enough password");
    String location = REDIRECT + "?" + OAuthFixtures.formBody(callback);
    AuthenticationResponse response = AuthenticationResponseParser.parse(URI.create(location));
    assertThat(response.indicatesSuccess()).as(location).isTrue();
    AuthenticationSuccessResponse success = response.toSuccessResponse();
    assertThat(success.getState()).isEqualTo(state);
    assertThat(success.getIssuer()).isEqualTo(meta.getIssuer());
    AuthorizationCode code = success.getAuthorizationCode();

    TokenRequest tokenRequest =
        new TokenRequest(
            meta.getTokenEndpointURI(),
            new ClientSecretBasic(new ClientID("nimbus-app"), new Secret(secret)),
            new AuthorizationCodeGrant(code, URI.create(REDIRECT), verifier));
    var httpResponse = tokenRequest.toHTTPRequest().send();
    assertThat(httpResponse.getHeaderValue("Cache-Control")).isEqualTo("no-store");
    var tokenResponse = OIDCTokenResponseParser.parse(httpResponse);
    assertThat(tokenResponse.indicatesSuccess()).as(httpResponse.getBody()).isTrue();
    var tokens = ((OIDCTokenResponse) tokenResponse.toSuccessResponse()).getOIDCTokens();
    assertThat(tokens.getRefreshToken()).isNotNull();

    // The ID token: RS256, issuer, audience, nonce, auth_time, at_hash, all checked by Nimbus.
    IDTokenValidator validator =
        new IDTokenValidator(
            meta.getIssuer(),
            new ClientID("nimbus-app"),
            JWSAlgorithm.RS256,
            meta.getJWKSetURI().toURL());
    IDTokenClaimsSet claims = validator.validate(tokens.getIDToken(), nonce);
    assertThat(claims.getAuthenticationTime())
        .isNotNull()
        .isBefore(new Date(System.currentTimeMillis() + 1000));
    AccessTokenValidator.validate(
        tokens.getAccessToken(), JWSAlgorithm.RS256, claims.getAccessTokenHash());
    assertThat(claims.getStringClaim("preferred_username")).isEqualTo("nimbus-user");

    // The access token: an RFC 9068 JWT, typ at+jwt, ES256, verifiable with the JWKS.
    SignedJWT at = SignedJWT.parse(tokens.getAccessToken().getValue());
    assertThat(at.getHeader().getType()).isEqualTo(new JOSEObjectType("at+jwt"));
    assertThat(at.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
    JWKSet jwks = JWKSet.load(meta.getJWKSetURI().toURL());
    assertThat(
            at.verify(new ECDSAVerifier(jwks.getKeyByKeyId(at.getHeader().getKeyID()).toECKey())))
        .isTrue();
    var atClaims = at.getJWTClaimsSet();
    assertThat(atClaims.getIssuer()).isEqualTo(server.url(""));
    assertThat(atClaims.getSubject()).isEqualTo(claims.getSubject().getValue());
    assertThat(atClaims.getStringClaim("client_id")).isEqualTo("nimbus-app");
    assertThat(atClaims.getStringClaim("scope")).contains("openid", "email");
    assertThat(atClaims.getJWTID()).isNotBlank();
    assertThat(atClaims.getAudience()).isNotEmpty();
    assertThat(atClaims.getExpirationTime()).isAfter(atClaims.getIssueTime());

    // Userinfo with the access token.
    UserInfoResponse info =
        UserInfoResponse.parse(
            new UserInfoRequest(
                    meta.getUserInfoEndpointURI(), (BearerAccessToken) tokens.getAccessToken())
                .toHTTPRequest()
                .send());
    assertThat(info.indicatesSuccess()).isTrue();
    assertThat(info.toSuccessResponse().getUserInfo().getSubject()).isEqualTo(claims.getSubject());
    assertThat(info.toSuccessResponse().getUserInfo().getEmailAddress())
        .isEqualTo("nimbus-user@example.com");
  }
}
