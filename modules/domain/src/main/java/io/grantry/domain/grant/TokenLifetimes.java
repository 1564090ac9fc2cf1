package io.grantry.domain.grant;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How long tokens live, as configured. Read once at start: the constructor refuses values outside
 * sensible bounds with a message naming the setting.
 *
 * @param accessToken access token lifetime (default 1 hour)
 * @param refreshToken the refresh token's sliding window: each rotation gives the successor this
 *     long from the rotation (default 15 days; RFC 9700 §4.14.2 "expire after inactivity")
 * @param absolute optional cap on a grant's whole life, counted from the code's redemption; fixed
 *     in the redemption event, so a later change of configuration does not move the cap of existing
 *     grants. Off by default
 */
public record TokenLifetimes(
    Duration accessToken, Duration refreshToken, Optional<Duration> absolute) {
  public static final Duration MAX_ACCESS_TOKEN = Duration.ofDays(1);
  public static final Duration MAX_REFRESH_TOKEN = Duration.ofDays(366);
  public static final Duration MAX_ABSOLUTE = Duration.ofDays(5 * 366);
  public static final TokenLifetimes DEFAULT =
      new TokenLifetimes(Duration.ofHours(1), Duration.ofDays(15), Optional.empty());

  public TokenLifetimes {
    Objects.requireNonNull(accessToken, "accessToken");
    Objects.requireNonNull(refreshToken, "refreshToken");
    Objects.requireNonNull(absolute, "absolute");
    requireWithin("access token lifetime", accessToken, MAX_ACCESS_TOKEN);
    requireWithin("refresh token lifetime", refreshToken, MAX_REFRESH_TOKEN);
    absolute.ifPresent(a -> requireWithin("absolute grant lifetime", a, MAX_ABSOLUTE));
  }

  private static void requireWithin(String what, Duration value, Duration max) {
    if (value.isNegative() || value.isZero() || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          what + " must be more than 0 and at most " + max.toHours() + " hours, not " + value);
    }
  }
}
