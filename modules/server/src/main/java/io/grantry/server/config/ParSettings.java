package io.grantry.server.config;

import io.grantry.domain.authorize.PushedRequests;
import java.time.Duration;

/**
 * Pushed authorization requests (RFC 9126).
 *
 * @param requestUriLifetime GRANTRY_PAR_REQUEST_URI_TTL_SECONDS: how long a {@code request_uri}
 *     handed out by {@code /par} may be used (60 s; 1 to 600: FAPI 2.0 wants under 600)
 * @param required GRANTRY_PAR_REQUIRED: {@code true} refuses every authorization request that was
 *     not pushed first, whatever the client registered (RFC 9126 §5's {@code
 *     require_pushed_authorization_requests} in the server's metadata); {@code false} (the default)
 *     leaves it to each client's {@code require_pushed_authorization_requests}
 */
public record ParSettings(Duration requestUriLifetime, boolean required) {
  /** The defaults: a {@code request_uri} lives 60 s, pushing is each client's choice. */
  public static ParSettings defaults() {
    return new ParSettings(Duration.ofSeconds(60), false);
  }

  static ParSettings read(Settings s) {
    return new ParSettings(
        s.seconds(
            "GRANTRY_PAR_REQUEST_URI_TTL_SECONDS", 60, 1, PushedRequests.MAX_LIFETIME.toSeconds()),
        s.bool("GRANTRY_PAR_REQUIRED", false));
  }
}
