package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;

/**
 * Whether the user's email address is verified was set (by an operator, or a system that verified
 * it): what the {@code email_verified} claim says from now on (OIDC Core §5.1).
 */
public record UserEmailVerificationSet(String userId, boolean verified, Instant setAt)
    implements UserEvent {
  public static final String TYPE = "user.email_verification_set.v1";

  public UserEmailVerificationSet {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(setAt, "setAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
