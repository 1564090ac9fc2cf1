package io.grantry.domain.oauth;

import java.util.Collection;
import java.util.Optional;

/**
 * Decides whether the {@code redirect_uri} of an authorization request is one the client
 * registered.
 *
 * <p>Exact string comparison, no normalization (RFC 6749 §3.1.2.3, RFC 9700 §2.1): {@code /cb/} is
 * not {@code /cb}, {@code /CB} is not {@code /cb}, an added query or fragment, user information,
 * {@code ..;/} or {@code %2e} all fail because they are not the registered string. The one
 * exception is RFC 8252 §7.3: a native app listening on the loopback interface gets an ephemeral
 * port from its OS, so for a registered {@code http://127.0.0.1} or {@code http://[::1]} URI any
 * port is accepted when everything else is identical. This does not extend to {@code
 * http://localhost}, whose resolution the server cannot vouch for (RFC 8252 §8.3).
 */
public final class RedirectUriMatcher {
  private static final String[] LOOPBACK_IP_PREFIXES = {"http://127.0.0.1", "http://[::1]"};

  private RedirectUriMatcher() {}

  /**
   * The registered URI that {@code requested} matches, or empty. The caller redirects to {@code
   * requested} (which, under the loopback rule, may differ from the registered one only in its
   * port).
   */
  public static Optional<String> match(String requested, Collection<String> registered) {
    if (requested == null || requested.length() > RedirectUriRules.MAX_LENGTH + 6) {
      return Optional.empty();
    }
    for (String candidate : registered) {
      if (requested.equals(candidate)) {
        return Optional.of(candidate);
      }
    }
    Optional<String> withoutPort = withoutLoopbackPort(requested);
    if (withoutPort.isEmpty()) {
      return Optional.empty();
    }
    for (String candidate : registered) {
      if (candidate != null && withoutLoopbackPort(candidate).equals(withoutPort)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** True if {@code requested} matches one of {@code registered}. */
  public static boolean matches(String requested, Collection<String> registered) {
    return match(requested, registered).isPresent();
  }

  /**
   * For {@code http://127.0.0.1[:port]<rest>} or {@code http://[::1][:port]<rest>}, the URI with
   * the port removed; empty for anything else, including a malformed port (empty, leading zero,
   * above 65535) or anything but a path or query right after the host.
   */
  static Optional<String> withoutLoopbackPort(String uri) {
    for (String prefix : LOOPBACK_IP_PREFIXES) {
      if (!uri.startsWith(prefix)) {
        continue;
      }
      int i = prefix.length();
      if (i < uri.length() && uri.charAt(i) == ':') {
        int j = i + 1;
        while (j < uri.length() && j - i <= 6 && uri.charAt(j) >= '0' && uri.charAt(j) <= '9') {
          j++;
        }
        String digits = uri.substring(i + 1, j);
        if (digits.isEmpty()
            || digits.length() > 5
            || digits.charAt(0) == '0'
            || Integer.parseInt(digits) > 65535) {
          return Optional.empty();
        }
        i = j;
      }
      String rest = uri.substring(i);
      if (rest.isEmpty() || rest.charAt(0) == '/' || rest.charAt(0) == '?') {
        return Optional.of(prefix + rest);
      }
      return Optional.empty();
    }
    return Optional.empty();
  }
}
