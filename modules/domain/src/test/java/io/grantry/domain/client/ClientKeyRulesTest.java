package io.grantry.domain.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.oauth.JwsAlgorithm;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a client's keys must be to be registered, as a table of cases. */
class ClientKeyRulesTest {
  static final String EC = ClientFixtures.EC_JWK;
  static final String SET = "{\"keys\":[" + EC + "]}";

  static Optional<ValidationError> check(
      TokenEndpointAuthMethod method,
      Optional<String> jwks,
      Optional<String> jwksUri,
      Optional<JwsAlgorithm> alg) {
    return ClientKeyRules.problemWith(
        ClientFixtures.service().toBuilder()
            .tokenEndpointAuthMethod(method)
            .security(new ClientSecurity(false, jwks, jwksUri, alg))
            .build());
  }

  static String problem(String jwks) {
    return ClientKeyRules.jwksProblem(jwks).map(ValidationError::message).orElse("none");
  }

  @Test
  void privateKeyJwtNeedsExactlyOneSourceOfKeys() {
    var pkj = TokenEndpointAuthMethod.PRIVATE_KEY_JWT;
    assertThat(check(pkj, Optional.of(SET), Optional.empty(), Optional.empty())).isEmpty();
    assertThat(
            check(
                pkj, Optional.empty(), Optional.of("https://keys.example/jwks"), Optional.empty()))
        .isEmpty();
    assertThat(check(pkj, Optional.empty(), Optional.empty(), Optional.empty()))
        .get()
        .extracting(ValidationError::field)
        .isEqualTo("jwks");
    assertThat(
            check(
                pkj, Optional.of(SET), Optional.of("https://keys.example/jwks"), Optional.empty()))
        .isPresent();
  }

  @Test
  void aClientWhoseTokensMustBeDpopBoundMayHaveTokenExchangeAndTheDeviceGrant() {
    ClientMetadata keyed = ClientFixtures.keyedService();
    ClientMetadata bound =
        keyed.toBuilder()
            .accessTokenFormat(AccessTokenFormat.JWT)
            .security(
                new ClientSecurity(
                    false,
                    keyed.security().jwks(),
                    Optional.empty(),
                    Optional.empty(),
                    true,
                    false))
            .build();
    assertThat(ClientKeyRules.problemWith(bound)).isEmpty();
    // Both grants bind what they issue to the key of the request's proof, which every token
    // request of such a client carries: nothing to refuse (they were refused while they did not).
    assertThat(
            ClientKeyRules.problemWith(
                bound.toBuilder()
                    .grantTypes(
                        GrantType.CLIENT_CREDENTIALS,
                        GrantType.TOKEN_EXCHANGE,
                        GrantType.DEVICE_CODE)
                    .build()))
        .isEmpty();
    // Still refused: opaque access tokens, which cannot carry the binding.
    assertThat(
            ClientKeyRules.problemWith(
                bound.toBuilder()
                    .grantTypes(GrantType.CLIENT_CREDENTIALS, GrantType.TOKEN_EXCHANGE)
                    .accessTokenFormat(AccessTokenFormat.OPAQUE)
                    .build()))
        .get()
        .extracting(ValidationError::field)
        .isEqualTo("dpop_bound_access_tokens");
    assertThat(
            ClientKeyRules.problemWith(
                keyed.toBuilder()
                    .grantTypes(GrantType.CLIENT_CREDENTIALS, GrantType.TOKEN_EXCHANGE)
                    .build()))
        .isEmpty();
  }

  @Test
  void otherMethodsTakeNoKeys() {
    assertThat(
            check(
                TokenEndpointAuthMethod.CLIENT_SECRET_BASIC,
                Optional.of(SET),
                Optional.empty(),
                Optional.empty()))
        .isPresent();
    assertThat(
            check(
                TokenEndpointAuthMethod.CLIENT_SECRET_JWT,
                Optional.empty(),
                Optional.of("https://keys.example/jwks"),
                Optional.empty()))
        .isPresent();
  }

  @Test
  void theAlgorithmFitsTheMethod() {
    var pkj = TokenEndpointAuthMethod.PRIVATE_KEY_JWT;
    var csj = TokenEndpointAuthMethod.CLIENT_SECRET_JWT;
    Optional<String> keys = Optional.of(SET);
    for (JwsAlgorithm a : JwsAlgorithm.ASYMMETRIC) {
      assertThat(check(pkj, keys, Optional.empty(), Optional.of(a))).as(a.name()).isEmpty();
    }
    assertThat(check(pkj, keys, Optional.empty(), Optional.of(JwsAlgorithm.HS256))).isPresent();
    assertThat(check(csj, Optional.empty(), Optional.empty(), Optional.of(JwsAlgorithm.HS256)))
        .isEmpty();
    assertThat(check(csj, Optional.empty(), Optional.empty(), Optional.of(JwsAlgorithm.ES256)))
        .isPresent();
    assertThat(
            check(
                TokenEndpointAuthMethod.CLIENT_SECRET_BASIC,
                Optional.empty(),
                Optional.empty(),
                Optional.of(JwsAlgorithm.HS256)))
        .isPresent();
  }

  @Test
  void aJwksUriIsHttpsWithoutFragment() {
    var pkj = TokenEndpointAuthMethod.PRIVATE_KEY_JWT;
    assertThat(
            check(pkj, Optional.empty(), Optional.of("http://keys.example/jwks"), Optional.empty()))
        .isPresent();
    assertThat(
            check(pkj, Optional.empty(), Optional.of("http://127.0.0.1:8/jwks"), Optional.empty()))
        .as("loopback for development")
        .isEmpty();
    assertThat(
            check(
                pkj,
                Optional.empty(),
                Optional.of("https://keys.example/jwks#a"),
                Optional.empty()))
        .isPresent();
  }

  @Test
  void aJwkSetHoldsPublicSigningKeysOnly() {
    assertThat(problem(SET)).isEqualTo("none");
    assertThat(problem(SET.replace("\"kid\":\"k1\",", "\"kid\":\"k1\",\"d\":\"AAAA\",")))
        .contains("private");
    assertThat(problem("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}")).contains("private");
    assertThat(problem(SET.replace("P-256", "P-384"))).contains("P-256");
    assertThat(problem(SET.replace("\"kid\":\"k1\",", "\"use\":\"enc\",")))
        .contains("use must be 'sig'");
    assertThat(problem(SET.replace("\"kid\":\"k1\",", "\"alg\":\"HS256\",")))
        .contains("alg must be");
    assertThat(problem("{\"keys\":[" + EC + "," + EC + "]}")).contains("twice");
    assertThat(problem("{\"keys\":[]}")).contains("1 to 20");
    assertThat(problem("[1]")).contains("JWK Set");
    assertThat(problem("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}"))
        .contains("2048");
    assertThat(
            problem(
                "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\""
                    + "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
                    + "\"}]}"))
        .isEqualTo("none");
    assertThat(problem("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"}]}"))
        .contains("Ed25519");
  }
}
