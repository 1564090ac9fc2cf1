package io.grantry.domain.oauth;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * JWS algorithms (RFC 7518 §3.1, RFC 8037) we accept in what clients sign: client assertions (RFC
 * 7523, OIDC Core §9) and DPoP proofs (RFC 9449). Not {@code none}, ever.
 */
public enum JwsAlgorithm {
  ES256("EC"),
  RS256("RSA"),
  PS256("RSA"),
  /** Ed25519 (RFC 8037 §3.1). */
  EdDSA("OKP"),
  /** HMAC with the client's secret: {@code client_secret_jwt} only. */
  HS256("oct");

  /** What {@code private_key_jwt} assertions and DPoP proofs may be signed with. */
  public static final Set<JwsAlgorithm> ASYMMETRIC = EnumSet.of(ES256, RS256, PS256, EdDSA);

  /**
   * What the FAPI 2.0 Security Profile (§5.4.1) allows: PS256, ES256, EdDSA (RS256 is PKCS #1 v1.5,
   * which it excludes).
   */
  public static final Set<JwsAlgorithm> FAPI2 = EnumSet.of(ES256, PS256, EdDSA);

  private final String keyType;

  JwsAlgorithm(String keyType) {
    this.keyType = keyType;
  }

  /** The JWS {@code alg} value. */
  public String wire() {
    return name();
  }

  /** The JWK {@code kty} of its keys (RFC 7518 §6.1, RFC 8037 §2). */
  public String keyType() {
    return keyType;
  }

  public boolean asymmetric() {
    return ASYMMETRIC.contains(this);
  }

  public static Optional<JwsAlgorithm> fromWire(String value) {
    for (JwsAlgorithm a : values()) {
      if (a.name().equals(value)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }
}
