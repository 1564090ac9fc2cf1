package io.grantry.domain.grant;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The user code of the device authorization grant, the short code a person reads on the device and
 * types on the verification page (RFC 8628 §6.1): characters from a 20-letter consonant alphabet
 * (no vowels, so no words; no digits, so no 0/O or 1/I), shown in groups of four ({@code
 * BCDF-GHJK}) and compared without case, dashes or spaces.
 *
 * <p>A user code is not a bearer secret: entering it only lets a signed-in person approve a device
 * for their own account, so a guessed code gains an attacker nothing but connecting someone else's
 * device to the attacker's account. It is still guessed against: 8 characters are 20^8 = 2.56 ×
 * 10^10 codes (34.6 bits), and the verification page throttles failed entries (see {@code
 * UserCodeThrottle} in the server for how many guesses that leaves within a code's life).
 */
public final class UserCodes {
  /** RFC 8628 §6.1's base-20 alphabet. */
  public static final String ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

  public static final int MIN_LENGTH = 8;
  public static final int MAX_LENGTH = 12;
  public static final int DEFAULT_LENGTH = 8;

  /** Longer input is refused before it is looked at (a form field can hold anything). */
  private static final int MAX_TYPED = 64;

  private UserCodes() {}

  /** A new code of {@code length} characters, each drawn uniformly from {@link #ALPHABET}. */
  public static String generate(int length, RandomGenerator random) {
    if (length < MIN_LENGTH || length > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "a user code has " + MIN_LENGTH + " to " + MAX_LENGTH + " characters");
    }
    Objects.requireNonNull(random, "random");
    char[] code = new char[length];
    for (int i = 0; i < length; i++) {
      code[i] = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
    }
    return new String(code);
  }

  /**
   * The code as typed, reduced to what is compared: upper case, without dashes and white space;
   * empty when what remains is not {@link #MIN_LENGTH}-{@link #MAX_LENGTH} characters of {@link
   * #ALPHABET} (a typo the person should see at once, without a lookup).
   */
  public static Optional<String> normalize(String typed) {
    if (typed == null || typed.length() > MAX_TYPED) {
      return Optional.empty();
    }
    StringBuilder out = new StringBuilder(MAX_LENGTH);
    for (int i = 0; i < typed.length(); i++) {
      char c = typed.charAt(i);
      if (c == '-' || c == ' ' || c == '\t' || c == '\u2010' || c == '\u2013') {
        continue;
      }
      char upper = Character.toUpperCase(c);
      if (upper > 'Z' || ALPHABET.indexOf(upper) < 0) {
        return Optional.empty();
      }
      out.append(upper);
    }
    return out.length() < MIN_LENGTH || out.length() > MAX_LENGTH
        ? Optional.empty()
        : Optional.of(out.toString());
  }

  /** A normalized code as people read it: groups of four joined by dashes ({@code BCDF-GHJK}). */
  public static String display(String normalized) {
    String code = normalized.toUpperCase(Locale.ROOT);
    StringBuilder out = new StringBuilder(code.length() + code.length() / 4);
    for (int i = 0; i < code.length(); i++) {
      if (i > 0 && i % 4 == 0) {
        out.append('-');
      }
      out.append(code.charAt(i));
    }
    return out.toString();
  }
}
