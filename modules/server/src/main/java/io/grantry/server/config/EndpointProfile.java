package io.grantry.server.config;

import java.util.Locale;
import java.util.Optional;

/**
 * Another authorization server whose endpoint paths Grantry can serve too, for clients, Postman
 * collections and mobile apps that have those paths written in (GRANTRY_ENDPOINT_ALIASES). The
 * paths each profile adds are listed in {@code io.grantry.server.http.EndpointPaths}.
 */
public enum EndpointProfile {
  /** Duende IdentityServer: {@code /connect/authorize}, {@code /connect/token}, … */
  DUENDE,
  /** Okta: {@code /v1/authorize}, {@code /v1/token}, … */
  OKTA;

  /** The name used in the settings: {@code duende}, {@code okta}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The profile named {@code name} (any case), or empty. */
  public static Optional<EndpointProfile> fromWire(String name) {
    for (EndpointProfile p : values()) {
      if (p.wire().equalsIgnoreCase(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
