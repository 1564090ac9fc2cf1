package io.grantry.server.devicecodes;

import io.grantry.domain.DomainError;
import io.grantry.domain.grant.UserCodeClaimed;
import io.grantry.domain.grant.UserCodeClaims;
import io.grantry.domain.grant.UserCodes;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.browser.SignedValues;
import io.grantry.server.config.DeviceSettings;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * What the device authorization grant (RFC 8628) keeps besides its grant streams: the user codes,
 * claimed in streams of their own while live ({@link UserCodeClaims}) and found from what a person
 * types, and the devices' polls, recorded across server instances for {@code slow_down}.
 *
 * <p>A user code is stored only as a keyed hash: HMAC-SHA-256 of the normalized code under a key
 * derived from the server's secret (GRANTRY_SECRET_PEPPER, the same on every instance). A plain
 * SHA-256 would do for 256-bit secrets, but a user code has about 35 bits: anyone with the ledger
 * (auditors export it) could try every code in minutes and read the live ones off their hashes.
 */
public final class DeviceCodes {
  /** Codes drawn before giving up; each draw collides with a live code with p = live / 20^8. */
  private static final int DRAWS = 5;

  /** How much longer a device waits after each {@code slow_down} (RFC 8628 §3.5). */
  public static final int SLOW_DOWN_SECONDS = 5;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Aggregate<UserCodeClaims.State, UserCodeClaimed> claims;
  private final Pool pool;
  private final SignedValues userCodeKey;
  private final DeviceSettings settings;
  private final Clock clock;

  public DeviceCodes(EventStore store, byte[] serverSecret, DeviceSettings settings, Clock clock) {
    this.claims =
        new Aggregate<>(
            store, UserCodeClaims.CODEC, UserCodeClaims.State.NONE, UserCodeClaims::evolve);
    this.pool = store.pool();
    this.userCodeKey = new SignedValues(serverSecret, "device-user-code");
    this.settings = settings;
    this.clock = clock;
  }

  public DeviceSettings settings() {
    return settings;
  }

  /** The keyed hash of a normalized user code ({@link UserCodes#normalize}). */
  public String userCodeHash(String normalized) {
    return userCodeKey.tag(normalized);
  }

  /**
   * A new user code claimed for {@code grantId} until {@code expiresAt}: drawn at random and
   * claimed in its stream, drawn again if a live grant holds it (or another request claimed it
   * first). Answers the normalized code.
   */
  public Future<String> claimUserCode(String grantId, Instant expiresAt, Aggregate.Metadata who) {
    return claim(grantId, expiresAt, who, 1);
  }

  private Future<String> claim(
      String grantId, Instant expiresAt, Aggregate.Metadata who, int draw) {
    String code = UserCodes.generate(settings.userCodeLength(), RANDOM);
    String hash = userCodeHash(code);
    Instant now = clock.instant();
    return claims
        .execute(
            UserCodeClaimed.streamId(hash),
            state -> UserCodeClaims.claim(state, hash, grantId, expiresAt, now),
            who)
        .compose(
            outcome -> {
              if (outcome.accepted()) {
                return Future.succeededFuture(code);
              }
              if (outcome.error() instanceof DomainError.AlreadyExists && draw < DRAWS) {
                return claim(grantId, expiresAt, who, draw + 1);
              }
              return Future.failedFuture(
                  new IllegalStateException(
                      "no free user code after " + draw + " draws: " + outcome.error().message()));
            });
  }

  /** The grant a typed user code stands for now: empty for a code no live grant holds. */
  public Future<Optional<String>> grantOf(String normalized) {
    Instant now = clock.instant();
    return claims
        .load(UserCodeClaimed.streamId(userCodeHash(normalized)))
        .map(loaded -> loaded.state().liveGrant(now));
  }

  /**
   * Records a poll of the device grant {@code grantId} at {@code now} and answers whether it came
   * sooner than the grant's interval after the previous one; if so the interval grows by {@value
   * #SLOW_DOWN_SECONDS} s for this and every later poll (RFC 8628 §3.5). One statement: concurrent
   * polls on any instances are serialized by the row's lock, so of two polls at once the second is
   * too fast.
   *
   * @param interval the interval the device was told at first (the row starts with it)
   * @param expiresAt the device code's expiry (the row is deleted after it)
   */
  public Future<Boolean> recordPoll(
      String grantId, Duration interval, Instant expiresAt, Instant now) {
    return pool.preparedQuery(
            "INSERT INTO device_polls AS p"
                + " (grant_id, polled_at, interval_seconds, too_fast, expires_at)"
                + " VALUES ($1, $2, $3, false, $4) ON CONFLICT (grant_id) DO UPDATE SET"
                + " too_fast = EXCLUDED.polled_at < p.polled_at"
                + " + make_interval(secs => p.interval_seconds),"
                + " interval_seconds = p.interval_seconds + CASE WHEN EXCLUDED.polled_at"
                + " < p.polled_at + make_interval(secs => p.interval_seconds) THEN $5 ELSE 0 END,"
                + " polled_at = EXCLUDED.polled_at"
                + " RETURNING too_fast")
        .execute(
            Tuple.of(
                grantId, ts(now), (int) interval.toSeconds(), ts(expiresAt), SLOW_DOWN_SECONDS))
        .map(rows -> rows.iterator().next().getBoolean("too_fast"));
  }

  private static OffsetDateTime ts(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
