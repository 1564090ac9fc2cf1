package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;

/**
 * A user code was taken by a device authorization until it expires. A live user code must name one
 * grant only, a rule across grants that no grant's stream can decide: the device authorization
 * endpoint appends this event to the claim stream {@link #streamId} of the code's hash, with the
 * version it read as the expected version, before the grant's first event ({@link UserCodeClaims}
 * refuses while the previous claim is live). The event store's per-stream concurrency lets one of
 * two racing claimants win; the loser draws another code. The verification page finds the grant of
 * a typed code through the same stream.
 *
 * @param userCodeHash the keyed hash of the normalized code ({@link
 *     DeviceAuthorizationRequested#userCodeHash})
 * @param expiresAt when the code is free again (the grant's device code expiry)
 */
public record UserCodeClaimed(String userCodeHash, String grantId, Instant expiresAt) {
  public static final String TYPE = "device.user_code_claimed.v1";
  public static final String STREAM_PREFIX = "device_user_code:";

  public UserCodeClaimed {
    Objects.requireNonNull(userCodeHash, "userCodeHash");
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** The claim stream of a user code's hash. */
  public static String streamId(String userCodeHash) {
    if (!GrantTokens.isHash(userCodeHash)) {
      throw new IllegalArgumentException("not a user code hash");
    }
    return STREAM_PREFIX + userCodeHash;
  }

  public String type() {
    return TYPE;
  }
}
