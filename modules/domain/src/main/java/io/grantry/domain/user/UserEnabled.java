package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;

/**
 * A disabled user account was enabled again: it may sign in once more. The sessions and grants
 * ended when it was disabled stay ended.
 */
public record UserEnabled(String userId, Instant enabledAt) implements UserEvent {
  public static final String TYPE = "user.enabled.v1";

  public UserEnabled {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(enabledAt, "enabledAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
