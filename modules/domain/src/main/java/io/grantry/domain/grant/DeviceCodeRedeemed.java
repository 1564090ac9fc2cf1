package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The device polled after approval and got its tokens (RFC 8628 §3.5): the device code is spent.
 * The fields are those of {@link AuthorizationCodeRedeemed} ({@link CodeRedemption}), and the grant
 * lives on like a code grant: refreshes rotate, revocations end it.
 *
 * @param refreshTokenHash SHA-256 hash of the refresh token's secret; only when {@code
 *     offline_access} was granted and the client may refresh
 * @param grantExpiresAt the absolute cap on the grant's life, when one is configured
 * @param dpopJkt the thumbprint of the DPoP key the access token is bound to (RFC 9449 §6): the key
 *     of the poll that got it; empty for a bearer token
 * @param refreshTokenJkt the key a public client's refresh token is bound to (RFC 9449 §5)
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
    Instant redeemedAt,
    Optional<String> dpopJkt,
    Optional<String> refreshTokenJkt)
    implements GrantEvent, CodeRedemption {
  public static final String TYPE = "grant.device_code_redeemed.v1";

  /** Bearer tokens (no DPoP key). */
  public DeviceCodeRedeemed(
      String grantId,
      String clientId,
      String userId,
      String accessTokenJti,
      Instant accessTokenExpiresAt,
      Optional<String> refreshTokenHash,
      Optional<Instant> refreshTokenExpiresAt,
      Optional<Instant> grantExpiresAt,
      Scopes scopes,
      Instant redeemedAt) {
    this(
        grantId,
        clientId,
        userId,
        accessTokenJti,
        accessTokenExpiresAt,
        refreshTokenHash,
        refreshTokenExpiresAt,
        grantExpiresAt,
        scopes,
        redeemedAt,
        Optional.empty(),
        Optional.empty());
  }

  public DeviceCodeRedeemed {
    Objects.requireNonNull(dpopJkt, "dpopJkt");
    Objects.requireNonNull(refreshTokenJkt, "refreshTokenJkt");
    if (refreshTokenJkt.isPresent() && refreshTokenHash.isEmpty()) {
      throw new IllegalArgumentException("a refresh token's key needs a refresh token");
    }
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
