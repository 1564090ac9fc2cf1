package io.grantry.domain.key;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;

/**
 * A signing key pair was made. From now on its public half is published in the JWKS.
 *
 * @param kid key id, the RFC 7638 thumbprint of {@code publicJwk}
 * @param use JWK {@code use}; always {@code sig}
 * @param publicJwk the public JWK (RFC 7517); never a private member
 * @param encryptedPrivateKey the PKCS#8 private key sealed with the key-encryption key ({@code
 *     v1.<nonce>.<ciphertext>}, base64url)
 */
public record SigningKeyGenerated(
    String kid,
    SigningAlgorithm alg,
    String use,
    JsonObject publicJwk,
    String encryptedPrivateKey,
    Instant createdAt)
    implements KeyEvent {
  public static final String TYPE = "signing_key.generated.v1";

  public SigningKeyGenerated {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(alg, "alg");
    Objects.requireNonNull(use, "use");
    publicJwk = Objects.requireNonNull(publicJwk, "publicJwk").copy();
    Objects.requireNonNull(encryptedPrivateKey, "encryptedPrivateKey");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** A copy: the record stays immutable although JsonObject is not. */
  @Override
  public JsonObject publicJwk() {
    return publicJwk.copy();
  }

  @Override
  public String type() {
    return TYPE;
  }
}
