package io.grantry.server.config;

import java.time.Duration;

/**
 * The throttles of failed sign-ins and failed client authentications.
 *
 * @param loginFreePerAccount GRANTRY_LOGIN_FREE_PER_ACCOUNT: failed sign-ins of a username before
 *     each further one waits (5)
 * @param loginFreePerAddress GRANTRY_LOGIN_FREE_PER_ADDRESS: the same per client address (20)
 * @param clientFreePerClient GRANTRY_CLIENT_AUTH_FREE_PER_CLIENT: failed client authentications of
 *     a client id before each further one waits (10)
 * @param clientFreePerAddress GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS: the same per address (20)
 * @param window GRANTRY_THROTTLE_WINDOW_SECONDS: how long a failure counts (15 min)
 * @param step GRANTRY_THROTTLE_STEP_MS: the wait added per failure past the allowance (500 ms)
 * @param maxDelay GRANTRY_THROTTLE_MAX_DELAY_MS: the longest wait (2 s), below half of
 *     GRANTRY_DB_TIMEOUT_MS: the request deadline counts the wait too, and a throttled attempt must
 *     get its answer, not a 503
 */
public record ThrottleSettings(
    int loginFreePerAccount,
    int loginFreePerAddress,
    int clientFreePerClient,
    int clientFreePerAddress,
    Duration window,
    Duration step,
    Duration maxDelay) {

  static ThrottleSettings read(Settings s, Duration dbTimeout) {
    long halfTimeout = dbTimeout.toMillis() / 2;
    return new ThrottleSettings(
        s.integer("GRANTRY_LOGIN_FREE_PER_ACCOUNT", 5, 0, 1_000_000),
        s.integer("GRANTRY_LOGIN_FREE_PER_ADDRESS", 20, 0, 1_000_000),
        s.integer("GRANTRY_CLIENT_AUTH_FREE_PER_CLIENT", 10, 0, 1_000_000),
        s.integer("GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS", 20, 0, 1_000_000),
        s.seconds("GRANTRY_THROTTLE_WINDOW_SECONDS", 900, 1, 86_400),
        s.millis("GRANTRY_THROTTLE_STEP_MS", 500, 0, 60_000),
        s.millis("GRANTRY_THROTTLE_MAX_DELAY_MS", Math.min(2000, halfTimeout), 0, halfTimeout));
  }
}
