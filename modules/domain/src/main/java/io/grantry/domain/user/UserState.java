package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** A user account as its events leave it. */
public sealed interface UserState permits UserState.Unregistered, UserState.Registered {

  static UserState initial() {
    return Unregistered.INSTANCE;
  }

  final class Unregistered implements UserState {
    static final Unregistered INSTANCE = new Unregistered();

    private Unregistered() {}

    @Override
    public String toString() {
      return "Unregistered";
    }
  }

  record Registered(
      String userId,
      String username,
      String normalizedUsername,
      String passwordHash,
      Optional<String> email,
      Optional<String> name,
      boolean emailVerified,
      boolean disabled,
      Instant registeredAt)
      implements UserState {
    public Registered {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(normalizedUsername, "normalizedUsername");
      Objects.requireNonNull(passwordHash, "passwordHash");
      Objects.requireNonNull(email, "email");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(registeredAt, "registeredAt");
    }
  }
}
