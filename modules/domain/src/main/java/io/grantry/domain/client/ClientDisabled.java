package io.grantry.domain.client;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A client was disabled: it can no longer authenticate or start an authorization. {@code reason} is
 * what the operator said (absent in events written before reasons existed, and when none was
 * given); a client disabled as {@link DisableReason#COMPROMISED} is enabled only with new
 * credentials.
 */
public record ClientDisabled(String clientId, Instant disabledAt, Optional<DisableReason> reason)
    implements ClientEvent {
  public static final String TYPE = "client.disabled.v1";

  public ClientDisabled {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(disabledAt, "disabledAt");
    Objects.requireNonNull(reason, "reason");
  }

  /** Disabled without a reason. */
  public ClientDisabled(String clientId, Instant disabledAt) {
    this(clientId, disabledAt, Optional.empty());
  }

  @Override
  public String type() {
    return TYPE;
  }
}
