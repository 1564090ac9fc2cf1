package io.grantry.server.config;

import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.TokenLifetimes;
import java.time.Duration;

/**
 * What tokens say and how long they live.
 *
 * @param audience GRANTRY_TOKEN_AUDIENCE: the {@code aud} of access tokens (the issuer)
 * @param codeLifetime GRANTRY_CODE_TTL_SECONDS (60 s; at most 10 min, the domain's bound)
 * @param lifetimes GRANTRY_ACCESS_TOKEN_TTL_SECONDS (1 h), GRANTRY_REFRESH_TOKEN_TTL_SECONDS (the
 *     sliding window, 15 days) and GRANTRY_GRANT_MAX_SECONDS (a grant's absolute lifetime; none)
 * @param idTokenLifetime GRANTRY_ID_TOKEN_TTL_SECONDS (1 h)
 * @param refreshGrace GRANTRY_REFRESH_GRACE_SECONDS: how long a retry with the refresh token just
 *     rotated away gets the same answer instead of counting as reuse (0: off; at most 2 min)
 */
public record TokenSettings(
    String audience,
    Duration codeLifetime,
    TokenLifetimes lifetimes,
    Duration idTokenLifetime,
    Duration refreshGrace) {

  /** Five years: no lifetime is longer, so no expiry computation comes near overflow. */
  static final long MAX_SECONDS = 5L * 366 * 24 * 3600;

  static TokenSettings read(Settings s, String issuer) {
    return new TokenSettings(
        s.text("GRANTRY_TOKEN_AUDIENCE", issuer),
        // The domain refuses to issue a code that lives longer (GrantDecider.MAX_CODE_LIFETIME):
        // a longer setting passed the start and then failed every authorization with server_error.
        s.seconds("GRANTRY_CODE_TTL_SECONDS", 60, 1, GrantDecider.MAX_CODE_LIFETIME.getSeconds()),
        // The domain's own bounds, so that the TokenLifetimes below cannot refuse what passed.
        new TokenLifetimes(
            s.seconds(
                "GRANTRY_ACCESS_TOKEN_TTL_SECONDS",
                3600,
                1,
                TokenLifetimes.MAX_ACCESS_TOKEN.getSeconds()),
            s.seconds(
                "GRANTRY_REFRESH_TOKEN_TTL_SECONDS",
                15 * 24 * 3600,
                1,
                TokenLifetimes.MAX_REFRESH_TOKEN.getSeconds()),
            s.optionalWhole(
                    "GRANTRY_GRANT_MAX_SECONDS", 1, TokenLifetimes.MAX_ABSOLUTE.getSeconds())
                .map(Duration::ofSeconds)),
        s.seconds("GRANTRY_ID_TOKEN_TTL_SECONDS", 3600, 1, MAX_SECONDS),
        s.seconds(
            "GRANTRY_REFRESH_GRACE_SECONDS", 0, 0, GrantDecider.MAX_REFRESH_GRACE.getSeconds()));
  }

  /** The longest an access token or ID token signed now stays valid. */
  public Duration longestSignedLifetime() {
    return lifetimes.accessToken().compareTo(idTokenLifetime) >= 0
        ? lifetimes.accessToken()
        : idTokenLifetime;
  }
}
