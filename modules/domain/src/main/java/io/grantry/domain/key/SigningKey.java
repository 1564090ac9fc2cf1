package io.grantry.domain.key;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** One key of the ring and where it is in its life: generated, active, retired. */
public record SigningKey(
    String kid,
    SigningAlgorithm alg,
    String use,
    JsonObject publicJwk,
    String encryptedPrivateKey,
    Instant createdAt,
    Optional<Instant> activatedAt,
    Optional<Instant> retiredAt,
    Optional<Instant> retireAfter) {

  public enum Status {
    GENERATED,
    ACTIVE,
    RETIRED
  }

  public SigningKey {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(alg, "alg");
    Objects.requireNonNull(use, "use");
    publicJwk = Objects.requireNonNull(publicJwk, "publicJwk").copy();
    Objects.requireNonNull(encryptedPrivateKey, "encryptedPrivateKey");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(activatedAt, "activatedAt");
    Objects.requireNonNull(retiredAt, "retiredAt");
    Objects.requireNonNull(retireAfter, "retireAfter");
  }

  @Override
  public JsonObject publicJwk() {
    return publicJwk.copy();
  }

  public Status status() {
    if (retiredAt.isPresent()) {
      return Status.RETIRED;
    }
    return activatedAt.isPresent() ? Status.ACTIVE : Status.GENERATED;
  }

  /** True while the public key belongs in the JWKS: until {@code retireAfter} (exclusive). */
  public boolean isPublishedAt(Instant now) {
    return retireAfter.map(now::isBefore).orElse(true);
  }

  SigningKey activated(Instant at) {
    return new SigningKey(
        kid,
        alg,
        use,
        publicJwk,
        encryptedPrivateKey,
        createdAt,
        Optional.of(at),
        retiredAt,
        retireAfter);
  }

  SigningKey retired(Instant at, Instant after) {
    return new SigningKey(
        kid,
        alg,
        use,
        publicJwk,
        encryptedPrivateKey,
        createdAt,
        activatedAt,
        Optional.of(retiredAt.orElse(at)),
        Optional.of(after));
  }
}
