package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The user consented and a code was sent to the client's redirect URI. The first event of an
 * authorization code grant; everything the token request is checked against is here (RFC 6749
 * §4.1.3, RFC 7636 §4.6, OIDC Core §3.1.3.2).
 *
 * @param userId the subject
 * @param redirectUri where the code was sent, exactly as the request named it (with a loopback
 *     port, if any)
 * @param redirectUriInRequest whether the authorization request carried {@code redirect_uri}; if so
 *     the token request must carry the identical value (RFC 6749 §4.1.3)
 * @param codeHash SHA-256 hash of the code's secret
 * @param codeChallenge the S256 {@code code_challenge}; empty only for a confidential client that
 *     sent none
 * @param nonce OIDC {@code nonce}, echoed in the id_token
 * @param authTime when the user authenticated (OIDC {@code auth_time})
 * @param maxAge the request's {@code max_age}: its presence makes {@code auth_time} a required
 *     id_token claim (OIDC Core §2)
 * @param expiresAt end of the code's life, exclusive
 * @param sessionId the browser session the user authenticated in (OIDC {@code sid}, for logout);
 *     empty in events written before sessions were server-side
 * @param dpopJkt the {@code dpop_jkt} of the authorization request (RFC 9449 §10): the code is
 *     redeemed only with a DPoP proof of the key of this thumbprint; empty if none was sent
 */
public record AuthorizationCodeIssued(
    String grantId,
    String clientId,
    String userId,
    String redirectUri,
    boolean redirectUriInRequest,
    Scopes scopes,
    String codeHash,
    Optional<String> codeChallenge,
    Optional<String> nonce,
    Instant authTime,
    Optional<Duration> maxAge,
    Instant issuedAt,
    Instant expiresAt,
    Optional<String> sessionId,
    Optional<String> dpopJkt)
    implements GrantEvent {
  public static final String TYPE = "grant.authorization_code_issued.v1";

  /** A code not bound to a DPoP key. */
  public AuthorizationCodeIssued(
      String grantId,
      String clientId,
      String userId,
      String redirectUri,
      boolean redirectUriInRequest,
      Scopes scopes,
      String codeHash,
      Optional<String> codeChallenge,
      Optional<String> nonce,
      Instant authTime,
      Optional<Duration> maxAge,
      Instant issuedAt,
      Instant expiresAt,
      Optional<String> sessionId) {
    this(
        grantId,
        clientId,
        userId,
        redirectUri,
        redirectUriInRequest,
        scopes,
        codeHash,
        codeChallenge,
        nonce,
        authTime,
        maxAge,
        issuedAt,
        expiresAt,
        sessionId,
        Optional.empty());
  }

  public AuthorizationCodeIssued {
    Objects.requireNonNull(dpopJkt, "dpopJkt");
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(redirectUri, "redirectUri");
    Objects.requireNonNull(scopes, "scopes");
    Objects.requireNonNull(codeHash, "codeHash");
    Objects.requireNonNull(codeChallenge, "codeChallenge");
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(authTime, "authTime");
    Objects.requireNonNull(maxAge, "maxAge");
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(sessionId, "sessionId");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
