package io.grantry.server.throttle;

import java.time.Duration;
import java.util.List;

/**
 * Slows down guessing of client secrets at {@code /token}, {@code /revoke} and {@code /introspect}.
 * Failed client authentications are counted per client id and per source address ({@link
 * FailureWindows}). Past the address's allowance, requests from that address are refused with 429
 * and {@code Retry-After} until its window ends, without checking the credentials: the address is
 * the guesser's. Past a client id's allowance, every attempt for that client waits longer (a step
 * per failure, up to a maximum) and is then checked as usual: a refusal there would let anyone lock
 * a client out by failing with its id, a delay only slows the guessing down. Counters live in the
 * memory of one process (see the README on several instances).
 */
public final class ClientAuthThrottle {
  private final int freePerClient;
  private final int freePerAddress;
  private final long stepMillis;
  private final long maxDelayMillis;
  private final FailureWindows failures;

  /** What to do with an attempt before its credentials are checked. */
  public record Decision(long retryAfterSeconds, long delayMillis) {
    public boolean refused() {
      return retryAfterSeconds > 0;
    }
  }

  public ClientAuthThrottle(
      int freePerClient, int freePerAddress, Duration window, Duration step, Duration maxDelay) {
    this.freePerClient = freePerClient;
    this.freePerAddress = freePerAddress;
    this.stepMillis = step.toMillis();
    this.maxDelayMillis = maxDelay.toMillis();
    this.failures = new FailureWindows(window);
  }

  /**
   * From GRANTRY_CLIENT_AUTH_FREE_PER_CLIENT, GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS and the
   * GRANTRY_THROTTLE_* settings.
   */
  public static ClientAuthThrottle fromConfig(io.vertx.core.json.JsonObject raw) {
    ThrottleSettings t = ThrottleSettings.from(raw);
    return new ClientAuthThrottle(
        io.grantry.server.config.GrantryConfig.intSetting(
            raw, "GRANTRY_CLIENT_AUTH_FREE_PER_CLIENT", 10, 0, 1_000_000),
        io.grantry.server.config.GrantryConfig.intSetting(
            raw, "GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS", 20, 0, 1_000_000),
        t.window(),
        t.step(),
        t.maxDelay());
  }

  /** {@code clientId} may be null when the request named none. */
  public Decision check(String clientId, String address) {
    if (failures.count("a:" + address) > freePerAddress) {
      return new Decision(Math.max(1, (failures.remainingMillis("a:" + address) + 999) / 1000), 0);
    }
    int over = clientId == null ? 0 : failures.count("c:" + clientId) - freePerClient;
    return new Decision(0, over <= 0 ? 0 : Math.min(maxDelayMillis, over * stepMillis));
  }

  public void failed(String clientId, String address) {
    if (clientId != null) {
      failures.bump("c:" + clientId);
    }
    failures.bump("a:" + address);
  }

  /**
   * A success clears the client's count (not the address's: one address may guess many clients).
   */
  public void succeeded(String clientId) {
    failures.clear("c:" + clientId);
  }

  /** Client ids whose authentications are being slowed down now, and until when. */
  public List<FailureWindows.Over> slowedClients() {
    return failures.over("c:", freePerClient);
  }

  /** Addresses refused with 429 now, and until when. */
  public List<FailureWindows.Over> refusedAddresses() {
    return failures.over("a:", freePerAddress);
  }
}
