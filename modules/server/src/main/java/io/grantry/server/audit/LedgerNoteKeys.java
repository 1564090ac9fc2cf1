package io.grantry.server.audit;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.server.crypto.KeyEncryption;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ed25519 key that signs the ledger's tree heads as notes. Kept like the token signing keys: in
 * the ledger, on the {@value #STREAM} stream ({@value #TYPE}: name, verifier key, public JWK, the
 * private key sealed with the key-encryption key), generated on the first start whose origin has no
 * key yet, and shared by every server of the deployment. Its verifier key is published at {@code
 * /ledger/key} and in the JWKS of an export.
 */
public final class LedgerNoteKeys {
  private static final Logger log = LoggerFactory.getLogger(LedgerNoteKeys.class);
  public static final String STREAM = "note-keys";
  public static final String TYPE = "ledger.note_key_generated.v1";

  private final Vertx vertx;
  private final EventStore store;
  private final KeyEncryption encryption;
  private final String origin;
  private final Clock clock;
  private volatile NoteKey signer;

  public LedgerNoteKeys(
      Vertx vertx, EventStore store, KeyEncryption encryption, String origin, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.encryption = encryption;
    this.origin = origin;
    this.clock = clock;
  }

  /** The signing key of the origin, null until {@link #start()} completed. */
  public NoteKey signer() {
    return signer;
  }

  /** Loads the origin's key, generating it when the ledger has none. */
  public Future<NoteKey> start() {
    return store
        .readStream(STREAM)
        .compose(
            events -> {
              for (int i = events.size() - 1; i >= 0; i--) {
                JsonObject p = events.get(i).payload();
                if (TYPE.equals(events.get(i).type()) && origin.equals(p.getString("name"))) {
                  return vertx.executeBlocking(
                      () -> {
                        String vkey = p.getString("verifier_key");
                        return NoteKey.signing(
                            vkey,
                            encryption.decrypt(aad(vkey), p.getString("encrypted_private_key")));
                      },
                      false);
                }
              }
              long version = events.isEmpty() ? 0 : events.get(events.size() - 1).version();
              return generate(version);
            })
        .onSuccess(k -> signer = k);
  }

  private Future<NoteKey> generate(long version) {
    return vertx
        .executeBlocking(
            () -> {
              NoteKey k = NoteKey.generate(origin, NoteKey.ED25519);
              JsonObject payload =
                  new JsonObject()
                      .put("name", origin)
                      .put("key_id", k.keyIdHex())
                      .put("verifier_key", k.verifierKey())
                      .put("public_jwk", k.publicJwk())
                      .put(
                          "encrypted_private_key",
                          encryption.encrypt(aad(k.verifierKey()), k.pkcs8()))
                      .put("created_at", clock.instant().toString());
              return new Object[] {k, payload};
            },
            false)
        .compose(
            made ->
                store
                    .append(
                        STREAM,
                        version == 0 ? ExpectedVersion.NO_STREAM : ExpectedVersion.exactly(version),
                        NewEvent.of(
                            TYPE,
                            (JsonObject) made[1],
                            new JsonObject().put("actor", "system:first-start")))
                    .map(
                        r -> {
                          NoteKey k = (NoteKey) made[0];
                          log.info("Tree heads are signed with the note key {}", k.verifierKey());
                          return k;
                        })
                    .recover(
                        err ->
                            err instanceof WrongExpectedVersionException
                                // another server generated one first: use its
                                ? start()
                                : Future.failedFuture(err)));
  }

  /** The associated data the private key is sealed under: the key it belongs to. */
  private static String aad(String verifierKey) {
    return "note:" + verifierKey;
  }

  /** Every note key the stream ever generated (verifier keys only): what the ledger trusts. */
  public static List<NoteKey> verifiers(List<RecordedEvent> events) {
    List<NoteKey> out = new ArrayList<>();
    for (RecordedEvent e : events) {
      if (TYPE.equals(e.type()) && e.payload().getString("verifier_key") != null) {
        out.add(NoteKey.verifier(e.payload().getString("verifier_key")));
      }
    }
    return out;
  }

  /** Their public JWKs (OKP, Ed25519), for an export's JWKS. */
  public static JsonArray jwks(List<RecordedEvent> events) {
    JsonArray out = new JsonArray();
    for (RecordedEvent e : events) {
      if (TYPE.equals(e.type()) && e.payload().getJsonObject("public_jwk") != null) {
        out.add(e.payload().getJsonObject("public_jwk"));
      }
    }
    return out;
  }
}
