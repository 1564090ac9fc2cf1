package io.grantry.domain.client;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A client as its events leave it. */
public sealed interface ClientState permits ClientState.Unregistered, ClientState.Registered {

  /** The state of an empty stream. */
  static ClientState initial() {
    return Unregistered.INSTANCE;
  }

  /** No event yet. */
  final class Unregistered implements ClientState {
    static final Unregistered INSTANCE = new Unregistered();

    private Unregistered() {}

    @Override
    public String toString() {
      return "Unregistered";
    }
  }

  /** A secret replaced by a rotation, still accepted before {@code validUntil} (exclusive). */
  record PreviousSecret(String hash, Instant validUntil) {
    public PreviousSecret {
      Objects.requireNonNull(hash, "hash");
      Objects.requireNonNull(validUntil, "validUntil");
    }
  }

  /**
   * @param disabledReason why the client is disabled, if it is and the operator said so
   */
  record Registered(
      String clientId,
      ClientMetadata metadata,
      Optional<String> secretHash,
      Optional<PreviousSecret> previousSecret,
      boolean disabled,
      Instant registeredAt,
      Optional<DisableReason> disabledReason)
      implements ClientState {

    public Registered {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(metadata, "metadata");
      Objects.requireNonNull(secretHash, "secretHash");
      Objects.requireNonNull(previousSecret, "previousSecret");
      Objects.requireNonNull(registeredAt, "registeredAt");
      Objects.requireNonNull(disabledReason, "disabledReason");
      if (!disabled) {
        disabledReason = Optional.empty();
      }
    }

    /** A client disabled without a reason, or enabled. */
    public Registered(
        String clientId,
        ClientMetadata metadata,
        Optional<String> secretHash,
        Optional<PreviousSecret> previousSecret,
        boolean disabled,
        Instant registeredAt) {
      this(
          clientId, metadata, secretHash, previousSecret, disabled, registeredAt, Optional.empty());
    }

    /** Disabled as {@link DisableReason#COMPROMISED}: only new credentials enable it. */
    public boolean compromised() {
      return disabled && disabledReason.equals(Optional.of(DisableReason.COMPROMISED));
    }

    /**
     * The secret hashes a presented secret may match at {@code now}: the current one, and the
     * previous one during its grace period. Empty for public clients.
     */
    public List<String> acceptedSecretHashes(Instant now) {
      List<String> out = new ArrayList<>(2);
      secretHash.ifPresent(out::add);
      previousSecret.filter(p -> now.isBefore(p.validUntil())).ifPresent(p -> out.add(p.hash()));
      return List.copyOf(out);
    }
  }
}
