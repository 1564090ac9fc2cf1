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
   * signing now and stays published for {@code overlap}, which must be at least {@code
   * minimumOverlap} (the longest lifetime of a token the key signs, with a margin: see {@link
   * KeyRingDecider}), so that every token it signed can still be verified. Also how the first key
   * is made (nothing is retired then, and the minimum does not apply).
   */
  record Rotate(NewSigningKey key, Duration overlap, Duration minimumOverlap)
      implements KeyCommand {
    public Rotate {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(overlap, "overlap");
      Objects.requireNonNull(minimumOverlap, "minimumOverlap");
    }

    /** A rotation whose caller signs nothing that outlives {@code overlap} (no minimum). */
    public Rotate(NewSigningKey key, Duration overlap) {
      this(key, overlap, Duration.ZERO);
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
