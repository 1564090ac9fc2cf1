package io.grantry.server.browser;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down password guessing: failed sign-ins are counted per account and per source address
 * in a sliding window; past a free allowance every further attempt waits longer before it is
 * answered (a delay, not a lock-out, so an attacker cannot lock a user out). Counters live in the
 * memory of one process: with several instances behind a balancer the allowance is per instance,
 * which still turns a fast guesser into a slow one.
 */
public final class LoginThrottle {
  private static final int MAX_KEYS = 100_000;
  private final int freePerAccount;
  private final int freePerAddress;
  private final long windowNanos;
  private final long stepMillis;
  private final long maxDelayMillis;
  private final ConcurrentHashMap<String, Window> failures = new ConcurrentHashMap<>();

  private record Window(long startedAt, int count) {}

  public LoginThrottle(int freePerAccount, int freePerAddress, Duration window, Duration step, Duration maxDelay) {
    this.freePerAccount = freePerAccount;
    this.freePerAddress = freePerAddress;
    this.windowNanos = window.toNanos();
    this.stepMillis = step.toMillis();
    this.maxDelayMillis = maxDelay.toMillis();
  }

  public static LoginThrottle defaults() {
    return new LoginThrottle(5, 20, Duration.ofMinutes(15), Duration.ofMillis(500), Duration.ofSeconds(5));
  }

  /** How long to wait before answering an attempt for {@code account} from {@code address}. */
  public long delayMillis(String account, String address) {
    int overAccount = count("u:" + account) - freePerAccount;
    int overAddress = count("a:" + address) - freePerAddress;
    int over = Math.max(overAccount, overAddress);
    return over <= 0 ? 0 : Math.min(maxDelayMillis, over * stepMillis);
  }

  public void failed(String account, String address) {
    bump("u:" + account);
    bump("a:" + address);
  }

  /** A success clears the account's count (not the address's: one address may guess many accounts). */
  public void succeeded(String account) {
    failures.remove("u:" + account);
  }

  private int count(String key) {
    Window w = failures.get(key);
    return w == null || System.nanoTime() - w.startedAt > windowNanos ? 0 : w.count;
  }

  private void bump(String key) {
    if (failures.size() > MAX_KEYS) {
      failures.clear();
    }
    long now = System.nanoTime();
    failures.compute(key, (k, w) -> w == null || now - w.startedAt > windowNanos ? new Window(now, 1)
        : new Window(w.startedAt, w.count + 1));
  }
}
