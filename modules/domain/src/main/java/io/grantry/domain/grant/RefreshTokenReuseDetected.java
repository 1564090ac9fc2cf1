package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;

/**
 * A refresh token that had been rotated away was presented again. Either the client or an attacker
 * holds a stale copy, and the server cannot tell which, so this event is always followed by {@link
 * GrantRevoked} with reason {@code refresh_reuse} (RFC 9700 §4.14.2).
 *
 * @param clientId the client that presented it
 * @param presentedHash hash of the rotated token presented
 */
public record RefreshTokenReuseDetected(
    String grantId, String clientId, String presentedHash, Instant detectedAt)
    implements GrantEvent {
  public static final String TYPE = "grant.refresh_token_reuse_detected.v1";

  public RefreshTokenReuseDetected {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(presentedHash, "presentedHash");
    Objects.requireNonNull(detectedAt, "detectedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
