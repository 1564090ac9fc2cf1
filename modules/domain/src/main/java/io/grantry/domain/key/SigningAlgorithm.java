package io.grantry.domain.key;

import java.util.Optional;

/**
 * JWS algorithms we sign with (RFC 7518 §3.1). ES256 is the default; RS256 is what OIDC Core §15.1
 * requires every provider to support.
 */
public enum SigningAlgorithm {
  ES256("EC"),
  RS256("RSA");

  private final String keyType;

  SigningAlgorithm(String keyType) {
    this.keyType = keyType;
  }

  /** The JWS {@code alg} value, e.g. {@code ES256}. */
  public String wire() {
    return name();
  }

  /** The JWK {@code kty} of keys for this algorithm (RFC 7518 §6.1). */
  public String keyType() {
    return keyType;
  }

  public static Optional<SigningAlgorithm> fromWire(String value) {
    for (SigningAlgorithm alg : values()) {
      if (alg.name().equals(value)) {
        return Optional.of(alg);
      }
    }
    return Optional.empty();
  }
}
