package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An access token was issued to a client acting for itself (RFC 6749 §4.4); no refresh token
 * (§4.4.3). The only issuance of its grant: each client_credentials token has a stream of its own,
 * see {@link GrantTokens}.
 */
public record ClientCredentialsIssued(
    String grantId,
    String clientId,
    String jti,
    Scopes scopes,
    Instant issuedAt,
    Instant expiresAt,
    Optional<String> jkt)
    implements GrantEvent {
  public static final String TYPE = "grant.client_credentials_issued.v1";

  /** A bearer token (no DPoP key). */
  public ClientCredentialsIssued(
      String grantId,
      String clientId,
      String jti,
      Scopes scopes,
      Instant issuedAt,
      Instant expiresAt) {
    this(grantId, clientId, jti, scopes, issuedAt, expiresAt, Optional.empty());
  }

  public ClientCredentialsIssued {
    Objects.requireNonNull(jkt, "jkt");
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
