package io.grantry.domain.client;

import java.util.Optional;

/** The grants we implement. No implicit and no password grant (RFC 9700 §2.1.2, §2.4). */
public enum GrantType {
  AUTHORIZATION_CODE("authorization_code"),
  REFRESH_TOKEN("refresh_token"),
  CLIENT_CREDENTIALS("client_credentials"),
  /** RFC 8693 §2.1: a token presented at the token endpoint for another one. */
  TOKEN_EXCHANGE("urn:ietf:params:oauth:grant-type:token-exchange"),
  /** The device authorization grant (RFC 8628 §3.4): TVs, CLIs, kiosks. */
  DEVICE_CODE("urn:ietf:params:oauth:grant-type:device_code");

  private final String wire;

  GrantType(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<GrantType> fromWire(String value) {
    for (GrantType g : values()) {
      if (g.wire.equals(value)) {
        return Optional.of(g);
      }
    }
    return Optional.empty();
  }
}
