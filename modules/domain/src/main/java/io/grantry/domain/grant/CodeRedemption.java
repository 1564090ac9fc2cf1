package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A grant's first tokens, issued for a code presented at the token endpoint: an authorization code
 * ({@link AuthorizationCodeRedeemed}, RFC 6749 §4.1.3) or a device code ({@link
 * DeviceCodeRedeemed}, RFC 8628 §3.5). The two events are told apart in the ledger, since an
 * auditor asks which flow a grant came from, but what they hold is the same ({@link Issued}), and
 * so is what the token endpoint answers from either: a user's access token, a refresh token with
 * {@code offline_access}, and the DPoP keys they are bound to.
 */
public sealed interface CodeRedemption extends AccessTokenIssuance
    permits AuthorizationCodeRedeemed, DeviceCodeRedeemed {

  /**
   * What the code was redeemed for. Client and subject are repeated from the code so that a
   * projector can write the token rows from the event alone.
   *
   * @param userId the subject of the tokens
   * @param refreshTokenHash SHA-256 hash of the refresh token's secret; only when {@code
   *     offline_access} was granted (and, for a device, the client may refresh)
   * @param refreshTokenExpiresAt end of the refresh token's sliding window, present with the hash
   * @param grantExpiresAt the absolute cap on the grant's life, when one is configured: no refresh
   *     succeeds from then on, whatever the window says
   * @param scopes the scopes granted; no refresh widens them
   * @param dpopJkt the thumbprint of the DPoP key the access token is bound to (RFC 9449 §6); empty
   *     for a bearer token
   * @param refreshTokenJkt the thumbprint of the DPoP key the refresh token is bound to (a public
   *     client's, RFC 9449 §5): every refresh must prove it; empty if unbound
   * @param accessTokenHash SHA-256 (base64url) of the exact JWT issued (see {@link
   *     ClientCredentialsIssued}); empty for an opaque token and in events written before
   */
  record Issued(
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
      Optional<String> refreshTokenJkt,
      Optional<String> accessTokenHash) {

    /** The same, recording {@code hash}, the SHA-256 of the JWT signed for it. */
    public Issued withAccessTokenHash(String hash) {
      return new Issued(
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
          dpopJkt,
          refreshTokenJkt,
          Optional.of(hash));
    }

    /** Bearer tokens (no DPoP key). */
    public Issued(
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
          Optional.empty(),
          Optional.empty());
    }

    public Issued {
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
      Objects.requireNonNull(dpopJkt, "dpopJkt");
      Objects.requireNonNull(refreshTokenJkt, "refreshTokenJkt");
      Objects.requireNonNull(accessTokenHash, "accessTokenHash");
      if (refreshTokenHash.isPresent() != refreshTokenExpiresAt.isPresent()) {
        throw new IllegalArgumentException("a refresh token hash and its expiry come together");
      }
      if (refreshTokenJkt.isPresent() && refreshTokenHash.isEmpty()) {
        throw new IllegalArgumentException("a refresh token's key needs a refresh token");
      }
    }
  }

  Issued issued();

  /** The same redemption recording the hash of the access token JWT signed for it. */
  @Override
  CodeRedemption withAccessTokenHash(String hash);

  @Override
  default Optional<IssuedAccessToken> issuedAccessToken() {
    Issued i = issued();
    return Optional.of(
        new IssuedAccessToken(
            i.accessTokenJti(),
            i.userId(),
            i.scopes(),
            i.redeemedAt(),
            i.accessTokenExpiresAt(),
            i.dpopJkt()));
  }

  @Override
  default String grantId() {
    return issued().grantId();
  }

  default String clientId() {
    return issued().clientId();
  }

  /** The subject of the tokens. */
  default String userId() {
    return issued().userId();
  }

  default String accessTokenJti() {
    return issued().accessTokenJti();
  }

  default Instant accessTokenExpiresAt() {
    return issued().accessTokenExpiresAt();
  }

  /** SHA-256 hash of the refresh token's secret, when one was issued. */
  default Optional<String> refreshTokenHash() {
    return issued().refreshTokenHash();
  }

  default Optional<Instant> refreshTokenExpiresAt() {
    return issued().refreshTokenExpiresAt();
  }

  default Optional<Instant> grantExpiresAt() {
    return issued().grantExpiresAt();
  }

  default Scopes scopes() {
    return issued().scopes();
  }

  default Instant redeemedAt() {
    return issued().redeemedAt();
  }

  /** The DPoP key the access token is bound to (RFC 9449 §6); empty for a bearer token. */
  default Optional<String> dpopJkt() {
    return issued().dpopJkt();
  }

  /** SHA-256 of the access token JWT issued, when recorded. */
  default Optional<String> accessTokenHash() {
    return issued().accessTokenHash();
  }

  /** The DPoP key a public client's refresh token is bound to (RFC 9449 §5), if it is. */
  default Optional<String> refreshTokenJkt() {
    return issued().refreshTokenJkt();
  }
}
