package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The code was exchanged for tokens (RFC 6749 §4.1.3). It cannot be exchanged again.
 *
 * <p>Client and subject are repeated from the code so that a projector can write the token rows
 * from this event alone.
 *
 * @param refreshTokenHash SHA-256 hash of the refresh token's secret; only when {@code
 *     offline_access} was granted
 * @param refreshTokenExpiresAt end of the refresh token's sliding window, present with the hash
 * @param grantExpiresAt the absolute cap on the grant's life, when one is configured: no refresh
 *     succeeds from then on, whatever the window says
 * @param scopes the scopes granted; no refresh widens them
 */
public record AuthorizationCodeRedeemed(
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
  public static final String TYPE = "grant.authorization_code_redeemed.v1";

  public AuthorizationCodeRedeemed {
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
