package io.grantry.server.config;

import java.time.Duration;

/**
 * Browser sessions.
 *
 * @param idle GRANTRY_SESSION_IDLE_SECONDS: a session not used for this long ends (1 h)
 * @param max GRANTRY_SESSION_MAX_SECONDS: a session ends this long after the sign-in (12 h)
 */
public record SessionSettings(Duration idle, Duration max) {
  static SessionSettings read(Settings s) {
    return new SessionSettings(
        s.seconds("GRANTRY_SESSION_IDLE_SECONDS", 3600, 60, 30L * 24 * 3600),
        s.seconds("GRANTRY_SESSION_MAX_SECONDS", 43_200, 60, 366L * 24 * 3600));
  }
}
