package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An access token was issued to a client acting for itself (RFC 6749 §4.4); no refresh token
 * (§4.4.3). The only issuance of its grant: each client_credentials token has a stream of its own,
 * see {@link GrantTokens}.
 *
 * @param accessTokenHash SHA-256 (base64url) of the exact compact JWT issued, signed before this
 *     event was appended: introspection recognises the token by it without verifying its signature
 *     (see {@link GrantAccessTokens}); empty for an opaque token and in events written before
 */
public record ClientCredentialsIssued(
    String grantId,
    String clientId,
    String jti,
    Scopes scopes,
    Instant issuedAt,
    Instant expiresAt,
    Optional<String> jkt,
    Optional<String> accessTokenHash)
    implements AccessTokenIssuance {
  public static final String TYPE = "grant.client_credentials_issued.v1";

  /** A bearer token (no DPoP key). */
  public ClientCredentialsIssued(
      String grantId,
      String clientId,
      String jti,
      Scopes scopes,
      Instant issuedAt,
      Instant expiresAt) {
    this(grantId, clientId, jti, scopes, issuedAt, expiresAt, Optional.empty(), Optional.empty());
  }

  /** The same event recording {@code hash}, the SHA-256 of the JWT signed for it. */
  @Override
  public ClientCredentialsIssued withAccessTokenHash(String hash) {
    return new ClientCredentialsIssued(
        grantId, clientId, jti, scopes, issuedAt, expiresAt, jkt, Optional.of(hash));
  }

  /** The token, issued to the client for itself: its subject is the client. */
  @Override
  public Optional<IssuedAccessToken> issuedAccessToken() {
    return Optional.of(new IssuedAccessToken(jti, clientId, scopes, issuedAt, expiresAt, jkt));
  }

  public ClientCredentialsIssued {
    Objects.requireNonNull(jkt, "jkt");
    Objects.requireNonNull(accessTokenHash, "accessTokenHash");
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(jti, "jti");
    Objects.requireNonNull(scopes, "scopes");
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
