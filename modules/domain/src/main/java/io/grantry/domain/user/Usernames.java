package io.grantry.domain.user;

import io.grantry.domain.DomainError.ValidationError;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Username rules. Usernames are unique regardless of case, so uniqueness is keyed on {@link
 * #normalize}. The character set is ASCII on purpose: no Unicode look-alikes, and lower casing with
 * {@link Locale#ROOT} is then exact (no Turkish dotless i surprises).
 *
 * <p>Uniqueness itself spans users and so cannot be decided inside one user's stream: the writer
 * must claim the normalized name atomically with the registration (a stream or unique constraint
 * keyed by {@link #normalize}).
 */
public final class Usernames {
  public static final int MIN_LENGTH = 3;
  public static final int MAX_LENGTH = 64;
  private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._@+-]+");

  private Usernames() {}

  /** The uniqueness key of {@code username}: lower case under {@link Locale#ROOT}. */
  public static String normalize(String username) {
    return username.toLowerCase(Locale.ROOT);
  }

  public static Optional<ValidationError> problemWith(String username) {
    if (username == null || username.length() < MIN_LENGTH || username.length() > MAX_LENGTH) {
      return Optional.of(
          new ValidationError(
              "username", "username must be " + MIN_LENGTH + "-" + MAX_LENGTH + " characters"));
    }
    if (!ALLOWED.matcher(username).matches()) {
      return Optional.of(
          new ValidationError(
              "username", "username may contain only letters A-Z, digits and . _ @ + -"));
    }
    return Optional.empty();
  }
}
