package io.grantry.server.throttle;

import io.grantry.server.config.GrantryConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The settings the sign-in and client-authentication throttles share: the counting window
 * (GRANTRY_THROTTLE_WINDOW_SECONDS), the delay added per failure past the allowance
 * (GRANTRY_THROTTLE_STEP_MS) and its maximum (GRANTRY_THROTTLE_MAX_DELAY_MS).
 */
public record ThrottleSettings(Duration window, Duration step, Duration maxDelay) {
  /**
   * The maximum delay must stay below half of GRANTRY_DB_TIMEOUT_MS: the request deadline counts
   * the wait too, and a throttled attempt must get its answer, not a 503.
   */
  public static ThrottleSettings from(JsonObject raw) {
    long dbTimeout = GrantryConfig.longSetting(raw, "GRANTRY_DB_TIMEOUT_MS", 5000, 100, 600_000);
    return new ThrottleSettings(
        Duration.ofSeconds(
            GrantryConfig.longSetting(raw, "GRANTRY_THROTTLE_WINDOW_SECONDS", 900, 1, 86_400)),
        Duration.ofMillis(
            GrantryConfig.longSetting(raw, "GRANTRY_THROTTLE_STEP_MS", 500, 0, 60_000)),
        Duration.ofMillis(
            GrantryConfig.longSetting(
                raw,
                "GRANTRY_THROTTLE_MAX_DELAY_MS",
                Math.min(2000, dbTimeout / 2),
                0,
                dbTimeout / 2)));
  }
}
