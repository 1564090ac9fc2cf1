package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;

/** A user account was disabled: it can no longer sign in. */
public record UserDisabled(String userId, Instant disabledAt) implements UserEvent {
  public static final String TYPE = "user.disabled.v1";

  public UserDisabled {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(disabledAt, "disabledAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
