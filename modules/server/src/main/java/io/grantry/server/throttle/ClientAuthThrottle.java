package io.grantry.server.throttle;

import io.grantry.server.config.ThrottleSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;

/**
 * Slows down guessing of client secrets at {@code /token}, {@code /revoke} and {@code /introspect}.
 * Failed client authentications are counted per client id (per client id and address for client
 * assertions: {@link Claim}) and per source address ({@link FailureWindows}).
 *
 * <p>Past a client id's allowance, every attempt for that client waits longer (a step per failure,
 * up to a maximum) and is then checked as usual: a refusal there would let anyone lock a client out
 * by failing with its id, a delay only slows the guessing down.
 *
 * <p>Past an address's allowance the address is <em>penalized</em> until its window ends, and what
 * is penalized is failing, not authenticating: the credentials of a request from there are still
 * checked, a correct secret is answered as usual (one address is often many clients: a NAT, a
 * proxy, a cluster's egress, where one broken or hostile client must not lock out the others), and
 * a wrong one gets 429 with {@code Retry-After} only after the address's delay (a step per failure
 * past the allowance, up to the maximum). That alone would still be an oracle: a guesser that sends
 * its guesses in parallel and ignores the slow 429s would see a right guess answered at full speed.
 * So a penalized address's checks also pass through a gate ({@link CheckGates}): at most {@value
 * #CHECKS_AT_ONCE} at once, and a wrong one keeps its place in the gate for the delay. A guesser
 * gets at most {@value #CHECKS_AT_ONCE} guesses per delay (4 per second with the defaults) whatever
 * it sends; a request that cannot get a place within half the maximum delay is refused with 429
 * without its credentials being checked. The price: while a flood from the same address keeps the
 * gate full, a correct client behind that address is refused too, until the flood stops (not for
 * the rest of the window). Counters live in the memory of one process (see the README on several
 * instances).
 */
public final class ClientAuthThrottle {
  /** Credential checks a penalized address may have under way at once. */
  static final int CHECKS_AT_ONCE = 8;

  /** Requests from a penalized address that may wait for a check. */
  static final int MAX_WAITING = 256;

  private final int freePerClient;
  private final int freePerAddress;
  private final long stepMillis;
  private final long maxDelayMillis;
  private final FailureWindows failures;
  private final CheckGates gates;

  /**
   * What to do with an attempt before its credentials are checked: wait {@code delayMillis} (the
   * claimed client id's delay), and pass the address's gate when {@code addressPenalized}.
   */
  public record Decision(long delayMillis, boolean addressPenalized) {}

  /** The right to check one attempt's credentials from a penalized address. */
  public interface Permit {
    /** Gives the place in the gate to the next waiter. Exactly once. */
    void release();
  }

  public ClientAuthThrottle(
      int freePerClient, int freePerAddress, Duration window, Duration step, Duration maxDelay) {
    this.freePerClient = freePerClient;
    this.freePerAddress = freePerAddress;
    this.stepMillis = step.toMillis();
    this.maxDelayMillis = maxDelay.toMillis();
    this.failures = new FailureWindows(window);
    this.gates =
        new CheckGates(
            CHECKS_AT_ONCE, MAX_WAITING, Duration.ofMillis(Math.max(100, maxDelayMillis / 2)));
  }

  public ClientAuthThrottle(ThrottleSettings t) {
    this(t.clientFreePerClient(), t.clientFreePerAddress(), t.window(), t.step(), t.maxDelay());
  }

  /**
   * Whose failures an attempt counts against besides its address's: the client id it sends with a
   * secret (Basic, the form), or the {@code iss} of a client assertion together with the address it
   * came from. An assertion's {@code iss} is read before its signature is checked, so anyone may
   * name any client there: counted by the id alone, assertions naming a client from anywhere would
   * slow that client down everywhere, and a guesser would choose which count its failures go to.
   * Counted with the address, they slow down only requests from that address (which its own count
   * throttles as well).
   */
  public record Claim(String key) {
    /** A client id sent with a secret; null if none was sent. */
    public static Claim clientId(String clientId) {
      return clientId == null ? null : new Claim("c:" + clientId);
    }

    /** The unverified {@code iss} of an assertion from {@code address}; null if none. */
    public static Claim assertion(String iss, String address) {
      return iss == null ? null : new Claim(ASSERTION + iss + "@" + address);
    }
  }

  private static final String ASSERTION = "ca:";

  /** {@code claim} may be null when the request named no client. */
  public Decision check(Claim claim, String address) {
    int over = claim == null ? 0 : failures.count(claim.key()) - freePerClient;
    return new Decision(
        over <= 0 ? 0 : Math.min(maxDelayMillis, over * stepMillis), penalized(address));
  }

  private boolean penalized(String address) {
    return failures.count("a:" + address) > freePerAddress;
  }

  /**
   * A place in the gate of penalized {@code address}; null (in a succeeded future) when it is full:
   * answer 429 without checking.
   */
  public Future<Permit> enter(Vertx vertx, String address) {
    return gates.enter(vertx, "a:" + address).map(p -> p == null ? null : p::release);
  }

  /**
   * How long a wrong attempt from {@code address} keeps its place before it is answered: a step per
   * failure past the allowance, at most the maximum delay.
   */
  public long penaltyMillis(String address) {
    int over = failures.count("a:" + address) - freePerAddress;
    return over <= 0 ? 0 : Math.min(maxDelayMillis, over * stepMillis);
  }

  /** Seconds until {@code address}'s window, and with it its penalty, ends (at least 1). */
  public long retryAfterSeconds(String address) {
    return Math.max(1, (failures.remainingMillis("a:" + address) + 999) / 1000);
  }

  /** Checks under way and waiting at {@code address}'s gate (tests). */
  int[] gateLoad(String address) {
    return gates.load("a:" + address);
  }

  public void failed(Claim claim, String address) {
    if (claim != null) {
      failures.bump(claim.key());
    }
    failures.bump("a:" + address);
  }

  /**
   * A success clears the client's count (not the address's: one address may guess many clients).
   */
  public void succeeded(Claim claim) {
    if (claim != null) {
      failures.clear(claim.key());
    }
  }

  /** Client ids whose authentications are being slowed down now, and until when. */
  public List<FailureWindows.Over> slowedClients() {
    return failures.over("c:", freePerClient);
  }

  /**
   * Client ids named by assertions from one address whose authentications from there are slowed
   * down now, as {@code <client id>@<address>}, and until when.
   */
  public List<FailureWindows.Over> slowedAssertions() {
    return failures.over(ASSERTION, freePerClient);
  }

  /** Addresses penalized now (their failures answered 429 after a delay), and until when. */
  public List<FailureWindows.Over> refusedAddresses() {
    return failures.over("a:", freePerAddress);
  }
}
