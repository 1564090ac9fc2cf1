package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An event that issues an access token: a code's redemption, a refresh, a client_credentials token,
 * a token exchange. Each names the token's parts in its own words (a client_credentials token's
 * subject is its client, a rotation's issue time is the rotation's); {@link #issuedAccessToken}
 * reads them alike, for whoever signs or lists the token without asking which event it is.
 */
public sealed interface AccessTokenIssuance extends GrantEvent
    permits CodeRedemption, RefreshTokenRotated, ClientCredentialsIssued, TokenExchanged {

  /**
   * What the access token says, as its event recorded it.
   *
   * @param subject the token's {@code sub}: the user, the exchanged subject, or for
   *     client_credentials the client itself
   * @param dpopJkt the thumbprint of the DPoP key the token is bound to (RFC 9449 §6); empty for a
   *     bearer token
   */
  record IssuedAccessToken(
      String jti,
      String subject,
      Scopes scopes,
      Instant issuedAt,
      Instant expiresAt,
      Optional<String> dpopJkt) {
    public IssuedAccessToken {
      Objects.requireNonNull(jti, "jti");
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(scopes, "scopes");
      Objects.requireNonNull(issuedAt, "issuedAt");
      Objects.requireNonNull(expiresAt, "expiresAt");
      Objects.requireNonNull(dpopJkt, "dpopJkt");
    }
  }

  /** The access token issued; empty for a token exchange that issued a refresh token instead. */
  Optional<IssuedAccessToken> issuedAccessToken();

  /**
   * The same event recording {@code hash}, the SHA-256 of the access token JWT signed for it; only
   * for an event that issues one ({@link #issuedAccessToken} present).
   */
  AccessTokenIssuance withAccessTokenHash(String hash);
}
