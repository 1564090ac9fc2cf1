package io.grantry.domain.client;

import java.time.Instant;
import java.util.Objects;

/**
 * A disabled client was enabled again: it may authenticate and start authorizations once more. The
 * grants revoked when it was disabled stay revoked.
 */
public record ClientEnabled(String clientId, Instant enabledAt) implements ClientEvent {
  public static final String TYPE = "client.enabled.v1";

  public ClientEnabled {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(enabledAt, "enabledAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
