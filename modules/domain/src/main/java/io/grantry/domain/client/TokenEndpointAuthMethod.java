package io.grantry.domain.client;

import java.util.Optional;

/** How a client authenticates at the token endpoint (RFC 7591 §2, RFC 6749 §2.3.1). */
public enum TokenEndpointAuthMethod {
  CLIENT_SECRET_BASIC("client_secret_basic"),
  CLIENT_SECRET_POST("client_secret_post"),
  /** Public clients: no authentication; PKCE protects the code instead. */
  NONE("none");

  private final String wire;

  TokenEndpointAuthMethod(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<TokenEndpointAuthMethod> fromWire(String value) {
    for (TokenEndpointAuthMethod m : values()) {
      if (m.wire.equals(value)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
