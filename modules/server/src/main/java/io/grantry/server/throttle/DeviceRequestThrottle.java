package io.grantry.server.throttle;

import io.grantry.server.config.DeviceSettings;
import java.util.OptionalLong;

/**
 * Bounds the device authorization requests ({@code POST /device_authorization}) of one client
 * address. Each accepted request appends two events to the ledger (the user code's claim and the
 * grant's request) and a public device client needs no secret to make one, so without a bound
 * anyone who knows a TV app's client id could fill the ledger, which keeps every event for good.
 * Past GRANTRY_DEVICE_REQUESTS_PER_ADDRESS (30) requests of an address within a device code's
 * lifetime (GRANTRY_DEVICE_CODE_TTL_SECONDS, 10 min), its requests are refused with 429 until that
 * window ends: a household or an office behind one address starts a few devices in ten minutes, not
 * thirty. Counted before anything is written, in the memory of one process like the sign-in
 * throttle (so with several instances an address gets this many per instance it reaches).
 *
 * <p>Asked before the request's DPoP proof is checked, so that an address past its allowance costs
 * no signature check and no jti insert. A request whose proof is then refused counts all the same:
 * it cost a signature check and may have stored its jti (a proof refused for naming another {@code
 * dpop_jkt} is refused after that), so taking it back would let one address make both without bound
 * (review 5, M1). A client told {@code use_dpop_nonce} (RFC 9449 §8) pays twice, once per nonce it
 * learns: two of its thirty.
 */
public final class DeviceRequestThrottle {
  private final int perAddress;
  private final FailureWindows requests;

  public DeviceRequestThrottle(DeviceSettings settings) {
    this.perAddress = settings.requestsPerAddress();
    this.requests = new FailureWindows(settings.lifetime());
  }

  /**
   * Counts a request from {@code address}: empty if it may go on, else the seconds until its window
   * ends (for {@code Retry-After}).
   */
  public OptionalLong attempt(String address) {
    String key = "d:" + address;
    requests.bump(key);
    if (requests.count(key) <= perAddress) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.max(1, (requests.remainingMillis(key) + 999) / 1000));
  }
}
