package io.grantry.domain.client;

import java.util.Optional;

/** RFC 6749 §2.1: whether the client can keep a secret. */
public enum ClientType {
  CONFIDENTIAL("confidential"),
  PUBLIC("public");

  private final String wire;

  ClientType(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<ClientType> fromWire(String value) {
    for (ClientType t : values()) {
      if (t.wire.equals(value)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
