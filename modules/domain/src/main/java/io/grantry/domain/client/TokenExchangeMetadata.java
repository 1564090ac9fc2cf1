package io.grantry.domain.client;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * What a client may do with the token exchange grant (RFC 8693), beyond being allowed it in its
 * {@code grant_types}. RFC 8693 leaves this policy to the server (§2.1, §5); these are Grantry's
 * names for it.
 *
 * @param audiences {@code token_exchange_audiences}: the values the client may ask for as {@code
 *     audience} or {@code resource} (RFC 8693 §2.1, RFC 8707 §2), compared exactly; the issued
 *     token's {@code aud} is what it asked for. Without any, it gets the server's default audience
 *     only
 * @param allowImpersonation {@code token_exchange_allow_impersonation}: the client may exchange a
 *     subject token issued to another client without an actor token, receiving a token that acts as
 *     the subject itself (impersonation, RFC 8693 §1.1). Off by default: for such a token the
 *     client must present an actor token, and the issued token names the actor in {@code act}
 *     (delegation). A token issued to the client itself needs no actor: the client acts as its
 *     subject already
 * @param allowRefreshToken {@code token_exchange_allow_refresh_token}: the client may ask for
 *     {@code requested_token_type=urn:ietf:params:oauth:token-type:refresh_token}, a refresh token
 *     of a grant of its own that lives on its sliding window, and dies with the grant it came from
 */
public record TokenExchangeMetadata(
    List<String> audiences, boolean allowImpersonation, boolean allowRefreshToken) {
  public static final TokenExchangeMetadata NONE =
      new TokenExchangeMetadata(List.of(), false, false);

  public TokenExchangeMetadata {
    audiences = List.copyOf(new LinkedHashSet<>(audiences));
  }

  /** True if nothing is set (the defaults). */
  public boolean isNone() {
    return audiences.isEmpty() && !allowImpersonation && !allowRefreshToken;
  }
}
