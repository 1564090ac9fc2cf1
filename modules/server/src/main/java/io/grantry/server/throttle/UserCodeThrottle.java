package io.grantry.server.throttle;

import io.grantry.server.config.DeviceSettings;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Bounds the guessing of user codes on the device verification page (RFC 8628 §5.1): each entry is
 * counted against the signed-in user and the client address before the code is looked up, and given
 * back when the code turns out to be a live one. Past GRANTRY_DEVICE_USER_CODE_FAILURES_PER_USER
 * (5) wrong codes of a user or GRANTRY_DEVICE_USER_CODE_FAILURES_PER_ADDRESS (20) of an address in
 * a window of GRANTRY_DEVICE_USER_CODE_WINDOW_SECONDS (15 min), every entry is refused, a right
 * code too, until the window ends: a refusal, not a delay, so that guesses sent in parallel count
 * as well. Counted in the database (one statement an entry), so the bound holds across instances;
 * counting before the lookup makes it hold for concurrent entries too.
 *
 * <h2>How many guesses that leaves</h2>
 *
 * A user code is 8 letters of 20: S = 20^8 = 2.56 × 10^10 codes. A code lives T = 10 min, within at
 * most two windows of 15 min. An attacker needs a signed-in account per 5 guesses and an address
 * per 20, so with A accounts and B addresses they make at most G = 2 × min(5A, 20B) wrong entries
 * in a code's life. With N codes live at once, the chance that any of them hits a live code is at
 * most G × N / S: 400 accounts and 100 addresses (G = 4,000) against 1,000 live codes give 1.6 ×
 * 10^-4 per 10 minutes. And a hit gains little: it lets the attacker approve a stranger's device
 * for the attacker's own account (the device gets the attacker's tokens), never the stranger's
 * tokens. Longer codes (GRANTRY_DEVICE_USER_CODE_LENGTH) divide the chance by 20 per letter.
 *
 * <p>A success does not clear the count (an attacker could otherwise reset it with codes of devices
 * of their own); it gives back the one entry it used. The lock-out is only of the entry form: a
 * user past their allowance is themselves the guesser, and an address past its allowance (a shared
 * NAT) waits at most a window.
 */
public final class UserCodeThrottle {
  private final Pool pool;
  private final DeviceSettings settings;

  public UserCodeThrottle(Pool pool, DeviceSettings settings) {
    this.pool = pool;
    this.settings = settings;
  }

  /**
   * Counts an entry of {@code userId} from {@code address} at {@code now}; answers when the refusal
   * ends if the user or the address is past its allowance (the entry must then be refused
   * unlooked-at), or empty when it may be looked up.
   */
  public Future<Optional<Instant>> attempt(String userId, String address, Instant now) {
    return pool.preparedQuery(
            "INSERT INTO device_user_code_failures AS f (key, window_ends_at, failures)"
                + " SELECT k, $2, 1 FROM unnest($1::text[]) AS k"
                + " ON CONFLICT (key) DO UPDATE SET"
                + " failures = CASE WHEN f.window_ends_at > $3 THEN f.failures + 1 ELSE 1 END,"
                + " window_ends_at = CASE WHEN f.window_ends_at > $3 THEN f.window_ends_at"
                + " ELSE EXCLUDED.window_ends_at END"
                + " RETURNING key, failures, window_ends_at")
        .execute(Tuple.of(keys(userId, address), ts(now.plus(settings.failureWindow())), ts(now)))
        .map(
            rows -> {
              Instant until = null;
              for (Row r : rows) {
                boolean user = r.getString("key").startsWith("u:");
                int allowed = user ? settings.failuresPerUser() : settings.failuresPerAddress();
                Instant end = r.getOffsetDateTime("window_ends_at").toInstant();
                if (r.getInteger("failures") > allowed && (until == null || end.isAfter(until))) {
                  until = end;
                }
              }
              return Optional.ofNullable(until);
            });
  }

  /** The entry counted by {@link #attempt} found a live code: it was no wrong guess. */
  public Future<Void> succeeded(String userId, String address) {
    return pool.preparedQuery(
            "UPDATE device_user_code_failures SET failures = greatest(failures - 1, 0)"
                + " WHERE key = ANY($1::text[])")
        .execute(Tuple.of(keys(userId, address)))
        .mapEmpty();
  }

  private static String[] keys(String userId, String address) {
    return new String[] {"u:" + userId, "a:" + address};
  }

  private static OffsetDateTime ts(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
