package io.grantry.server.config;

import io.grantry.domain.client.ClientDecider;
import java.time.Duration;

/**
 * Client registration and client authentication with keys (RFC 7523, OIDC Core §9).
 *
 * @param secretGrace GRANTRY_CLIENT_SECRET_GRACE_SECONDS: how long a rotated-out secret keeps
 *     working when the rotation does not say (1 day; at most 30 days)
 * @param clockSkew GRANTRY_CLOCK_SKEW_SECONDS: how far a client's clock may be off ours when we
 *     check the times in what it signs (client assertions' {@code exp}, {@code nbf}, {@code iat};
 *     30 s; 0 to 300)
 * @param assertionMaxLifetime GRANTRY_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS: how far ahead a client
 *     assertion's {@code exp} may be; a longer-lived assertion is refused, so that its {@code jti}
 *     is remembered only that long (300 s; 10 to 3600)
 * @param jwksUriTimeout GRANTRY_JWKS_URI_TIMEOUT_MILLIS: how long fetching a client's {@code
 *     jwks_uri} may take, connecting included (2000 ms; 100 to 30000)
 * @param jwksUriCacheLifetime GRANTRY_JWKS_URI_CACHE_SECONDS: how long keys fetched from a {@code
 *     jwks_uri} are used before they are fetched again (300 s; 0 to 86400)
 * @param jwksUriMinRefetch GRANTRY_JWKS_URI_MIN_REFETCH_SECONDS: an assertion naming a {@code kid}
 *     the cached keys lack fetches them again, at most this often per client (10 s; 0 to 3600)
 * @param jwksUriMaxBytes GRANTRY_JWKS_URI_MAX_BYTES: a larger JWK Set is refused unread (65536;
 *     1024 to 1048576)
 */
public record ClientSettings(
    Duration secretGrace,
    Duration clockSkew,
    Duration assertionMaxLifetime,
    Duration jwksUriTimeout,
    Duration jwksUriCacheLifetime,
    Duration jwksUriMinRefetch,
    int jwksUriMaxBytes) {
  static ClientSettings read(Settings s) {
    return new ClientSettings(
        s.seconds(
            "GRANTRY_CLIENT_SECRET_GRACE_SECONDS",
            86_400,
            0,
            ClientDecider.MAX_SECRET_GRACE.toSeconds()),
        s.seconds("GRANTRY_CLOCK_SKEW_SECONDS", 30, 0, 300),
        s.seconds("GRANTRY_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS", 300, 10, 3600),
        s.millis("GRANTRY_JWKS_URI_TIMEOUT_MILLIS", 2000, 100, 30_000),
        s.seconds("GRANTRY_JWKS_URI_CACHE_SECONDS", 300, 0, 86_400),
        s.seconds("GRANTRY_JWKS_URI_MIN_REFETCH_SECONDS", 10, 0, 3600),
        s.integer("GRANTRY_JWKS_URI_MAX_BYTES", 65_536, 1024, 1_048_576));
  }
}
