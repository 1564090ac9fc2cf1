package io.grantry.server.config;

import io.grantry.domain.client.ClientDecider;
import java.time.Duration;

/**
 * Client registration.
 *
 * @param secretGrace GRANTRY_CLIENT_SECRET_GRACE_SECONDS: how long a rotated-out secret keeps
 *     working when the rotation does not say (1 day; at most 30 days)
 */
public record ClientSettings(Duration secretGrace) {
  static ClientSettings read(Settings s) {
    return new ClientSettings(
        s.seconds(
            "GRANTRY_CLIENT_SECRET_GRACE_SECONDS",
            86_400,
            0,
            ClientDecider.MAX_SECRET_GRACE.toSeconds()));
  }
}
