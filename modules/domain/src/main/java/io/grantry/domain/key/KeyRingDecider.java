package io.grantry.domain.key;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.FieldRules;
import io.grantry.domain.key.KeyCommand.NewSigningKey;
import io.grantry.domain.key.KeyCommand.Retire;
import io.grantry.domain.key.KeyCommand.Rotate;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The key ring's pure {@link #decide} and {@link #evolve}. A rotation is three events appended
 * together: the new key generated, the new key activated, the previous active key of the same
 * algorithm retired but still published for the overlap.
 */
public final class KeyRingDecider {
  /** The one stream holding every key event. */
  public static final String STREAM_ID = "keys";

  static final String KIND = "signing key";
  public static final String USE_SIG = "sig";

  /** Longest time a retired key may stay published. */
  public static final Duration MAX_OVERLAP = Duration.ofDays(90);

  /** JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
  private static final Set<String> PRIVATE_MEMBERS =
      Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

  private KeyRingDecider() {}

  public static Decision<KeyEvent> decide(KeyRing ring, KeyCommand command, Instant now) {
    Objects.requireNonNull(ring, "ring");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(now, "now");
    if (command instanceof Rotate c) {
      return rotate(ring, c, now);
    }
    return retire(ring, (Retire) command, now);
  }

  private static Decision<KeyEvent> rotate(KeyRing ring, Rotate c, Instant now) {
    NewSigningKey key = c.key();
    Optional<ValidationError> problem = problemWith(key).or(() -> overlapProblem(c.overlap()));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (ring.key(key.kid()).isPresent()) {
      return Decision.reject(new DomainError.AlreadyExists(KIND, key.kid()));
    }
    // An overlap shorter than the life of the tokens the retiring key signed would leave tokens
    // that are unexpired but unverifiable (gone from the JWKS) and inactive at introspection. We
    // refuse it rather than quietly stretch it to the minimum: the overlap is a promise to resource
    // servers about how long the key may be trusted, and the ledger should record the one the
    // operator asked for; the refusal names the minimum, so the operator can shorten the token
    // lifetimes first or ask for enough. (Taking a compromised key out of the JWKS at once is
    // retiring it, not rotating.)
    if (ring.active(key.alg()).isPresent() && c.overlap().compareTo(c.minimumOverlap()) < 0) {
      return Decision.reject(
          new ValidationError(
              "overlap",
              "overlap must be at least "
                  + c.minimumOverlap().toSeconds()
                  + " s: the longest lifetime of a token the retiring key signed, and a minute for"
                  + " other instances to stop signing with it; a shorter one would leave unexpired"
                  + " tokens unverifiable"));
    }
    List<KeyEvent> events = new ArrayList<>(3);
    events.add(
        new SigningKeyGenerated(
            key.kid(), key.alg(), USE_SIG, key.publicJwk(), key.encryptedPrivateKey(), now));
    events.add(new SigningKeyActivated(key.kid(), now));
    ring.active(key.alg())
        .ifPresent(
            previous ->
                events.add(new SigningKeyRetired(previous.kid(), now, now.plus(c.overlap()))));
    return Decision.accept(events);
  }

  private static Decision<KeyEvent> retire(KeyRing ring, Retire c, Instant now) {
    Optional<ValidationError> problem = overlapProblem(c.overlap());
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    Optional<SigningKey> found = ring.key(c.kid());
    if (found.isEmpty()) {
      return Decision.reject(new DomainError.NotFound(KIND, c.kid()));
    }
    SigningKey key = found.get();
    if (key.status() == SigningKey.Status.ACTIVE) {
      return Decision.reject(
          new ValidationError(
              "kid",
              "key '"
                  + key.kid()
                  + "' is the active "
                  + key.alg()
                  + " key; rotate to a new key instead of retiring it"));
    }
    Instant retireAfter = now.plus(c.overlap());
    if (key.retireAfter().isPresent() && !retireAfter.isBefore(key.retireAfter().get())) {
      return Decision.unchanged();
    }
    return Decision.accept(new SigningKeyRetired(key.kid(), now, retireAfter));
  }

  /**
   * Why {@code key} cannot join the ring: a malformed kid, a JWK not matching its algorithm, or
   * private material outside the envelope.
   */
  public static Optional<ValidationError> problemWith(NewSigningKey key) {
    Optional<ValidationError> kid = FieldRules.identifier("kid", key.kid(), 128);
    if (kid.isPresent()) {
      return kid;
    }
    JsonObject jwk = key.publicJwk();
    for (String member : PRIVATE_MEMBERS) {
      if (jwk.containsKey(member)) {
        return error(
            "public_jwk", "public_jwk must not contain the private member '" + member + "'");
      }
    }
    if (!key.alg().keyType().equals(jwk.getValue("kty"))) {
      return error(
          "public_jwk", "public_jwk must have kty '" + key.alg().keyType() + "' for " + key.alg());
    }
    if (key.alg() == SigningAlgorithm.ES256
        && !("P-256".equals(jwk.getValue("crv"))
            && jwk.getValue("x") instanceof String
            && jwk.getValue("y") instanceof String)) {
      return error("public_jwk", "an ES256 public_jwk needs crv 'P-256', x and y");
    }
    if (key.alg() == SigningAlgorithm.RS256
        && !(jwk.getValue("n") instanceof String && jwk.getValue("e") instanceof String)) {
      return error("public_jwk", "an RS256 public_jwk needs n and e");
    }
    if (jwk.containsKey("kid") && !key.kid().equals(jwk.getValue("kid"))) {
      return error("public_jwk", "public_jwk kid differs from the key's kid '" + key.kid() + "'");
    }
    if (jwk.containsKey("alg") && !key.alg().wire().equals(jwk.getValue("alg"))) {
      return error("public_jwk", "public_jwk alg differs from " + key.alg());
    }
    if (jwk.containsKey("use") && !USE_SIG.equals(jwk.getValue("use"))) {
      return error("public_jwk", "public_jwk use must be 'sig'");
    }
    String sealed = key.encryptedPrivateKey();
    if (!sealed.startsWith("v1.")
        || sealed.split("\\.", -1).length != 3
        || sealed.length() > 16_384) {
      // Never echoed: if this is a raw private key, it must not reach a log line.
      return error(
          "encrypted_private_key",
          "encrypted_private_key must be a key-encryption envelope 'v1.<nonce>.<ciphertext>'");
    }
    return Optional.empty();
  }

  private static Optional<ValidationError> overlapProblem(Duration overlap) {
    if (overlap.isNegative()) {
      return error("overlap", "overlap must not be negative");
    }
    if (overlap.compareTo(MAX_OVERLAP) > 0) {
      return error("overlap", "overlap must be at most " + MAX_OVERLAP.toDays() + " days");
    }
    return Optional.empty();
  }

  private static Optional<ValidationError> error(String field, String message) {
    return Optional.of(new ValidationError(field, message));
  }

  /**
   * The ring after {@code event}; an event about an unknown or already generated key means a
   * corrupt stream.
   */
  public static KeyRing evolve(KeyRing ring, KeyEvent event) {
    Objects.requireNonNull(ring, "ring");
    Objects.requireNonNull(event, "event");
    if (event instanceof SigningKeyGenerated e) {
      if (ring.key(e.kid()).isPresent()) {
        throw corrupt(event, "the key already exists");
      }
      return ring.with(
          new SigningKey(
              e.kid(),
              e.alg(),
              e.use(),
              e.publicJwk(),
              e.encryptedPrivateKey(),
              e.createdAt(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty()));
    }
    SigningKey key = ring.key(event.kid()).orElseThrow(() -> corrupt(event, "no such key"));
    if (event instanceof SigningKeyActivated e) {
      if (key.status() != SigningKey.Status.GENERATED) {
        throw corrupt(event, "the key is " + key.status());
      }
      return ring.with(key.activated(e.activatedAt()));
    }
    if (event instanceof SigningKeyRetired e) {
      return ring.with(key.retired(e.retiredAt(), e.retireAfter()));
    }
    throw new IllegalArgumentException("unhandled key event " + event.type());
  }

  public static KeyRing replay(Iterable<? extends KeyEvent> events) {
    KeyRing ring = KeyRing.empty();
    for (KeyEvent event : events) {
      ring = evolve(ring, event);
    }
    return ring;
  }

  private static IllegalStateException corrupt(KeyEvent event, String why) {
    return new IllegalStateException(
        "corrupt key stream: " + event.type() + " for '" + event.kid() + "': " + why);
  }
}
