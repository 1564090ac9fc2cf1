package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;

/**
 * The grant ends: its code, refresh token and every access token issued from it are dead from
 * {@code revokedAt} on. Final: nothing but a repeated revocation (which appends nothing) follows.
 *
 * @param actor who revoked it, e.g. {@code client:<id>}, {@code user:<id>}, {@code admin:<name>} or
 *     {@code system}
 */
public record GrantRevoked(String grantId, RevocationReason reason, String actor, Instant revokedAt)
    implements GrantEvent {
  public static final String TYPE = "grant.revoked.v1";

  public GrantRevoked {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(revokedAt, "revokedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
