package io.grantry.domain.client;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything an operator registers about a client except its id and its secret. Registration and
 * update both carry the whole of it; an update replaces it.
 *
 * <p>The constructor only rejects nulls; whether the values make a valid client is the decision's
 * to say ({@link ClientDecider}), so that it can answer with a field-level {@link
 * io.grantry.domain.DomainError.ValidationError}.
 *
 * @param name {@code client_name}, shown on the consent page
 * @param type confidential or public (RFC 6749 §2.1)
 * @param tokenEndpointAuthMethod {@code none} for public clients, a secret method otherwise
 * @param redirectUris registered redirect URIs, duplicates dropped, order kept
 * @param grantTypes grants the client may use
 * @param allowedScopes the widest scope the client may ask for
 * @param logoUri optional {@code logo_uri} for the consent page
 * @param clientUri optional {@code client_uri} for the consent page
 * @param skipConsent first-party client: no consent page
 * @param accessTokenFormat JWT (RFC 9068) or opaque
 * @param accessTokenSigningAlg JWS algorithm of JWT access tokens
 * @param introspect may call the introspection endpoint (RFC 7662 §2.1)
 * @param idTokenSignedResponseAlg JWS algorithm of the client's ID tokens (OIDC Registration {@code
 *     id_token_signed_response_alg}; RS256 by default, as OIDC Core §3.1.3.7 expects of a client
 *     that registered none)
 * @param logout RP-initiated and back-channel logout ({@link LogoutMetadata#NONE}: neither)
 * @param tokenExchange what the client may do with the token exchange grant ({@link
 *     TokenExchangeMetadata#NONE}: nothing beyond the default audience, delegation only)
 * @param security pushed requests, keys, sender-constrained tokens ({@link ClientSecurity#NONE}:
 *     none of them)
 */
public record ClientMetadata(
    String name,
    ClientType type,
    TokenEndpointAuthMethod tokenEndpointAuthMethod,
    List<String> redirectUris,
    Set<GrantType> grantTypes,
    Scopes allowedScopes,
    Optional<String> logoUri,
    Optional<String> clientUri,
    boolean skipConsent,
    AccessTokenFormat accessTokenFormat,
    SigningAlgorithm accessTokenSigningAlg,
    boolean introspect,
    SigningAlgorithm idTokenSignedResponseAlg,
    LogoutMetadata logout,
    TokenExchangeMetadata tokenExchange,
    ClientSecurity security) {

  public ClientMetadata {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(tokenEndpointAuthMethod, "tokenEndpointAuthMethod");
    redirectUris = List.copyOf(new LinkedHashSet<>(redirectUris));
    grantTypes =
        grantTypes.isEmpty()
            ? Collections.unmodifiableSet(EnumSet.noneOf(GrantType.class))
            : Collections.unmodifiableSet(EnumSet.copyOf(grantTypes));
    Objects.requireNonNull(allowedScopes, "allowedScopes");
    Objects.requireNonNull(logoUri, "logoUri");
    Objects.requireNonNull(clientUri, "clientUri");
    Objects.requireNonNull(accessTokenFormat, "accessTokenFormat");
    Objects.requireNonNull(accessTokenSigningAlg, "accessTokenSigningAlg");
    Objects.requireNonNull(idTokenSignedResponseAlg, "idTokenSignedResponseAlg");
    Objects.requireNonNull(logout, "logout");
    Objects.requireNonNull(tokenExchange, "tokenExchange");
    Objects.requireNonNull(security, "security");
  }

  /** Whether the client's authorization requests must be pushed first (RFC 9126 §6). */
  public boolean requiresPushedRequests() {
    return security.requiresPushedRequests();
  }

  public boolean allows(GrantType grant) {
    return grantTypes.contains(grant);
  }

  public static Builder builder(String name, ClientType type) {
    return new Builder(name, type);
  }

  public Builder toBuilder() {
    Builder b = new Builder(name, type);
    b.tokenEndpointAuthMethod = tokenEndpointAuthMethod;
    b.redirectUris = redirectUris;
    b.grantTypes = grantTypes;
    b.allowedScopes = allowedScopes;
    b.logoUri = logoUri;
    b.clientUri = clientUri;
    b.skipConsent = skipConsent;
    b.accessTokenFormat = accessTokenFormat;
    b.accessTokenSigningAlg = accessTokenSigningAlg;
    b.introspect = introspect;
    b.idTokenSignedResponseAlg = idTokenSignedResponseAlg;
    b.logout = logout;
    b.tokenExchange = tokenExchange;
    b.security = security;
    return b;
  }

  /**
   * Builds metadata with the defaults of a fresh client: {@code client_secret_basic} for
   * confidential and {@code none} for public clients, JWT access tokens signed ES256, consent
   * shown, no introspection.
   */
  public static final class Builder {
    private String name;
    private ClientType type;
    private TokenEndpointAuthMethod tokenEndpointAuthMethod;
    private Collection<String> redirectUris = List.of();
    private Collection<GrantType> grantTypes = List.of();
    private Scopes allowedScopes = Scopes.empty();
    private Optional<String> logoUri = Optional.empty();
    private Optional<String> clientUri = Optional.empty();
    private boolean skipConsent;
    private AccessTokenFormat accessTokenFormat = AccessTokenFormat.JWT;
    private SigningAlgorithm accessTokenSigningAlg = SigningAlgorithm.ES256;
    private boolean introspect;
    private SigningAlgorithm idTokenSignedResponseAlg = SigningAlgorithm.RS256;
    private LogoutMetadata logout = LogoutMetadata.NONE;
    private TokenExchangeMetadata tokenExchange = TokenExchangeMetadata.NONE;
    private ClientSecurity security = ClientSecurity.NONE;

    private Builder(String name, ClientType type) {
      this.name = name;
      this.type = type;
      this.tokenEndpointAuthMethod =
          type == ClientType.PUBLIC
              ? TokenEndpointAuthMethod.NONE
              : TokenEndpointAuthMethod.CLIENT_SECRET_BASIC;
    }

    public Builder name(String value) {
      this.name = value;
      return this;
    }

    public Builder type(ClientType value) {
      this.type = value;
      return this;
    }

    public Builder tokenEndpointAuthMethod(TokenEndpointAuthMethod value) {
      this.tokenEndpointAuthMethod = value;
      return this;
    }

    public Builder redirectUris(Collection<String> value) {
      this.redirectUris = value;
      return this;
    }

    public Builder redirectUris(String... value) {
      this.redirectUris = List.of(value);
      return this;
    }

    public Builder grantTypes(Collection<GrantType> value) {
      this.grantTypes = value;
      return this;
    }

    public Builder grantTypes(GrantType... value) {
      this.grantTypes = List.of(value);
      return this;
    }

    public Builder allowedScopes(Scopes value) {
      this.allowedScopes = value;
      return this;
    }

    public Builder logoUri(String value) {
      this.logoUri = Optional.ofNullable(value);
      return this;
    }

    public Builder clientUri(String value) {
      this.clientUri = Optional.ofNullable(value);
      return this;
    }

    public Builder skipConsent(boolean value) {
      this.skipConsent = value;
      return this;
    }

    public Builder accessTokenFormat(AccessTokenFormat value) {
      this.accessTokenFormat = value;
      return this;
    }

    public Builder accessTokenSigningAlg(SigningAlgorithm value) {
      this.accessTokenSigningAlg = value;
      return this;
    }

    public Builder introspect(boolean value) {
      this.introspect = value;
      return this;
    }

    public Builder idTokenSignedResponseAlg(SigningAlgorithm value) {
      this.idTokenSignedResponseAlg = value;
      return this;
    }

    public Builder logout(LogoutMetadata value) {
      this.logout = value;
      return this;
    }

    public Builder tokenExchange(TokenExchangeMetadata value) {
      this.tokenExchange = value;
      return this;
    }

    public Builder security(ClientSecurity value) {
      this.security = value;
      return this;
    }

    public ClientMetadata build() {
      return new ClientMetadata(
          name,
          type,
          tokenEndpointAuthMethod,
          List.copyOf(redirectUris),
          Set.copyOf(grantTypes),
          allowedScopes,
          logoUri,
          clientUri,
          skipConsent,
          accessTokenFormat,
          accessTokenSigningAlg,
          introspect,
          idTokenSignedResponseAlg,
          logout,
          tokenExchange,
          security);
    }
  }
}
