package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Optional;

/**
 * A grant's first tokens, issued for a code presented at the token endpoint: an authorization code
 * ({@link AuthorizationCodeRedeemed}, RFC 6749 §4.1.3) or a device code ({@link
 * DeviceCodeRedeemed}, RFC 8628 §3.5). The two events are told apart in the ledger, since an
 * auditor asks which flow a grant came from, but what the token endpoint answers is the same from
 * either: a user's access token, a refresh token with {@code offline_access}, and the DPoP keys
 * they are bound to.
 */
public interface CodeRedemption {
  String grantId();

  String clientId();

  /** The subject of the tokens. */
  String userId();

  String accessTokenJti();

  Instant accessTokenExpiresAt();

  /** SHA-256 hash of the refresh token's secret, when one was issued. */
  Optional<String> refreshTokenHash();

  Scopes scopes();

  Instant redeemedAt();

  /** The DPoP key the access token is bound to (RFC 9449 §6); empty for a bearer token. */
  Optional<String> dpopJkt();

  /** The DPoP key a public client's refresh token is bound to (RFC 9449 §5), if it is. */
  Optional<String> refreshTokenJkt();
}
