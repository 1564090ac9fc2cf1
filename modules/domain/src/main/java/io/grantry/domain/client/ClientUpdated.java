package io.grantry.domain.client;

import java.time.Instant;
import java.util.Objects;

/** A client's metadata was replaced as a whole; its id, type and secret are unchanged. */
public record ClientUpdated(String clientId, ClientMetadata metadata, Instant updatedAt)
    implements ClientEvent {
  public static final String TYPE = "client.updated.v1";

  public ClientUpdated {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
