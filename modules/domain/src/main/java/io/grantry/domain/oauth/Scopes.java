package io.grantry.domain.oauth;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A set of scope tokens (RFC 6749 §3.3). Order and duplicates in the request carry no meaning, so
 * the value is a set kept in sorted order: equal sets render equally, which keeps events and hashes
 * deterministic.
 *
 * <p>Syntax, from RFC 6749 §3.3: {@code scope = scope-token *( SP scope-token )} and {@code
 * scope-token = 1*( %x21 / %x23-5B / %x5D-7E )}: printable ASCII except space, {@code "} and {@code
 * \}. Parsing is strict: a leading, trailing or doubled space is an empty token and is refused
 * rather than guessed at.
 */
public final class Scopes implements Iterable<String> {
  public static final String OPENID = "openid";
  public static final String PROFILE = "profile";
  public static final String EMAIL = "email";
  public static final String OFFLINE_ACCESS = "offline_access";

  /** The scopes the server gives meaning to (OIDC Core §5.4, §11); all others are custom. */
  public static final Set<String> KNOWN = Set.of(OPENID, PROFILE, EMAIL, OFFLINE_ACCESS);

  /**
   * The scopes only a person can grant: {@code openid} and {@code offline_access} stand for a
   * signed-in user and their absence, {@code profile} and {@code email} release a user's claims. A
   * client_credentials token has no user, so it never carries them (OIDC Core §5.4, §11).
   */
  public static final Set<String> USER_ONLY = Set.of(OPENID, PROFILE, EMAIL, OFFLINE_ACCESS);

  /** Longest scope token accepted; RFC 6749 sets no limit, we bound what we store. */
  public static final int MAX_TOKEN_LENGTH = 128;

  private static final Scopes EMPTY = new Scopes(Collections.emptySortedSet());

  private final SortedSet<String> tokens;

  private Scopes(SortedSet<String> tokens) {
    this.tokens = Collections.unmodifiableSortedSet(tokens);
  }

  public static Scopes empty() {
    return EMPTY;
  }

  /**
   * Parses a space-separated scope parameter. {@code null} and the empty string are the empty set
   * (the parameter is optional, RFC 6749 §3.3).
   *
   * @throws IllegalArgumentException naming the offending token if the syntax is wrong
   */
  public static Scopes parse(String value) {
    if (value == null || value.isEmpty()) {
      return EMPTY;
    }
    TreeSet<String> out = new TreeSet<>();
    for (String token : value.split(" ", -1)) {
      requireValidToken(token);
      out.add(token);
    }
    return new Scopes(out);
  }

  /**
   * @throws IllegalArgumentException if any token is not a valid scope token
   */
  public static Scopes of(String... tokens) {
    return of(Arrays.asList(tokens));
  }

  /**
   * @throws IllegalArgumentException if any token is not a valid scope token
   */
  public static Scopes of(Collection<String> tokens) {
    TreeSet<String> out = new TreeSet<>();
    for (String token : tokens) {
      requireValidToken(token);
      out.add(token);
    }
    return out.isEmpty() ? EMPTY : new Scopes(out);
  }

  /** True if {@code token} matches the RFC 6749 §3.3 scope-token rule (and our length bound). */
  public static boolean isValidToken(String token) {
    return problemWith(token) == null;
  }

  private static void requireValidToken(String token) {
    String problem = problemWith(token);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  private static String problemWith(String token) {
    if (token == null || token.isEmpty()) {
      return "empty scope token (scopes are separated by exactly one space, RFC 6749 §3.3)";
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      return "scope token longer than " + MAX_TOKEN_LENGTH + " characters";
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      boolean allowed = c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
      if (!allowed) {
        // The token is only echoed when it is printable ASCII; anything else could be a
        // control character headed for a log line or an HTML page.
        return c > 0x20 && c < 0x7F
            ? "scope token '" + token + "' contains the character '" + c + "' (RFC 6749 §3.3)"
            : "scope token contains a character outside printable ASCII or a space (RFC 6749 §3.3)";
      }
    }
    return null;
  }

  public boolean contains(String token) {
    return tokens.contains(token);
  }

  public boolean isEmpty() {
    return tokens.isEmpty();
  }

  public int size() {
    return tokens.size();
  }

  /** True if every token here is also in {@code other}; the empty set is a subset of all. */
  public boolean isSubsetOf(Scopes other) {
    return other.tokens.containsAll(tokens);
  }

  public Scopes intersect(Scopes other) {
    TreeSet<String> out = new TreeSet<>(tokens);
    out.retainAll(other.tokens);
    return out.isEmpty() ? EMPTY : new Scopes(out);
  }

  /** These scopes less the {@link #USER_ONLY} ones. */
  public Scopes withoutUserOnly() {
    TreeSet<String> out = new TreeSet<>(tokens);
    out.removeAll(USER_ONLY);
    return out.isEmpty() ? EMPTY : new Scopes(out);
  }

  /** True if any of these scopes is one of {@link #USER_ONLY}. */
  public boolean hasUserOnly() {
    return USER_ONLY.stream().anyMatch(tokens::contains);
  }

  public Scopes union(Scopes other) {
    TreeSet<String> out = new TreeSet<>(tokens);
    out.addAll(other.tokens);
    return out.isEmpty() ? EMPTY : new Scopes(out);
  }

  /** The tokens in sorted order, unmodifiable. */
  public SortedSet<String> asSet() {
    return tokens;
  }

  @Override
  public Iterator<String> iterator() {
    return tokens.iterator();
  }

  /** The scope parameter form: tokens in sorted order joined by one space. */
  public String value() {
    return String.join(" ", tokens);
  }

  @Override
  public String toString() {
    return value();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Scopes other && tokens.equals(other.tokens);
  }

  @Override
  public int hashCode() {
    return tokens.hashCode();
  }
}
