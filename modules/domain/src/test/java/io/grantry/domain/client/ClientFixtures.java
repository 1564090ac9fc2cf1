package io.grantry.domain.client;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import java.time.Instant;

final class ClientFixtures {
  static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");
  static final String HASH_1 = "hmac-sha256$c2VjcmV0LW9uZS1oYXNoLXZhbHVlLWZvci10ZXN0cw";
  static final String HASH_2 = "hmac-sha256$c2VjcmV0LXR3by1oYXNoLXZhbHVlLWZvci10ZXN0cw";

  private ClientFixtures() {}

  static ClientMetadata webApp() {
    return ClientMetadata.builder("Example Web App", ClientType.CONFIDENTIAL)
        .redirectUris("https://app.example.com/cb")
        .grantTypes(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
        .allowedScopes(Scopes.parse("openid profile email offline_access"))
        .logoUri("https://app.example.com/logo.png")
        .clientUri("https://app.example.com")
        .build();
  }

  static ClientMetadata nativeApp() {
    return ClientMetadata.builder("Example Native App", ClientType.PUBLIC)
        .redirectUris("com.example.app:/cb", "http://127.0.0.1/cb")
        .grantTypes(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN)
        .allowedScopes(Scopes.parse("openid offline_access"))
        .accessTokenSigningAlg(SigningAlgorithm.RS256)
        .build();
  }

  /** A public P-256 JWK (the example key of RFC 7515 A.3). */
  static final String EC_JWK =
      "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\","
          + "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
          + "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";

  /** A private_key_jwt service with its public key registered. */
  static ClientMetadata keyedService() {
    return service().toBuilder()
        .tokenEndpointAuthMethod(TokenEndpointAuthMethod.PRIVATE_KEY_JWT)
        .security(
            new ClientSecurity(
                false,
                java.util.Optional.of("{\"keys\":[" + EC_JWK + "]}"),
                java.util.Optional.empty(),
                java.util.Optional.of(io.grantry.domain.oauth.JwsAlgorithm.ES256)))
        .build();
  }

  static ClientMetadata service() {
    return ClientMetadata.builder("Billing Service", ClientType.CONFIDENTIAL)
        .tokenEndpointAuthMethod(TokenEndpointAuthMethod.CLIENT_SECRET_POST)
        .grantTypes(GrantType.CLIENT_CREDENTIALS)
        .allowedScopes(Scopes.parse("billing:read billing:write"))
        .accessTokenFormat(AccessTokenFormat.OPAQUE)
        .introspect(true)
        .skipConsent(true)
        .build();
  }
}
