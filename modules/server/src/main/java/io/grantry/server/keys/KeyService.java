package io.grantry.server.keys;

import io.grantry.domain.Decision;
import io.grantry.domain.key.KeyCommand;
import io.grantry.domain.key.KeyEvent;
import io.grantry.domain.key.KeyEventCodec;
import io.grantry.domain.key.KeyRing;
import io.grantry.domain.key.KeyRingDecider;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.key.SigningKey;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import io.grantry.server.crypto.KeyEncryption;
import io.grantry.server.crypto.SigningKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's signing keys: the key ring folded from the {@code keys} stream, the active signer
 * per algorithm (private key decrypted once with the key-encryption key), and the public JWKS.
 *
 * <p>One per process, shared by the verticles: its snapshot is immutable and swapped atomically, so
 * any event loop can sign. It re-reads the stream every few seconds, so a rotation made by another
 * server instance is picked up without a restart.
 */
public final class KeyService {
  private static final Logger log = LoggerFactory.getLogger(KeyService.class);

  /** How long a retired key stays published when the rotation does not say (if long enough). */
  public static final Duration DEFAULT_OVERLAP = Duration.ofHours(24);

  /**
   * How long after a rotation another instance may still sign with the retired key: it re-reads the
   * key ring every 5 s; the rest is room for clocks that differ.
   */
  static final Duration SIGNING_LAG = Duration.ofMinutes(1);

  private final Vertx vertx;
  private final Aggregate<KeyRing, KeyEvent> keys;
  private final KeyEncryption encryption;
  private final Clock clock;
  private final Duration minimumOverlap;
  private volatile Snapshot snapshot =
      new Snapshot(KeyRing.empty(), Map.of(), new JsonObject().put("keys", new JsonArray()), null);
  private long refreshTimer = -1;

  /** An immutable view: the ring, the active signers, the JWKS document and a verifier for it. */
  public record Snapshot(
      KeyRing ring,
      Map<SigningAlgorithm, JwsSigner> signers,
      JsonObject jwks,
      JwsVerifier verifier) {}

  /** With the default token lifetimes (access and ID tokens: one hour). */
  public KeyService(Vertx vertx, EventStore store, KeyEncryption encryption, Clock clock) {
    this(vertx, store, encryption, clock, Duration.ofHours(1));
  }

  /**
   * @param longestTokenLifetime the longest lifetime of a token the keys sign (access and ID
   *     tokens): a rotation's overlap must cover it
   */
  public KeyService(
      Vertx vertx,
      EventStore store,
      KeyEncryption encryption,
      Clock clock,
      Duration longestTokenLifetime) {
    this.minimumOverlap = longestTokenLifetime.plus(SIGNING_LAG);
    this.vertx = vertx;
    this.keys =
        new Aggregate<>(store, KeyEventCodec.INSTANCE, KeyRing.empty(), KeyRingDecider::evolve);
    this.encryption = encryption;
    this.clock = clock;
  }

  /**
   * Makes sure an ES256 and an RS256 key are active (generating them on first start), then follows
   * the stream.
   */
  public Future<Void> start() {
    return ensureActive(SigningAlgorithm.ES256)
        .compose(v -> ensureActive(SigningAlgorithm.RS256))
        .compose(v -> refresh())
        .onSuccess(v -> refreshTimer = vertx.setPeriodic(5000, id -> refresh()));
  }

  public void stop() {
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
    }
  }

  /**
   * The shortest overlap a rotation accepts: the longest token lifetime plus {@link #SIGNING_LAG}.
   */
  public Duration minimumOverlap() {
    return minimumOverlap;
  }

  /** The overlap of a rotation that names none: {@link #DEFAULT_OVERLAP}, or the minimum. */
  public Duration defaultOverlap() {
    return DEFAULT_OVERLAP.compareTo(minimumOverlap) >= 0 ? DEFAULT_OVERLAP : minimumOverlap;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /**
   * The active signer of {@code alg}; the server refuses to start without one, so this never
   * answers empty after start.
   */
  public JwsSigner signer(SigningAlgorithm alg) {
    JwsSigner s = snapshot.signers().get(alg);
    if (s == null) {
      throw new IllegalStateException("no active " + alg.wire() + " signing key");
    }
    return s;
  }

  public JsonObject jwks() {
    return snapshot.jwks();
  }

  public JwsVerifier verifier() {
    return snapshot.verifier();
  }

  private Future<Void> ensureActive(SigningAlgorithm alg) {
    return keys.load(KeyRingDecider.STREAM_ID)
        .compose(
            loaded ->
                loaded.state().active(alg).isPresent()
                    ? Future.succeededFuture()
                    : rotate(alg, defaultOverlap(), true, Aggregate.Metadata.system("first-start"))
                        .mapEmpty());
  }

  /**
   * Generates a new key of {@code alg} and makes it the active one; the previous active key stays
   * published for {@code overlap}, which must be at least {@link #minimumOverlap()} (else the
   * future fails with IllegalArgumentException naming the minimum). With {@code onlyIfMissing},
   * does nothing when another instance activated a key of that algorithm first.
   */
  public Future<SigningKey> rotate(
      SigningAlgorithm alg, Duration overlap, boolean onlyIfMissing, Aggregate.Metadata who) {
    return vertx
        .executeBlocking(
            () -> {
              SigningKeys.GeneratedKey k = SigningKeys.generate(alg);
              return new KeyCommand.NewSigningKey(
                  k.kid(), alg, k.publicJwk(), encryption.encrypt(k.kid(), k.pkcs8()));
            },
            false)
        .compose(
            newKey ->
                keys.execute(
                        KeyRingDecider.STREAM_ID,
                        ring ->
                            onlyIfMissing && ring.active(alg).isPresent()
                                ? Decision.unchanged()
                                : KeyRingDecider.decide(
                                    ring,
                                    new KeyCommand.Rotate(newKey, overlap, minimumOverlap),
                                    clock.instant()),
                        who)
                    .compose(
                        outcome -> {
                          if (!outcome.accepted()) {
                            return Future.failedFuture(
                                new IllegalArgumentException(outcome.error().message()));
                          }
                          if (!outcome.events().isEmpty()) {
                            log.info("Signing key {} ({}) is now active", newKey.kid(), alg.wire());
                          }
                          return refresh().map(v -> outcome.state().active(alg).orElseThrow());
                        }));
  }

  /** Re-reads the key ring and rebuilds the signers and the JWKS (decrypting only new keys). */
  public Future<Void> refresh() {
    return keys.load(KeyRingDecider.STREAM_ID)
        .compose(loaded -> vertx.executeBlocking(() -> build(loaded.state()), false))
        .map(
            s -> {
              snapshot = s;
              return null;
            });
  }

  private Snapshot build(KeyRing ring) {
    Map<SigningAlgorithm, JwsSigner> signers = new EnumMap<>(SigningAlgorithm.class);
    for (SigningAlgorithm alg : SigningAlgorithm.values()) {
      Optional<SigningKey> active = ring.active(alg);
      if (active.isEmpty()) {
        continue;
      }
      SigningKey k = active.get();
      JwsSigner existing = snapshot.signers().get(alg);
      if (existing != null && existing.kid().equals(k.kid())) {
        signers.put(alg, existing);
      } else {
        byte[] pkcs8 = encryption.decrypt(k.kid(), k.encryptedPrivateKey());
        signers.put(alg, new JwsSigner(k.kid(), alg, SigningKeys.privateKey(alg, pkcs8)));
      }
    }
    List<JsonObject> published =
        ring.published(clock.instant()).stream().map(SigningKey::publicJwk).toList();
    JsonArray arr = new JsonArray();
    published.forEach(arr::add);
    // The same published keys keep the same verifier (and the verifications it has set up).
    JwsVerifier verifier =
        snapshot.verifier() != null && arr.equals(snapshot.jwks().getJsonArray("keys"))
            ? snapshot.verifier()
            : new JwsVerifier(published);
    return new Snapshot(ring, Map.copyOf(signers), new JsonObject().put("keys", arr), verifier);
  }
}
