package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;

/**
 * The device code of an already redeemed grant was presented again. Always followed by {@link
 * GrantRevoked} with reason {@code device_code_replayed}, as a replayed authorization code is (RFC
 * 6749 §10.5): a second poll with a spent device code means the code has leaked or two pollers
 * share it, and either way the device that got the tokens must start again.
 *
 * @param clientId the client that presented the code
 */
public record DeviceCodeReplayed(String grantId, String clientId, Instant replayedAt)
    implements GrantEvent {
  public static final String TYPE = "grant.device_code_replayed.v1";

  public DeviceCodeReplayed {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(replayedAt, "replayedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
