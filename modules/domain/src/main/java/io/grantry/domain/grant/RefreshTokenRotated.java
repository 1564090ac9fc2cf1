package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A refresh token was used: it is spent, a successor replaces it, and a new access token was issued
 * (RFC 6749 §6, RFC 9700 §4.14.2). Presenting {@code oldHash} again is reuse.
 *
 * @param refreshTokenExpiresAt the successor's sliding window end: the rotation time plus the
 *     window, capped by the grant's absolute expiry if any
 * @param scopes the new access token's scopes, equal to or narrower than the grant's; the successor
 *     keeps the grant's scopes
 * @param dpopJkt the thumbprint of the DPoP key the new access token is bound to (RFC 9449 §6);
 *     empty for a bearer token. The successor refresh token keeps the binding of the one rotated
 * @param accessTokenHash SHA-256 (base64url) of the exact JWT issued (see {@link
 *     ClientCredentialsIssued}); empty for an opaque token and in events written before
 */
public record RefreshTokenRotated(
    String grantId,
    String clientId,
    String userId,
    String oldHash,
    String newHash,
    String accessTokenJti,
    Instant accessTokenExpiresAt,
    Instant refreshTokenExpiresAt,
    Scopes scopes,
    Instant rotatedAt,
    Optional<String> dpopJkt,
    Optional<String> accessTokenHash)
    implements AccessTokenIssuance {
  public static final String TYPE = "grant.refresh_token_rotated.v1";

  /** A bearer access token (no DPoP key). */
  public RefreshTokenRotated(
      String grantId,
      String clientId,
      String userId,
      String oldHash,
      String newHash,
      String accessTokenJti,
      Instant accessTokenExpiresAt,
      Instant refreshTokenExpiresAt,
      Scopes scopes,
      Instant rotatedAt) {
    this(
        grantId,
        clientId,
        userId,
        oldHash,
        newHash,
        accessTokenJti,
        accessTokenExpiresAt,
        refreshTokenExpiresAt,
        scopes,
        rotatedAt,
        Optional.empty(),
        Optional.empty());
  }

  /** The same event recording {@code hash}, the SHA-256 of the JWT signed for it. */
  @Override
  public RefreshTokenRotated withAccessTokenHash(String hash) {
    return new RefreshTokenRotated(
        grantId,
        clientId,
        userId,
        oldHash,
        newHash,
        accessTokenJti,
        accessTokenExpiresAt,
        refreshTokenExpiresAt,
        scopes,
        rotatedAt,
        dpopJkt,
        Optional.of(hash));
  }

  @Override
  public Optional<IssuedAccessToken> issuedAccessToken() {
    return Optional.of(
        new IssuedAccessToken(
            accessTokenJti, userId, scopes, rotatedAt, accessTokenExpiresAt, dpopJkt));
  }

  public RefreshTokenRotated {
    Objects.requireNonNull(dpopJkt, "dpopJkt");
    Objects.requireNonNull(accessTokenHash, "accessTokenHash");
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(oldHash, "oldHash");
    Objects.requireNonNull(newHash, "newHash");
    Objects.requireNonNull(accessTokenJti, "accessTokenJti");
    Objects.requireNonNull(accessTokenExpiresAt, "accessTokenExpiresAt");
    Objects.requireNonNull(refreshTokenExpiresAt, "refreshTokenExpiresAt");
    Objects.requireNonNull(scopes, "scopes");
    Objects.requireNonNull(rotatedAt, "rotatedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
