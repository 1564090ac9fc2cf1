package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The access tokens a grant's events issue, for those who list them (the audit's state as of an
 * instant). The grant state keeps none (see {@link GrantState.Active}): the token-state projection
 * holds them for the endpoints.
 */
public final class GrantAccessTokens {
  private GrantAccessTokens() {}

  /** An access token as the event that issued it describes it. */
  public record AccessToken(String jti, Scopes scopes, Instant expiresAt) {
    public AccessToken {
      Objects.requireNonNull(jti, "jti");
      Objects.requireNonNull(scopes, "scopes");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  /** The access token {@code event} issues, if it issues one. */
  public static Optional<AccessToken> issuedBy(GrantEvent event) {
    return event instanceof AccessTokenIssuance i
        ? i.issuedAccessToken().map(t -> new AccessToken(t.jti(), t.scopes(), t.expiresAt()))
        : Optional.empty();
  }

  /**
   * {@code event} recording {@code hash}, the SHA-256 of the access token JWT signed for it before
   * it is appended; an event that issues no access token is returned as it is.
   */
  public static GrantEvent withAccessTokenHash(GrantEvent event, String hash) {
    return event instanceof AccessTokenIssuance i && i.issuedAccessToken().isPresent()
        ? i.withAccessTokenHash(hash)
        : event;
  }
}
