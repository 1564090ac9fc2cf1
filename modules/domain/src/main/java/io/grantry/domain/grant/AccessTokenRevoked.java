package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;

/**
 * One access token is revoked before its expiry (RFC 7009 §2.1); the grant and its refresh token
 * live on. Introspection answers {@code active: false} for it from then on.
 */
public record AccessTokenRevoked(String grantId, String jti, String actor, Instant revokedAt)
    implements GrantEvent {
  public static final String TYPE = "grant.access_token_revoked.v1";

  public AccessTokenRevoked {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(jti, "jti");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(revokedAt, "revokedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
