package io.grantry.domain.oauth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a redirect URI must look like to be registered. Matching at /authorize is exact (see {@link
 * RedirectUriMatcher}), so everything that could make two spellings mean one place, or send a code
 * somewhere unsafe, is refused here, once, with a message naming the URI.
 *
 * <ul>
 *   <li>Absolute, no fragment (RFC 6749 §3.1.2); no wildcard, since matching is exact (RFC 9700
 *       §2.1).
 *   <li>{@code https}; {@code http} only for the loopback hosts {@code 127.0.0.1}, {@code [::1]}
 *       and {@code localhost} (native apps and development, RFC 8252 §7.3, §8.3).
 *   <li>Private-use schemes for native apps must be reverse domain names, i.e. contain a dot (RFC
 *       8252 §7.1, e.g. {@code com.example.app:/cb}).
 *   <li>Never {@code javascript:}, {@code data:} and the like; never user information ({@code
 *       user@host}); no dot-segments or encoded dots in the path; scheme and host in lower case, so
 *       the exact match cannot be dodged by case.
 * </ul>
 */
public final class RedirectUriRules {
  /** Longest redirect URI we register; browsers and proxies start to truncate near 2,048. */
  public static final int MAX_LENGTH = 2000;

  /** The loopback hosts for which {@code http} is allowed. */
  public static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "[::1]", "localhost");

  private static final Set<String> FORBIDDEN_SCHEMES =
      Set.of("javascript", "data", "vbscript", "file", "blob", "about", "filesystem");

  private RedirectUriRules() {}

  /** Why {@code uri} cannot be registered as a redirect URI, or empty if it can. */
  public static Optional<String> problemWith(String uri) {
    if (uri == null || uri.isEmpty()) {
      return Optional.of("redirect URI must not be empty");
    }
    if (uri.length() > MAX_LENGTH) {
      return Optional.of(
          "redirect URI '" + shown(uri) + "' is longer than " + MAX_LENGTH + " characters");
    }
    String prefix = "redirect URI '" + shown(uri) + "' ";
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        return Optional.of(
            prefix
                + "contains a space, a control character or a non-ASCII character; percent-encode it");
      }
    }
    // Checked on the raw text, before parsing: "data:text/html,<script>" is not even a valid
    // URI, and the operator should hear that the scheme is the problem.
    Optional<String> rawScheme = schemeOf(uri);
    if (rawScheme.isPresent()
        && FORBIDDEN_SCHEMES.contains(rawScheme.get().toLowerCase(Locale.ROOT))) {
      return Optional.of(
          prefix + "uses the forbidden scheme '" + rawScheme.get().toLowerCase(Locale.ROOT) + ":'");
    }
    if (uri.indexOf('#') >= 0) {
      return Optional.of(prefix + "must not contain a fragment (RFC 6749 §3.1.2)");
    }
    if (uri.indexOf('*') >= 0) {
      return Optional.of(
          prefix
              + "must not contain a wildcard '*'; redirect URIs are matched exactly (RFC 9700 §2.1)");
    }
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      return Optional.of(prefix + "is not a valid URI (RFC 3986)");
    }
    String scheme = parsed.getScheme();
    if (scheme == null) {
      return Optional.of(prefix + "must be an absolute URI with a scheme (RFC 6749 §3.1.2)");
    }
    if (!scheme.equals(scheme.toLowerCase(Locale.ROOT))) {
      return Optional.of(
          prefix + "must have a lower-case scheme; redirect URIs are matched exactly");
    }
    if (parsed.isOpaque()) {
      return Optional.of(
          prefix + "must be hierarchical, like 'com.example.app:/cb' or 'https://host/cb'");
    }
    String authority = parsed.getRawAuthority();
    if (parsed.getRawUserInfo() != null || (authority != null && authority.indexOf('@') >= 0)) {
      return Optional.of(prefix + "must not contain user information ('user@host')");
    }
    Optional<String> pathProblem = pathProblem(prefix, parsed.getRawPath());
    if (pathProblem.isPresent()) {
      return pathProblem;
    }
    if (scheme.equals("https") || scheme.equals("http")) {
      return webProblem(prefix, scheme, parsed, authority);
    }
    if (scheme.indexOf('.') < 0) {
      return Optional.of(
          prefix
              + "uses the custom scheme '"
              + scheme
              + ":' that is not a reverse domain name like 'com.example.app' (RFC 8252 §7.1)");
    }
    return Optional.empty();
  }

  /** True if {@code uri} may be registered. */
  public static boolean isAcceptable(String uri) {
    return problemWith(uri).isEmpty();
  }

  private static Optional<String> webProblem(
      String prefix, String scheme, URI parsed, String authority) {
    String host = parsed.getHost();
    if (host == null || host.isEmpty()) {
      return Optional.of(prefix + "must name a valid host");
    }
    if (!host.equals(host.toLowerCase(Locale.ROOT))) {
      return Optional.of(prefix + "must have a lower-case host; redirect URIs are matched exactly");
    }
    if (authority.endsWith(":")) {
      return Optional.of(prefix + "has an empty port");
    }
    int port = parsed.getPort();
    if (port != -1 && (port < 1 || port > 65535)) {
      return Optional.of(prefix + "has a port outside 1-65535");
    }
    if (scheme.equals("http") && !LOOPBACK_HOSTS.contains(host)) {
      return Optional.of(
          prefix
              + "must use https; http is allowed only for the loopback hosts "
              + "127.0.0.1, [::1] and localhost (RFC 8252 §7.3, RFC 9700 §2.1)");
    }
    return Optional.empty();
  }

  private static Optional<String> pathProblem(String prefix, String rawPath) {
    if (rawPath == null || rawPath.isEmpty()) {
      return Optional.empty();
    }
    if (rawPath.toLowerCase(Locale.ROOT).contains("%2e")) {
      return Optional.of(prefix + "must not contain an encoded dot ('%2e') in its path");
    }
    for (String segment : rawPath.split("/", -1)) {
      // "..;/" is ".." to servers that strip matrix parameters before resolving the path.
      int semicolon = segment.indexOf(';');
      String name = semicolon >= 0 ? segment.substring(0, semicolon) : segment;
      if (name.equals(".") || name.equals("..")) {
        return Optional.of(
            prefix + "must not contain the dot-segment '" + segment + "' in its path");
      }
    }
    return Optional.empty();
  }

  /**
   * The scheme per RFC 3986 §3.1 ({@code ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )}) before the
   * first colon.
   */
  private static Optional<String> schemeOf(String uri) {
    int colon = uri.indexOf(':');
    if (colon < 1 || !Character.isLetter(uri.charAt(0)) || uri.charAt(0) > 0x7F) {
      return Optional.empty();
    }
    for (int i = 1; i < colon; i++) {
      char c = uri.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '+'
              || c == '-'
              || c == '.';
      if (!ok) {
        return Optional.empty();
      }
    }
    return Optional.of(uri.substring(0, colon));
  }

  /** The URI as it may appear in a message: printable ASCII only, at most 200 characters. */
  static String shown(String uri) {
    StringBuilder out = new StringBuilder(Math.min(uri.length(), 200));
    for (int i = 0; i < uri.length() && i < 200; i++) {
      char c = uri.charAt(i);
      out.append(c > 0x20 && c < 0x7F && c != '\'' ? c : '?');
    }
    if (uri.length() > 200) {
      out.append("...");
    }
    return out.toString();
  }
}
