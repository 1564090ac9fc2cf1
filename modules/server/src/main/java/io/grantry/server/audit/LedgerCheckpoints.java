package io.grantry.server.audit;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.key.SigningKeyGenerated;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.audit.CheckpointSignatures;
import io.grantry.eventstore.audit.CheckpointSigner;
import io.grantry.eventstore.audit.Checkpointer;
import io.grantry.eventstore.audit.LedgerTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.server.config.LedgerSettings;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import io.grantry.server.crypto.KeyEncryption;
import io.grantry.server.keys.KeyService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's periodic signed checkpoints (GRANTRY_CHECKPOINT_INTERVAL_MS, default one minute, 0
 * to turn off), signed with the active ES256 key, each with the Merkle tree over the ledger and its
 * tree head signed as a note with the ledger's Ed25519 note key ({@link LedgerNoteKeys}); the
 * publication of each new tree head ({@link LedgerPublication}); and the glue between the server's
 * JWS classes and the event store's checkpoint signing and verification.
 *
 * <p>All of it runs on a timer, reading what is committed: nothing here is on the token path.
 */
public final class LedgerCheckpoints {
  private static final Logger log = LoggerFactory.getLogger(LedgerCheckpoints.class);

  private final Vertx vertx;
  private final Checkpointer checkpointer;
  private final LedgerNoteKeys noteKeys;
  private final LedgerPublication publication;
  private final LedgerSettings settings;
  private long timer = -1;
  private final AtomicBoolean backfilling = new AtomicBoolean();

  /** Tiles whose leaf hashes one back-filling step stores: 8,192 events read, 256 KB written. */
  static final int BACKFILL_TILES = 32;

  public LedgerCheckpoints(
      Vertx vertx,
      EventStore store,
      KeyService keys,
      KeyEncryption encryption,
      LedgerSettings settings,
      Clock clock) {
    this.vertx = vertx;
    this.settings = settings;
    this.noteKeys = new LedgerNoteKeys(vertx, store, encryption, settings.origin(), clock);
    this.checkpointer =
        new Checkpointer(
            store, () -> signer(keys.signer(SigningAlgorithm.ES256)), noteKeys::signer, clock);
    this.publication = new LedgerPublication(vertx, checkpointer.tree(), settings);
  }

  public Checkpointer checkpointer() {
    return checkpointer;
  }

  /** The note key, loaded (or generated) if it is not yet. */
  public Future<NoteKey> noteKey() {
    NoteKey k = noteKeys.signer();
    return k != null ? Future.succeededFuture(k) : noteKeys.start();
  }

  /**
   * Writes a checkpoint now if there is anything new (see {@link Checkpointer#checkpoint()}) and
   * publishes its tree head; what the timer does.
   */
  public Future<Optional<Checkpoint>> checkpoint() {
    return noteKey()
        .compose(k -> checkpointer.checkpoint())
        .compose(
            c ->
                c.isEmpty() ? Future.succeededFuture(c) : publication.publish(c.get()).map(v -> c));
  }

  public void start() {
    noteKey()
        .onFailure(
            err ->
                log.error(
                    "The ledger's note key could not be loaded (checkpoints retry it): {}",
                    err.toString()));
    if (settings.checkpointInterval().isZero()) {
      log.info("Signed ledger checkpoints are off (GRANTRY_CHECKPOINT_INTERVAL_MS=0)");
      return;
    }
    timer =
        vertx.setPeriodic(
            settings.checkpointInterval().toMillis(),
            id ->
                checkpoint()
                    .onSuccess(
                        c ->
                            c.ifPresent(
                                cp ->
                                    log.debug(
                                        "Signed checkpoint at {} over {} events",
                                        cp.position(),
                                        cp.count())))
                    .onFailure(err -> log.warn("A signed checkpoint failed: {}", err.toString()))
                    .onComplete(ar -> backfillTiles()));
  }

  /**
   * Stores the leaf hashes of the tree's complete tiles that have none (after an upgrade: every
   * tile so far; later: the tile a restart fell in), a bounded step at a time until none is left;
   * at most one such loop runs. Proofs meanwhile read those tiles from the events.
   */
  void backfillTiles() {
    if (backfilling.compareAndSet(false, true)) {
      backfillStep(0, System.nanoTime());
    }
  }

  private void backfillStep(long done, long started) {
    checkpointer
        .backfillTiles(BACKFILL_TILES)
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result() > 0) {
                backfillStep(done + ar.result(), started);
                return;
              }
              if (ar.failed()) {
                log.warn(
                    "Storing the leaf hashes of the ledger's Merkle tree tiles failed (retried after"
                        + " the next checkpoint): {}",
                    ar.cause().toString());
              }
              if (done > 0) {
                log.info(
                    "Stored the leaf hashes of {} tiles of the ledger's Merkle tree ({} leaves) in {} ms",
                    done,
                    done * LedgerTree.TILE,
                    (System.nanoTime() - started) / 1_000_000);
              }
              backfilling.set(false);
            });
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** A checkpoint signer backed by a JWS signer (ES256 in the server). */
  public static CheckpointSigner signer(JwsSigner jws) {
    return new CheckpointSigner() {
      @Override
      public String kid() {
        return jws.kid();
      }

      @Override
      public String sign(JsonObject claims) {
        return jws.sign(claims, Checkpoint.TYP);
      }
    };
  }

  /** Checks checkpoint signatures against a fixed JWKS ({@code {"keys": [...]}}). */
  public static CheckpointSignatures verifier(JsonObject jwks) {
    List<JsonObject> keys = new ArrayList<>();
    jwks.getJsonArray("keys", new JsonArray())
        .forEach(
            k -> {
              // The JWKS of an export also lists the note keys (OKP): they sign no JWS.
              if (k instanceof JsonObject j && !"OKP".equals(j.getString("kty"))) {
                keys.add(j);
              }
            });
    JwsVerifier v = new JwsVerifier(keys);
    return jws -> v.verify(jws, Checkpoint.TYP).payload();
  }

  /**
   * Trusted keys learned from the ledger itself: every public key the {@code keys} stream ever
   * generated, and every note key of the {@value LedgerNoteKeys#STREAM} stream, as their events go
   * by (a key is generated before anything it signs). Convenient, but it trusts the ledger it
   * checks: pin the keys with a JWKS file kept elsewhere for a real audit.
   */
  public static final class FromLedger implements CheckpointSignatures {
    private final Map<String, JsonObject> keys = new LinkedHashMap<>();
    private final List<NoteKey> noteKeys = new ArrayList<>();
    private final List<JsonObject> noteJwks = new ArrayList<>();
    private CheckpointSignatures current = verifier(new JsonObject().put("keys", new JsonArray()));

    /**
     * Learns the key if {@code e} generated one; call for every event before the verifier sees it.
     */
    public void observe(RecordedEvent e) {
      if ("keys".equals(e.streamId()) && SigningKeyGenerated.TYPE.equals(e.type())) {
        JsonObject jwk = e.payload().getJsonObject("public_jwk");
        if (jwk != null
            && jwk.getString("kid") != null
            && keys.put(jwk.getString("kid"), jwk) == null) {
          current = verifier(jwks());
        }
      } else if (LedgerNoteKeys.STREAM.equals(e.streamId())) {
        try {
          noteKeys.addAll(LedgerNoteKeys.verifiers(List.of(e)));
          noteJwks.addAll(
              LedgerNoteKeys.jwks(List.of(e)).stream().map(o -> (JsonObject) o).toList());
        } catch (IllegalArgumentException ex) {
          // a malformed key is trusted for nothing
        }
      }
    }

    /** The token signing keys and the note keys learned so far. */
    public JsonObject jwks() {
      JsonArray all = new JsonArray(new ArrayList<>(keys.values()));
      noteJwks.forEach(all::add);
      return new JsonObject().put("keys", all);
    }

    /** The note keys learned so far (a live view). */
    public List<NoteKey> noteKeys() {
      return noteKeys;
    }

    @Override
    public JsonObject verify(String jws) throws Exception {
      return current.verify(jws);
    }
  }

  /** The note verifier keys listed in a JWKS (the {@code note_verifier_key} of its OKP keys). */
  public static List<NoteKey> noteKeys(JsonObject jwks) {
    List<NoteKey> out = new ArrayList<>();
    jwks.getJsonArray("keys", new JsonArray())
        .forEach(
            k -> {
              if (k instanceof JsonObject j && j.getString("note_verifier_key") != null) {
                out.add(NoteKey.verifier(j.getString("note_verifier_key")));
              }
            });
    return out;
  }
}
