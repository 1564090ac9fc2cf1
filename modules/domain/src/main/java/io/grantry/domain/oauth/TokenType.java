package io.grantry.domain.oauth;

import java.util.Optional;

/**
 * The token type identifiers of RFC 8693 §3 that a token exchange names in {@code
 * subject_token_type}, {@code actor_token_type}, {@code requested_token_type} and {@code
 * issued_token_type}. Only those Grantry issues or accepts; SAML assertions are neither.
 */
public enum TokenType {
  ACCESS_TOKEN("urn:ietf:params:oauth:token-type:access_token"),
  REFRESH_TOKEN("urn:ietf:params:oauth:token-type:refresh_token"),
  ID_TOKEN("urn:ietf:params:oauth:token-type:id_token"),
  /** RFC 7519 §9: any JWT; of ours, a JWT access token or an ID token. */
  JWT("urn:ietf:params:oauth:token-type:jwt");

  private final String wire;

  TokenType(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<TokenType> fromWire(String value) {
    for (TokenType t : values()) {
      if (t.wire.equals(value)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
