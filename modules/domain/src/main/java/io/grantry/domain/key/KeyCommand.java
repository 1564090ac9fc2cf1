package io.grantry.domain.key;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Objects;

/**
 * What an operator (or the scheduler) asks of the key ring. Keys are made outside and passed in.
 */
public sealed interface KeyCommand permits KeyCommand.Rotate, KeyCommand.Retire {

  /**
   * A freshly generated key pair, its private half already encrypted.
   *
   * @param publicJwk public JWK whose {@code kid}, if present, equals {@code kid}
   * @param encryptedPrivateKey {@code v1.<nonce>.<ciphertext>} from the key encryption
   */
  record NewSigningKey(
      String kid, SigningAlgorithm alg, JsonObject publicJwk, String encryptedPrivateKey) {
    public NewSigningKey {
      Objects.requireNonNull(kid, "kid");
      Objects.requireNonNull(alg, "alg");
      publicJwk = Objects.requireNonNull(publicJwk, "publicJwk").copy();
      Objects.requireNonNull(encryptedPrivateKey, "encryptedPrivateKey");
    }

    @Override
    public JsonObject publicJwk() {
      return publicJwk.copy();
    }
  }

  /**
   * Adds {@code key} and makes it the active key of its algorithm; the key it replaces stops
   * signing now and stays published for {@code overlap} (at least the longest token lifetime, so
   * every token it signed can still be verified). Also how the first key is made.
   */
  record Rotate(NewSigningKey key, Duration overlap) implements KeyCommand {
    public Rotate {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(overlap, "overlap");
    }
  }

  /**
   * Retires a key that is not active, keeping it published for {@code overlap}; with zero overlap
   * it disappears from the JWKS at once (a compromised key). Retiring an already retired key can
   * only bring its removal forward.
   */
  record Retire(String kid, Duration overlap) implements KeyCommand {
    public Retire {
      Objects.requireNonNull(kid, "kid");
      Objects.requireNonNull(overlap, "overlap");
    }
  }
}
