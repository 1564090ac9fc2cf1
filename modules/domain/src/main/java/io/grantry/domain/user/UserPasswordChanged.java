package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;

/**
 * A user's password was replaced (or rehashed with current parameters). Holds the new hash only.
 */
public record UserPasswordChanged(String userId, String passwordHash, Instant changedAt)
    implements UserEvent {
  public static final String TYPE = "user.password_changed.v1";

  public UserPasswordChanged {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(passwordHash, "passwordHash");
    Objects.requireNonNull(changedAt, "changedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
