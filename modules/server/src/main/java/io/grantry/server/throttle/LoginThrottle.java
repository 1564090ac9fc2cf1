package io.grantry.server.throttle;

import io.grantry.server.config.ThrottleSettings;
import java.time.Duration;
import java.util.List;

/**
 * Slows down password guessing: failed sign-ins are counted per account and per source address in a
 * window ({@link FailureWindows}); past a free allowance every further attempt waits longer before
 * it is answered (a delay, not a lock-out, so an attacker cannot lock a user out). Counters live in
 * the memory of one process: with several instances behind a balancer the allowance is per
 * instance, which still turns a fast guesser into a slow one.
 */
public final class LoginThrottle {
  private final int freePerAccount;
  private final int freePerAddress;
  private final long stepMillis;
  private final long maxDelayMillis;
  private final FailureWindows failures;

  public LoginThrottle(
      int freePerAccount, int freePerAddress, Duration window, Duration step, Duration maxDelay) {
    this.freePerAccount = freePerAccount;
    this.freePerAddress = freePerAddress;
    this.stepMillis = step.toMillis();
    this.maxDelayMillis = maxDelay.toMillis();
    this.failures = new FailureWindows(window);
  }

  public static LoginThrottle defaults() {
    return new LoginThrottle(
        5, 20, Duration.ofMinutes(15), Duration.ofMillis(500), Duration.ofSeconds(5));
  }

  public LoginThrottle(ThrottleSettings t) {
    this(t.loginFreePerAccount(), t.loginFreePerAddress(), t.window(), t.step(), t.maxDelay());
  }

  /** How long to wait before answering an attempt for {@code account} from {@code address}. */
  public long delayMillis(String account, String address) {
    int overAccount = failures.count("u:" + account) - freePerAccount;
    int overAddress = failures.count("a:" + address) - freePerAddress;
    int over = Math.max(overAccount, overAddress);
    return over <= 0 ? 0 : Math.min(maxDelayMillis, over * stepMillis);
  }

  public void failed(String account, String address) {
    failures.bump("u:" + account);
    failures.bump("a:" + address);
  }

  /**
   * A success clears the account's count (not the address's: one address may guess many accounts).
   */
  public void succeeded(String account) {
    failures.clear("u:" + account);
  }

  /** Accounts (lower-cased usernames) whose sign-ins are being slowed down now, and until when. */
  public List<FailureWindows.Over> slowedAccounts() {
    return failures.over("u:", freePerAccount);
  }

  /** Addresses whose sign-ins are being slowed down now, and until when. */
  public List<FailureWindows.Over> slowedAddresses() {
    return failures.over("a:", freePerAddress);
  }
}
