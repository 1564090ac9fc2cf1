package io.grantry.server.throttle;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed attempts counted per key in a fixed window that starts at the key's first failure and ends
 * {@code window} later (then the count starts over). In the memory of one process, shared by its
 * verticles; bounded in size (past {@value #MAX_KEYS} keys it starts over, so a flood of random
 * keys cannot exhaust the heap — it only forgets counts early).
 */
public final class FailureWindows {
  static final int MAX_KEYS = 100_000;
  private final long windowNanos;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  private record Window(long startedAt, int count) {}

  /** A key whose count is past its allowance, for the operators' view. */
  public record Over(String key, int failures, Instant until) {}

  public FailureWindows(Duration window) {
    this.windowNanos = window.toNanos();
  }

  public int count(String key) {
    Window w = windows.get(key);
    return w == null || System.nanoTime() - w.startedAt > windowNanos ? 0 : w.count;
  }

  /** Milliseconds until {@code key}'s window ends (0 when it has none). */
  public long remainingMillis(String key) {
    Window w = windows.get(key);
    long left = w == null ? 0 : w.startedAt + windowNanos - System.nanoTime();
    return Math.max(0, left / 1_000_000);
  }

  public void bump(String key) {
    if (windows.size() > MAX_KEYS) {
      windows.clear();
    }
    long now = System.nanoTime();
    windows.compute(
        key,
        (k, w) ->
            w == null || now - w.startedAt > windowNanos
                ? new Window(now, 1)
                : new Window(w.startedAt, w.count + 1));
  }

  public void clear(String key) {
    windows.remove(key);
  }

  /**
   * The keys starting with {@code prefix} whose count is above {@code allowance}; expired windows
   * are dropped.
   */
  public List<Over> over(String prefix, int allowance) {
    long now = System.nanoTime();
    Instant wallNow = Instant.now();
    List<Over> out = new ArrayList<>();
    windows.forEach(
        (k, w) -> {
          if (now - w.startedAt > windowNanos) {
            windows.remove(k, w);
          } else if (k.startsWith(prefix) && w.count > allowance) {
            out.add(
                new Over(
                    k.substring(prefix.length()),
                    w.count,
                    wallNow.plusNanos(w.startedAt + windowNanos - now)));
          }
        });
    return out;
  }
}
