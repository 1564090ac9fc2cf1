package io.grantry.domain.logout;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When a failed back-channel logout is tried again: after 5 s, 30 s, 2 min, 10 min, then every
 * hour, until {@link #GIVE_UP_AFTER} from the session's end. A receiver that is down never holds up
 * the sign-out (delivery follows the ledger, apart from the request that ended the session), and
 * one that stays down is given up on within a day: a logout token that arrives much later is of no
 * use to the application, whose own session has long expired.
 */
public final class BackchannelRetries {
  public static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
  static final List<Duration> STEPS =
      List.of(
          Duration.ofSeconds(5),
          Duration.ofSeconds(30),
          Duration.ofMinutes(2),
          Duration.ofMinutes(10),
          Duration.ofHours(1));

  private BackchannelRetries() {}

  /**
   * The time of the attempt after failed attempt number {@code attempt} (from 1), or empty when
   * there is none: give up.
   */
  public static Optional<Instant> next(int attempt, Instant failedAt, Instant sessionEndedAt) {
    Duration wait = STEPS.get(Math.min(Math.max(attempt, 1), STEPS.size()) - 1);
    Instant next = failedAt.plus(wait);
    return next.isBefore(sessionEndedAt.plus(GIVE_UP_AFTER)) ? Optional.of(next) : Optional.empty();
  }
}
