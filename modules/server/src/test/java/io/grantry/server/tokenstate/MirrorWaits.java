package io.grantry.server.tokenstate;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Tests wait on the mirror's feed ({@link AccessTokenMirror#caughtUpPast}), never sleep. */
public final class MirrorWaits {
  private MirrorWaits() {}

  /**
   * The token from {@code mirror} once it has caught up with everything committed before {@code
   * after} ({@link System#nanoTime}), waiting for that with a deadline.
   */
  public static AccessTokenFacts caughtUp(AccessTokenMirror mirror, String jti, long after)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long since = after;
    while (true) {
      awaitCaughtUp(mirror, since, deadline);
      AccessTokenFacts f = mirror.find(jti);
      if (f != null) {
        return f;
      }
      // Fresh a moment ago but not answering now (a slow feed on a loaded machine): the next one.
      since = System.nanoTime();
    }
  }

  /**
   * Waits (with a deadline) until {@code mirror} has applied everything committed before {@code
   * after}.
   */
  public static void awaitCaughtUp(AccessTokenMirror mirror, long after)
      throws InterruptedException {
    awaitCaughtUp(mirror, after, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
  }

  private static void awaitCaughtUp(AccessTokenMirror mirror, long after, long deadline)
      throws InterruptedException {
    try {
      mirror
          .caughtUpPast(after)
          .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new AssertionError("the mirror never caught up", e);
    }
  }
}
