package io.grantry.domain.client;

import java.util.Optional;

/**
 * How a client authenticates at the token endpoint and every other client-authenticated endpoint
 * (RFC 7591 §2, RFC 6749 §2.3.1, OIDC Core §9, RFC 7523).
 */
public enum TokenEndpointAuthMethod {
  CLIENT_SECRET_BASIC("client_secret_basic"),
  CLIENT_SECRET_POST("client_secret_post"),
  /** A JWT signed with one of the client's registered keys ({@code jwks} or {@code jwks_uri}). */
  PRIVATE_KEY_JWT("private_key_jwt"),
  /** A JWT MACed (HS256) with the client's secret. */
  CLIENT_SECRET_JWT("client_secret_jwt"),
  /** Public clients: no authentication; PKCE protects the code instead. */
  NONE("none");

  private final String wire;

  TokenEndpointAuthMethod(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** Whether the client holds a secret the server issued: every method but keys and none. */
  public boolean usesSecret() {
    return this == CLIENT_SECRET_BASIC || this == CLIENT_SECRET_POST || this == CLIENT_SECRET_JWT;
  }

  /** Whether the client authenticates with a signed JWT (RFC 7523 §2.2). */
  public boolean usesAssertion() {
    return this == PRIVATE_KEY_JWT || this == CLIENT_SECRET_JWT;
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
