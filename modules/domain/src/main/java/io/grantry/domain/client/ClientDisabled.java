package io.grantry.domain.client;

import java.time.Instant;
import java.util.Objects;

/** A client was disabled: it can no longer authenticate or start an authorization. */
public record ClientDisabled(String clientId, Instant disabledAt) implements ClientEvent {
  public static final String TYPE = "client.disabled.v1";

  public ClientDisabled {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(disabledAt, "disabledAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
