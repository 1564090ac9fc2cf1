package io.grantry.domain.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** What an operator asks of a client. Ids and secret hashes are made outside and passed in. */
public sealed interface ClientCommand
    permits ClientCommand.Register,
        ClientCommand.Update,
        ClientCommand.RotateSecret,
        ClientCommand.Disable,
        ClientCommand.Enable {

  String clientId();

  /**
   * @param secretHash keyed hash of a generated secret: required for confidential clients, absent
   *     for public ones
   */
  record Register(String clientId, ClientMetadata metadata, Optional<String> secretHash)
      implements ClientCommand {
    public Register {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(metadata, "metadata");
      Objects.requireNonNull(secretHash, "secretHash");
    }
  }

  /** Replaces the metadata as a whole; the client type cannot change. */
  record Update(String clientId, ClientMetadata metadata) implements ClientCommand {
    public Update {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(metadata, "metadata");
    }
  }

  /**
   * @param newSecretHash keyed hash of the new secret
   * @param grace how long the current secret keeps working; zero ends it now
   */
  record RotateSecret(String clientId, String newSecretHash, Duration grace)
      implements ClientCommand {
    public RotateSecret {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(newSecretHash, "newSecretHash");
      Objects.requireNonNull(grace, "grace");
    }
  }

  /** Disables the client, saying why or not. */
  record Disable(String clientId, Optional<DisableReason> reason) implements ClientCommand {
    public Disable {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(reason, "reason");
    }

    public Disable(String clientId) {
      this(clientId, Optional.empty());
    }
  }

  /**
   * Lets a disabled client authenticate again; its revoked grants stay revoked.
   *
   * @param newSecretHash keyed hash of a new secret that replaces the current one (and any previous
   *     one still in its grace) at once, in the same decision; required to enable a client that
   *     uses a secret and was disabled as compromised
   */
  record Enable(String clientId, Optional<String> newSecretHash) implements ClientCommand {
    public Enable {
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(newSecretHash, "newSecretHash");
    }

    public Enable(String clientId) {
      this(clientId, Optional.empty());
    }
  }
}
