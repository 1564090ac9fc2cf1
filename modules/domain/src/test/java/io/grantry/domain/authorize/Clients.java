package io.grantry.domain.authorize;

import io.grantry.domain.client.AccessTokenFormat;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Registrations the authorization tests decide against. */
final class Clients {
  static final Instant REGISTERED = Instant.parse("2026-01-01T00:00:00Z");

  private Clients() {}

  static ClientState.Registered web(boolean skipConsent) {
    return client(
        ClientType.CONFIDENTIAL,
        List.of("https://app.example/cb"),
        Set.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN),
        "openid profile email offline_access api.read",
        skipConsent,
        false);
  }

  static ClientState.Registered client(
      ClientType type,
      List<String> redirectUris,
      Set<GrantType> grants,
      String scope,
      boolean skipConsent,
      boolean disabled) {
    return new ClientState.Registered(
        "web",
        new ClientMetadata(
            "Web app",
            type,
            type == ClientType.PUBLIC
                ? TokenEndpointAuthMethod.NONE
                : TokenEndpointAuthMethod.CLIENT_SECRET_BASIC,
            redirectUris,
            grants,
            Scopes.parse(scope),
            Optional.empty(),
            Optional.empty(),
            skipConsent,
            AccessTokenFormat.JWT,
            SigningAlgorithm.ES256,
            false,
            SigningAlgorithm.RS256,
            io.grantry.domain.client.LogoutMetadata.NONE,
            io.grantry.domain.client.TokenExchangeMetadata.NONE,
            io.grantry.domain.client.ClientSecurity.NONE),
        type == ClientType.PUBLIC ? Optional.empty() : Optional.of("hmac-sha256$x"),
        Optional.empty(),
        disabled,
        REGISTERED);
  }

  /** {@code client} with its metadata changed by {@code change}. */
  static ClientState.Registered with(
      ClientState.Registered client,
      java.util.function.UnaryOperator<ClientMetadata.Builder> change) {
    return new ClientState.Registered(
        client.clientId(),
        change.apply(client.metadata().toBuilder()).build(),
        client.secretHash(),
        client.previousSecret(),
        client.disabled(),
        client.registeredAt());
  }

  static UserState.Registered user(String name, boolean disabled) {
    return new UserState.Registered(
        "u-" + name,
        name,
        name,
        "$argon2id$v=19$x",
        Optional.empty(),
        Optional.empty(),
        false,
        disabled,
        REGISTERED);
  }
}
