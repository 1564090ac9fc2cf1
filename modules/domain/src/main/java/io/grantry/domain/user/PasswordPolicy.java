package io.grantry.domain.user;

import io.grantry.domain.DomainError.ValidationError;
import java.util.Optional;

/**
 * What a new password must be, checked before it is hashed (the domain only ever sees the hash).
 * Length is the rule, without composition rules, after NIST SP 800-63B §5.1.1.2; the upper bound
 * keeps hashing cost predictable.
 */
public final class PasswordPolicy {
  public static final int MIN_LENGTH = 8;
  public static final int MAX_LENGTH = 1024;

  private PasswordPolicy() {}

  /** Why {@code password} is not acceptable, or empty. The message never contains the password. */
  public static Optional<ValidationError> problemWith(CharSequence password) {
    if (password == null || password.length() < MIN_LENGTH) {
      return Optional.of(
          new ValidationError(
              "password", "password must be at least " + MIN_LENGTH + " characters"));
    }
    if (password.length() > MAX_LENGTH) {
      return Optional.of(
          new ValidationError(
              "password", "password must be at most " + MAX_LENGTH + " characters"));
    }
    return Optional.empty();
  }
}
