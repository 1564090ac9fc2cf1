package io.grantry.domain.client;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A client was registered.
 *
 * @param secretHash the keyed hash of the client secret (e.g. {@code hmac-sha256$…}); present
 *     exactly for confidential clients; never the secret
 */
public record ClientRegistered(
    String clientId, ClientMetadata metadata, Optional<String> secretHash, Instant registeredAt)
    implements ClientEvent {
  public static final String TYPE = "client.registered.v1";

  public ClientRegistered {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(registeredAt, "registeredAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
