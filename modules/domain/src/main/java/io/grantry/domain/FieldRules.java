package io.grantry.domain;

import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.oauth.RedirectUriRules;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Checks on command fields shared by the aggregates; each answers with a field-level error or
 * nothing.
 */
public final class FieldRules {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9._~-]+");

  /** {@code <scheme>$<value>}, e.g. {@code hmac-sha256$…}: a raw generated secret has no '$'. */
  private static final Pattern KEYED_HASH = Pattern.compile("[a-z0-9-]+\\$[\\x21-\\x7E]+");

  /** PHC string format, e.g. {@code $argon2id$v=19$…}. */
  private static final Pattern PHC = Pattern.compile("\\$[a-z0-9-]+(\\$[\\x21-\\x7E]+)+");

  private FieldRules() {}

  /**
   * An id that travels in URLs, stream ids and logs: 1 to {@code max} characters from the
   * unreserved set of RFC 3986 §2.3, so it never needs escaping.
   */
  public static Optional<ValidationError> identifier(String field, String value, int max) {
    if (value == null
        || value.isEmpty()
        || value.length() > max
        || !IDENTIFIER.matcher(value).matches()) {
      return error(field, field + " must be 1-" + max + " characters from A-Z a-z 0-9 . _ ~ -");
    }
    return Optional.empty();
  }

  /** Text shown to people: not blank, at most {@code max} characters, no control characters. */
  public static Optional<ValidationError> displayText(String field, String value, int max) {
    if (value == null || value.isBlank()) {
      return error(field, field + " must not be blank");
    }
    if (value.length() > max) {
      return error(field, field + " must be at most " + max + " characters");
    }
    if (!value.equals(value.strip())) {
      return error(field, field + " must not start or end with white space");
    }
    if (value.chars().anyMatch(Character::isISOControl)) {
      return error(field, field + " must not contain control characters");
    }
    return Optional.empty();
  }

  /** A keyed hash like {@code hmac-sha256$…}. The value is never echoed: it might be the secret. */
  public static Optional<ValidationError> keyedHash(String field, String value) {
    if (value == null || value.length() > 512 || !KEYED_HASH.matcher(value).matches()) {
      return error(
          field,
          field + " must be an encoded hash such as 'hmac-sha256$…', never the secret itself");
    }
    return Optional.empty();
  }

  /** A PHC-format password hash like {@code $argon2id$…}. Never echoed. */
  public static Optional<ValidationError> phcHash(String field, String value) {
    if (value == null || value.length() > 1024 || !PHC.matcher(value).matches()) {
      return error(
          field,
          field
              + " must be a PHC-format hash such as '$argon2id$v=19$…', never the password itself");
    }
    return Optional.empty();
  }

  /**
   * A web page or image link shown on the consent page: absolute {@code https} (or {@code http} on
   * a loopback host, for development) with a host and no user information.
   */
  public static Optional<ValidationError> webUri(String field, String value) {
    if (value == null || value.isEmpty() || value.length() > 2000) {
      return error(field, field + " must be an absolute https URI of at most 2000 characters");
    }
    if (value.chars().anyMatch(c -> c <= 0x20 || c >= 0x7F)) {
      return error(
          field,
          field + " must not contain spaces, control or non-ASCII characters; percent-encode them");
    }
    String shown = " '" + value.replace('\'', '?') + "'";
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      return error(field, field + shown + " is not a valid URI (RFC 3986)");
    }
    String scheme = uri.getScheme();
    String host = uri.getHost();
    boolean https = "https".equals(scheme);
    boolean loopbackHttp = "http".equals(scheme) && RedirectUriRules.LOOPBACK_HOSTS.contains(host);
    if (!https && !loopbackHttp) {
      return error(field, field + shown + " must be an https URI");
    }
    if (host == null || uri.getRawUserInfo() != null || uri.getRawAuthority().indexOf('@') >= 0) {
      return error(field, field + shown + " must name a host and carry no user information");
    }
    return Optional.empty();
  }

  private static Optional<ValidationError> error(String field, String message) {
    return Optional.of(new ValidationError(field, message));
  }
}
