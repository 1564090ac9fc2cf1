package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A user account was created.
 *
 * @param userId stable subject identifier ({@code sub}, OIDC Core §2)
 * @param username as the user typed it, for display
 * @param normalizedUsername lower case (Locale.ROOT): the key of case-insensitive uniqueness
 * @param passwordHash PHC-format Argon2id hash; never the password
 * @param email optional {@code email} claim
 * @param name optional {@code name} claim
 * @param emailVerified the {@code email_verified} claim (false when absent from older events)
 */
public record UserRegistered(
    String userId,
    String username,
    String normalizedUsername,
    String passwordHash,
    Optional<String> email,
    Optional<String> name,
    boolean emailVerified,
    Instant registeredAt)
    implements UserEvent {
  public static final String TYPE = "user.registered.v1";

  public UserRegistered {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(normalizedUsername, "normalizedUsername");
    Objects.requireNonNull(passwordHash, "passwordHash");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(registeredAt, "registeredAt");
  }

  /** A registration whose email address is not verified. */
  public UserRegistered(
      String userId,
      String username,
      String normalizedUsername,
      String passwordHash,
      Optional<String> email,
      Optional<String> name,
      Instant registeredAt) {
    this(userId, username, normalizedUsername, passwordHash, email, name, false, registeredAt);
  }

  @Override
  public String type() {
    return TYPE;
  }
}
