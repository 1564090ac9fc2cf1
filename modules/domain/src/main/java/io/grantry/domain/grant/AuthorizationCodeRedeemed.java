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
 * @param dpopJkt the thumbprint of the DPoP key the access token is bound to (RFC 9449 §6); empty
 *     for a bearer token
 * @param refreshTokenJkt the thumbprint of the DPoP key the refresh token is bound to (a public
 *     client's, RFC 9449 §5): every refresh must prove it; empty if unbound
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
    Instant redeemedAt,
    Optional<String> dpopJkt,
    Optional<String> refreshTokenJkt)
    implements GrantEvent, CodeRedemption {
  public static final String TYPE = "grant.authorization_code_redeemed.v1";

  /** Bearer tokens (no DPoP key). */
  public AuthorizationCodeRedeemed(
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

  public AuthorizationCodeRedeemed {
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
