package io.grantry.domain.client;

import java.util.Optional;

/**
 * Why an operator disabled a client, recorded in {@code client.disabled.v1}. Only {@link
 * #COMPROMISED} changes what follows: such a client is enabled again only together with new
 * credentials ({@link ClientDecider#reEnableProblem}), since its old secret or keys must be assumed
 * known to someone else.
 */
public enum DisableReason {
  /** Its secret or private key leaked, or may have. */
  COMPROMISED("compromised"),
  /** Out of use for a while (a migration, an incident elsewhere). */
  MAINTENANCE("maintenance"),
  /** No longer in use. */
  RETIRED("retired"),
  OTHER("other");

  private final String wire;

  DisableReason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<DisableReason> fromWire(String value) {
    for (DisableReason r : values()) {
      if (r.wire.equals(value)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
