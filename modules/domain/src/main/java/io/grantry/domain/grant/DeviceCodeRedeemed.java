package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The device polled after approval and got its tokens (RFC 8628 §3.5): the device code is spent.
 * The fields are those of {@link AuthorizationCodeRedeemed}, and the grant lives on like a code
 * grant: refreshes rotate, revocations end it.
 *
 * @param refreshTokenHash SHA-256 hash of the refresh token's secret; only when {@code
 *     offline_access} was granted and the client may refresh
 * @param grantExpiresAt the absolute cap on the grant's life, when one is configured
 */
public record DeviceCodeRedeemed(
    String grantId,
    String clientId,
    String userId,
    String accessTokenJti,
    Instant accessTokenExpiresAt,
    Optional<String> refreshTokenHash,
    Optional<Instant> refreshTokenExpiresAt,
    Optional<Instant> grantExpiresAt,
    Scopes scopes,
    Instant redeemedAt)
    implements GrantEvent {
  public static final String TYPE = "grant.device_code_redeemed.v1";

  public DeviceCodeRedeemed {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(accessTokenJti, "accessTokenJti");
    Objects.requireNonNull(accessTokenExpiresAt, "accessTokenExpiresAt");
    Objects.requireNonNull(refreshTokenHash, "refreshTokenHash");
    Objects.requireNonNull(refreshTokenExpiresAt, "refreshTokenExpiresAt");
    Objects.requireNonNull(grantExpiresAt, "grantExpiresAt");
    Objects.requireNonNull(scopes, "scopes");
    Objects.requireNonNull(redeemedAt, "redeemedAt");
    if (refreshTokenHash.isPresent() != refreshTokenExpiresAt.isPresent()) {
      throw new IllegalArgumentException("a refresh token hash and its expiry come together");
    }
  }

  @Override
  public String type() {
    return TYPE;
  }
}
