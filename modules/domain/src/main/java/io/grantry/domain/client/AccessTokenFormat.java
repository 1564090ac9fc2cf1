package io.grantry.domain.client;

import java.util.Optional;

/**
 * What the client's access tokens look like: an RFC 9068 JWT, or an opaque handle answered by
 * introspection.
 */
public enum AccessTokenFormat {
  JWT("jwt"),
  OPAQUE("opaque");

  private final String wire;

  AccessTokenFormat(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<AccessTokenFormat> fromWire(String value) {
    for (AccessTokenFormat f : values()) {
      if (f.wire.equals(value)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }
}
