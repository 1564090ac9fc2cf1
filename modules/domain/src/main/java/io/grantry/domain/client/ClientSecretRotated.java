package io.grantry.domain.client;

import java.time.Instant;
import java.util.Objects;

/**
 * A confidential client got a new secret. The previous one stays valid until {@code
 * previousValidUntil} (exclusive) so that deployments can roll over without downtime; with no grace
 * period that instant is the rotation itself.
 *
 * @param secretHash keyed hash of the new secret
 * @param previousSecretHash keyed hash of the secret being replaced
 */
public record ClientSecretRotated(
    String clientId,
    String secretHash,
    String previousSecretHash,
    Instant previousValidUntil,
    Instant rotatedAt)
    implements ClientEvent {
  public static final String TYPE = "client.secret_rotated.v1";

  public ClientSecretRotated {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(previousSecretHash, "previousSecretHash");
    Objects.requireNonNull(previousValidUntil, "previousValidUntil");
    Objects.requireNonNull(rotatedAt, "rotatedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
