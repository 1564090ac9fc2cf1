package io.grantry.server.audit;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.key.SigningKeyGenerated;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.audit.CheckpointSignatures;
import io.grantry.eventstore.audit.CheckpointSigner;
import io.grantry.eventstore.audit.Checkpointer;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import io.grantry.server.keys.KeyService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's periodic signed checkpoints (GRANTRY_CHECKPOINT_INTERVAL_MS, default one minute, 0
 * to turn off), signed with the active ES256 key; and the glue between the server's JWS classes and
 * the event store's checkpoint signing and verification.
 */
public final class LedgerCheckpoints {
  private static final Logger log = LoggerFactory.getLogger(LedgerCheckpoints.class);
  public static final long DEFAULT_INTERVAL_MS = 60_000;

  private final Vertx vertx;
  private final Checkpointer checkpointer;
  private long timer = -1;

  public LedgerCheckpoints(Vertx vertx, EventStore store, KeyService keys) {
    this.vertx = vertx;
    this.checkpointer = new Checkpointer(store, () -> signer(keys.signer(SigningAlgorithm.ES256)));
  }

  public Checkpointer checkpointer() {
    return checkpointer;
  }

  public void start(long intervalMs) {
    if (intervalMs <= 0) {
      log.info("Signed ledger checkpoints are off (GRANTRY_CHECKPOINT_INTERVAL_MS=0)");
      return;
    }
    timer =
        vertx.setPeriodic(
            intervalMs,
            id ->
                checkpointer
                    .checkpoint()
                    .onSuccess(
                        c ->
                            c.ifPresent(
                                cp ->
                                    log.debug(
                                        "Signed checkpoint at {} over {} events",
                                        cp.position(),
                                        cp.count())))
                    .onFailure(err -> log.warn("A signed checkpoint failed: {}", err.toString())));
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
    jwks.getJsonArray("keys", new JsonArray()).forEach(k -> keys.add((JsonObject) k));
    JwsVerifier v = new JwsVerifier(keys);
    return jws -> v.verify(jws, Checkpoint.TYP).payload();
  }

  /**
   * Trusted keys learned from the ledger itself: every public key the {@code keys} stream ever
   * generated, as its events go by (a key is generated before anything it signs). Convenient, but
   * it trusts the ledger it checks: pin the keys with a JWKS file kept elsewhere for a real audit.
   */
  public static final class FromLedger implements CheckpointSignatures {
    private final Map<String, JsonObject> keys = new LinkedHashMap<>();
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
      }
    }

    public JsonObject jwks() {
      return new JsonObject().put("keys", new JsonArray(new ArrayList<>(keys.values())));
    }

    @Override
    public JsonObject verify(String jws) throws Exception {
      return current.verify(jws);
    }
  }
}
