package io.grantry.server.tokenstate;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Review 7 (mirror2): with a test's nanosecond clock moved ahead, {@link
 * AccessTokenMirror#caughtUpPast} compares the last catch-up's start (the mirror's clock) with
 * {@code after} (System.nanoTime) unconverted, so it completes at once for a catch-up that started
 * BEFORE {@code after}: a test waiting on it then checks a state that is not caught up.
 */
class ReviewMirrorClockTest {
  @Test
  void aCatchUpThatStartedBeforeAfterDoesNotCompleteTheWait() {
    AccessTokenMirror mirror =
        new AccessTokenMirror(
            Duration.ofMillis(500), 1000, Clock.systemUTC(), new SimpleMeterRegistry());
    AtomicLong ahead = new AtomicLong(TimeUnit.SECONDS.toNanos(10));
    mirror.useNanoClock(() -> System.nanoTime() + ahead.get());
    mirror.caughtUp(mirror.nanoTime()); // a catch-up that started now
    long after = System.nanoTime(); // later than that start
    assertThat(mirror.caughtUpPast(after))
        .as("no catch-up started after `after`: the wait must not be complete")
        .isNotDone();
    mirror.caughtUp(mirror.nanoTime()); // one that started after `after`
    assertThat(mirror.caughtUpPast(after)).isDone();
  }
}
