package io.grantry.server.config;

import io.grantry.domain.grant.UserCodes;
import java.time.Duration;

/**
 * The device authorization grant (RFC 8628): how long a device has, how often it may poll, how its
 * user code looks, and how many wrong user codes the verification page takes.
 *
 * @param lifetime GRANTRY_DEVICE_CODE_TTL_SECONDS: the {@code expires_in} of a device code and its
 *     user code, the time a person has to enter the code and answer (600 s; 60 to 1800)
 * @param interval GRANTRY_DEVICE_POLL_INTERVAL_SECONDS: the {@code interval} a device is told to
 *     wait between polls; polling sooner gets {@code slow_down} and 5 s more (5 s; 1 to 60)
 * @param userCodeLength GRANTRY_DEVICE_USER_CODE_LENGTH: letters of a user code, from the 20
 *     consonants {@code BCDFGHJKLMNPQRSTVWXZ} (8, shown as {@code BCDF-GHJK}; 8 to 12)
 * @param failuresPerUser GRANTRY_DEVICE_USER_CODE_FAILURES_PER_USER: wrong user codes a signed-in
 *     account may enter in a window; past it the page refuses every entry of the account until the
 *     window ends (5; 1 to 1000)
 * @param failuresPerAddress GRANTRY_DEVICE_USER_CODE_FAILURES_PER_ADDRESS: the same per client
 *     address (20; 1 to 100000)
 * @param failureWindow GRANTRY_DEVICE_USER_CODE_WINDOW_SECONDS: how long a wrong entry counts (900
 *     s; 60 to 86400)
 * @param requestsPerAddress GRANTRY_DEVICE_REQUESTS_PER_ADDRESS: device authorization requests a
 *     client address may make within a device code's lifetime, per server process; past it they are
 *     refused with 429 (30; 1 to 100000)
 */
public record DeviceSettings(
    Duration lifetime,
    Duration interval,
    int userCodeLength,
    int failuresPerUser,
    int failuresPerAddress,
    Duration failureWindow,
    int requestsPerAddress) {

  static DeviceSettings read(Settings s) {
    return new DeviceSettings(
        s.seconds("GRANTRY_DEVICE_CODE_TTL_SECONDS", 600, 60, 1800),
        s.seconds("GRANTRY_DEVICE_POLL_INTERVAL_SECONDS", 5, 1, 60),
        s.integer(
            "GRANTRY_DEVICE_USER_CODE_LENGTH",
            UserCodes.DEFAULT_LENGTH,
            UserCodes.MIN_LENGTH,
            UserCodes.MAX_LENGTH),
        s.integer("GRANTRY_DEVICE_USER_CODE_FAILURES_PER_USER", 5, 1, 1000),
        s.integer("GRANTRY_DEVICE_USER_CODE_FAILURES_PER_ADDRESS", 20, 1, 100_000),
        s.seconds("GRANTRY_DEVICE_USER_CODE_WINDOW_SECONDS", 900, 60, 86_400),
        s.integer("GRANTRY_DEVICE_REQUESTS_PER_ADDRESS", 30, 1, 100_000));
  }
}
