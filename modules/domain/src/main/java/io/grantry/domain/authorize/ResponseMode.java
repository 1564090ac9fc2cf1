package io.grantry.domain.authorize;

import java.util.Optional;

/**
 * How the authorization response reaches the client: {@code query} parameters of a redirect (RFC
 * 6749 §4.1.2, the code flow's default), or a form the browser posts to the redirect URI (OAuth 2.0
 * Form Post Response Mode), which keeps the code out of the URL, the browser's history and the
 * client's access logs.
 */
public enum ResponseMode {
  QUERY("query"),
  FORM_POST("form_post");

  private final String wire;

  ResponseMode(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The mode {@code value} names; empty for a value we do not support. */
  public static Optional<ResponseMode> parse(String value) {
    for (ResponseMode m : values()) {
      if (m.wire.equals(value)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
