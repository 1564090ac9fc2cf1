package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.key.SigningKeyGenerated;
import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.audit.Checkpointer;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.audit.LedgerCheckpoints;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.SigningKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tamper evidence end to end: a ledger with signed checkpoints in a real database, tampered with as
 * a superuser (the append-only trigger is bypassed with session_replication_role = replica), then
 * {@code grantry audit verify} over the database and over an export file.
 */
class AuditCliTest {
  @TempDir Path dir;

  TestDatabase db;
  Vertx vertx;
  Pool pool;
  EventStore store;
  SigningKeys.GeneratedKey key;
  Path jwksFile;

  /** Commit-order positions of interest, filled by {@link #seed()}. */
  RecordedEvent cp1Event;

  RecordedEvent firstOfPhase2;
  RecordedEvent secondOfPhase2;

  @BeforeEach
  void seed() throws Exception {
    db = TestDatabase.fresh();
    CliSupport.env = CliTest.databaseEnv(db);
    vertx = Vertx.vertx();
    pool = PgBuilder.pool().connectingTo(db.connectOptions()).using(vertx).build();
    store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    key = SigningKeys.generate(SigningAlgorithm.ES256);
    jwksFile = dir.resolve("jwks.json");
    Files.writeString(
        jwksFile, new JsonObject().put("keys", new JsonArray().add(key.publicJwk())).encode());
    // The key is published in the ledger the way the server publishes its keys.
    await(
        store.append(
            "keys",
            ExpectedVersion.ANY,
            NewEvent.of(
                SigningKeyGenerated.TYPE,
                new JsonObject()
                    .put("kid", key.kid())
                    .put("alg", "ES256")
                    .put("use", "sig")
                    .put("public_jwk", key.publicJwk())
                    .put("encrypted_private_key", "not-needed-here")
                    .put("created_at", Instant.now().toString()))));
    // Phase 1: stream d (one event), streams a, b, c interleaved; c and d get no more events.
    append("d", 1);
    for (int i = 1; i <= 3; i++) {
      append("a", i);
      append("b", i);
      append("c", i);
    }
    checkpoint(key);
    cp1Event = last();
    // Phase 2: a then b (a pair of different streams, next to each other), then more.
    firstOfPhase2 = append("a", 4);
    secondOfPhase2 = append("b", 4);
    append("a", 5);
    checkpoint(key);
    // Phase 3.
    append("b", 5);
    append("a", 6);
    checkpoint(key);
  }

  @AfterEach
  void close() throws Exception {
    CliSupport.env = System.getenv();
    await(vertx.close());
  }

  // ---------------------------------------------------------------- clean

  @Test
  void aCleanLedgerVerifiesWithThePinnedKeysAndWithTheKeysInTheLedger() {
    CliTest.Run pinned = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
    assertThat(pinned.code()).as(pinned.err()).isZero();
    assertThat(pinned.out())
        .contains("OK: 19 events in 6 streams, 3 signed checkpoints verified")
        .contains("the last 1 events are not covered");

    CliTest.Run learned = CliTest.run("audit", "verify");
    assertThat(learned.code()).as(learned.err()).isZero();
    assertThat(learned.out()).contains("3 signed checkpoints verified");
  }

  @Test
  void aCheckpointWithNothingNewIsNotWritten() throws Exception {
    long before = await(store.readStream(Checkpoint.STREAM)).size();
    assertThat(await(checkpointer(key).checkpoint())).isEmpty();
    assertThat(await(store.readStream(Checkpoint.STREAM))).hasSize((int) before);
  }

  @Test
  void notOnATerminalProgressIsPlainLinesWithEventsPerSecond() {
    Progress.plainEveryNanos = 0;
    try {
      CliTest.Run r = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.err())
          .containsPattern("(?m)^verified 19 events in [0-9.]+ s \\([0-9,]+ events/s\\)$")
          .doesNotContain("\r");
    } finally {
      Progress.plainEveryNanos = 5_000_000_000L;
    }
  }

  /**
   * Every stream's head is kept to the end of a verification: a heap too small for the ledger's
   * streams is refused before the first event, naming the heap to use, instead of an
   * OutOfMemoryError part of the way (seen: at 16% of a 5M-event ledger in the deployed -Xmx192m).
   * A JVM of its own, since the check reads this JVM's maximum heap.
   */
  @Test
  void aHeapTooSmallForTheLedgerIsRefusedUpFrontNamingTheHeapToUse() throws Exception {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx48m",
            "-cp",
            cp,
            Grantry.class.getName(),
            "audit",
            "verify");
    pb.environment().keySet().removeIf(k -> k.startsWith("GRANTRY_"));
    pb.environment().putAll(CliSupport.env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isEqualTo(1);
    assertThat(output)
        .containsPattern("needs about [0-9]+ MB of heap \\(its 6 streams' heads")
        .containsPattern("run it as java -Xmx[0-9]+m -jar grantry.jar audit verify")
        .doesNotContain("OutOfMemoryError")
        .doesNotContain("\tat ");
  }

  // ---------------------------------------------------------------- four kinds of tampering

  @Test
  void anEditedPayloadIsNamed() throws Exception {
    RecordedEvent b2 = await(store.readStream("b")).get(1);
    tamper(
        c ->
            c.preparedQuery("UPDATE events SET payload = '{\"n\": 999}' WHERE position = $1")
                .execute(Tuple.of(b2.position())));
    assertFails(b2.commitOrder(), "edited", "content of b v2 does not match its hash");
  }

  @Test
  void anEditedPayloadEarlyInALargeLedgerIsNamedWhileTheReadIsStillGoing() throws Exception {
    // About 80 MB of events after the edited one: more than the pages in flight and the sockets'
    // buffers hold, so the database is still sending when the verifier stops at the edit.
    String padding = "p".repeat(2_000);
    for (int s = 0; s < 80; s++) {
      List<NewEvent> events = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        events.add(
            NewEvent.of("test.happened.v1", new JsonObject().put("n", i).put("padding", padding)));
      }
      await(store.append("bulk-" + s, ExpectedVersion.ANY, events));
    }
    RecordedEvent b2 = await(store.readStream("b")).get(1);
    tamper(
        c ->
            c.preparedQuery("UPDATE events SET payload = '{\"n\": 999}' WHERE position = $1")
                .execute(Tuple.of(b2.position())));
    assertFails(b2.commitOrder(), "edited", "content of b v2 does not match its hash");
  }

  @Test
  void aDatabaseFromBeforeTheStoredTilesVerifies() throws Exception {
    // As left by a server older than V24: the CLI of a newer release must still verify it. More
    // than a tile (256 leaves), so that the verifier reaches a complete tile.
    List<NewEvent> events = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      events.add(NewEvent.of("test.happened.v1", new JsonObject().put("n", i)));
    }
    await(store.append("many", ExpectedVersion.ANY, events));
    await(pool.query("DROP TABLE ledger_tree_tile_leaves").execute());
    CliTest.Run r = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("no stored tiles of the Merkle tree (its schema predates them)");
  }

  @Test
  void aRemovedEventIsNamedWhereItsStreamHasAGap() throws Exception {
    List<RecordedEvent> a = await(store.readStream("a"));
    tamper(
        c ->
            c.preparedQuery("DELETE FROM events WHERE position = $1")
                .execute(Tuple.of(a.get(1).position())));
    assertFails(a.get(2).commitOrder(), "removed", "a v3 follows v1: v2 is missing");
  }

  @Test
  void aRemovedLastEventOfAStreamIsFoundByTheSignedCheckpoint() throws Exception {
    RecordedEvent d1 = await(store.readStream("d")).get(0);
    tamper(
        c ->
            c.preparedQuery("DELETE FROM events WHERE position = $1")
                .execute(Tuple.of(d1.position())));
    // Nothing in stream d shows it (it is gone whole); the first checkpoint counts one event fewer.
    // The damage lies
    // before the first checkpoint's position, so the first possibly bad event is the ledger's
    // first.
    RecordedEvent first = await(store.readAll(GlobalPosition.START, 1)).get(0);
    assertFails(
        first.commitOrder(), "removed", "1 event(s) fewer than the signed checkpoint counts");
  }

  @Test
  void aForgedEventWithACorrectlyChainedHashIsFoundByTheSignedCheckpoint() throws Exception {
    RecordedEvent c3 = await(store.readStream("c")).get(2);
    UUID id = UUID.randomUUID();
    Instant at = EventHash.truncate(Instant.now());
    JsonObject payload = new JsonObject().put("n", 4).put("forged", true);
    JsonObject metadata = new JsonObject();
    byte[] hash = EventHash.of(c3.hash(), "c", 4, id, "test.happened.v1", at, payload, metadata);
    // Right after the first checkpoint's event in commit order: same transaction id, a later
    // position.
    GlobalPosition forged = new GlobalPosition(cp1Event.txid(), 1_000_000);
    tamper(
        c ->
            c.preparedQuery(
                    "INSERT INTO events (position, txid, event_id, stream_id, version, type, payload,"
                        + " metadata, recorded_at, prev_hash, hash) VALUES ($1, $2, $3, 'c', 4, 'test.happened.v1', $4::jsonb,"
                        + " $5::jsonb, $6, $7, $8)")
                .execute(
                    Tuple.tuple()
                        .addLong(forged.position())
                        .addLong(forged.txid())
                        .addUUID(id)
                        .addString(payload.encode())
                        .addString(metadata.encode())
                        .addOffsetDateTime(OffsetDateTime.ofInstant(at, ZoneOffset.UTC))
                        .addBuffer(Buffer.buffer(c3.hash()))
                        .addBuffer(Buffer.buffer(hash))));
    assertFails(forged, "inserted", "1 event(s) more than the signed checkpoint counts");
  }

  @Test
  void twoEventsOfDifferentStreamsSwappedAreFoundByTheSignedCheckpoint() throws Exception {
    GlobalPosition x = firstOfPhase2.commitOrder();
    GlobalPosition y = secondOfPhase2.commitOrder();
    tamper(
        c ->
            c.preparedQuery("UPDATE events SET position = -1 WHERE position = $1")
                .execute(Tuple.of(x.position()))
                .compose(
                    v ->
                        c.preparedQuery(
                                "UPDATE events SET position = $1, txid = $2 WHERE position = $3")
                            .execute(Tuple.of(x.position(), x.txid(), y.position())))
                .compose(
                    v ->
                        c.preparedQuery(
                                "UPDATE events SET position = $1, txid = $2 WHERE position = -1")
                            .execute(Tuple.of(y.position(), y.txid()))));
    assertFails(x, "reordered", "the digest differs from the signed checkpoint's");
  }

  @Test
  void twoEventsOfOneStreamSwappedAreNamedAsReordered() throws Exception {
    List<RecordedEvent> a = await(store.readStream("a"));
    GlobalPosition x = a.get(3).commitOrder();
    GlobalPosition y = a.get(4).commitOrder();
    tamper(
        c ->
            c.preparedQuery("UPDATE events SET position = -1 WHERE position = $1")
                .execute(Tuple.of(x.position()))
                .compose(
                    v ->
                        c.preparedQuery(
                                "UPDATE events SET position = $1, txid = $2 WHERE position = $3")
                            .execute(Tuple.of(x.position(), x.txid(), y.position())))
                .compose(
                    v ->
                        c.preparedQuery(
                                "UPDATE events SET position = $1, txid = $2 WHERE position = -1")
                            .execute(Tuple.of(y.position(), y.txid()))));
    // a v5 now comes first, a gap after v3; then v4 turns up after v5: reordered, not removed.
    assertFails(x, "reordered", "a v5 comes before v4");
  }

  // ---------------------------------------------------------------- pinned tree heads

  /**
   * Every kind of tampering, with the newest tree head pinned from before it: caught, exit 4. The
   * tail's removal (with its checkpoint) is the one plain verification passes.
   */
  @ParameterizedTest
  @ValueSource(strings = {"edit", "insert", "delete-middle", "delete-tail", "reorder"})
  void everyKindOfTamperingIsCaughtWithAPinnedTreeHead(String kind) throws Exception {
    NoteKey noteKey = NoteKey.generate("audit.test/ledger", NoteKey.ED25519);
    Path head = dir.resolve("head.txt");
    var row =
        await(
                pool.query(
                        "SELECT tree_size, root FROM ledger_tree_heads ORDER BY tree_size DESC LIMIT 1")
                    .execute())
            .iterator()
            .next();
    String text = new TreeHead(noteKey.name(), row.getLong(0), row.getBuffer(1).getBytes()).text();
    Files.writeString(head, new SignedNote(text, List.of(noteKey.sign(text))).encode());
    String[] pinned = {
      "audit",
      "verify",
      "--jwks",
      jwksFile.toString(),
      "--expect",
      head.toString(),
      "--note-key",
      noteKey.verifierKey()
    };
    CliTest.Run clean = CliTest.run(pinned);
    assertThat(clean.code()).as(clean.out() + clean.err()).isZero();
    assertThat(clean.out()).contains("extends the 1 pinned tree head");

    List<RecordedEvent> a = await(store.readStream("a"));
    switch (kind) {
      case "edit" ->
          tamper(
              c ->
                  c.preparedQuery("UPDATE events SET payload = '{\"n\": 7}' WHERE position = $1")
                      .execute(Tuple.of(a.get(2).position())));
      case "insert" -> {
        RecordedEvent a6 = a.get(5);
        UUID id = UUID.randomUUID();
        Instant at = EventHash.truncate(Instant.now());
        JsonObject payload = new JsonObject().put("n", 7);
        byte[] hash =
            EventHash.of(a6.hash(), "a", 7, id, "test.happened.v1", at, payload, new JsonObject());
        tamper(
            c ->
                c.preparedQuery(
                        "INSERT INTO events (position, txid, event_id, stream_id, version, type, payload,"
                            + " metadata, recorded_at, prev_hash, hash) VALUES ($1, $2, $3, 'a', 7,"
                            + " 'test.happened.v1', $4::jsonb, '{}'::jsonb, $5, $6, $7)")
                    .execute(
                        Tuple.tuple()
                            .addLong(cp1Event.position() + 100_000)
                            .addLong(cp1Event.txid())
                            .addUUID(id)
                            .addString(payload.encode())
                            .addOffsetDateTime(OffsetDateTime.ofInstant(at, ZoneOffset.UTC))
                            .addBuffer(Buffer.buffer(a6.hash()))
                            .addBuffer(Buffer.buffer(hash))));
      }
      case "delete-middle" ->
          tamper(
              c ->
                  c.preparedQuery("DELETE FROM events WHERE position = $1")
                      .execute(Tuple.of(a.get(1).position())));
      case "delete-tail" -> {
        // The newest checkpoint and every event after the one before it.
        List<RecordedEvent> cps = await(store.readStream(Checkpoint.STREAM));
        GlobalPosition keep = cps.get(cps.size() - 2).commitOrder();
        tamper(
            c ->
                c.preparedQuery("DELETE FROM events WHERE (txid, position) > ($1, $2)")
                    .execute(Tuple.of(keep.txid(), keep.position())));
        CliTest.Run plain = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
        assertThat(plain.code()).as("plain verify cannot see it").isZero();
      }
      case "reorder" -> {
        GlobalPosition x = a.get(3).commitOrder();
        GlobalPosition y = a.get(4).commitOrder();
        tamper(
            c ->
                c.preparedQuery("UPDATE events SET position = -1 WHERE position = $1")
                    .execute(Tuple.of(x.position()))
                    .compose(
                        v ->
                            c.preparedQuery(
                                    "UPDATE events SET position = $1, txid = $2 WHERE position = $3")
                                .execute(Tuple.of(x.position(), x.txid(), y.position())))
                    .compose(
                        v ->
                            c.preparedQuery(
                                    "UPDATE events SET position = $1, txid = $2 WHERE position = -1")
                                .execute(Tuple.of(y.position(), y.txid()))));
      }
      default -> throw new IllegalArgumentException(kind);
    }
    CliTest.Run r = CliTest.run(pinned);
    assertThat(r.code()).as(kind + ": " + r.out() + r.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(r.out()).startsWith("FAILED at ");
  }

  // ---------------------------------------------------------------- keys

  @Test
  void aCheckpointSignedByAnUnknownKeyFails() throws Exception {
    append("b", 6);
    SigningKeys.GeneratedKey stranger = SigningKeys.generate(SigningAlgorithm.ES256);
    checkpoint(stranger);
    GlobalPosition bad = last().commitOrder();
    CliTest.Run r = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(r.out()).contains("FAILED at " + bad + ": bad signature").contains("unknown kid");
    // The keys the ledger published do not include it either.
    CliTest.Run learned = CliTest.run("audit", "verify");
    assertThat(learned.code()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(learned.out()).contains("FAILED at " + bad + ": bad signature");
  }

  // ---------------------------------------------------------------- export

  @Test
  void anExportVerifiesOfflineAndAnEditedExportDoesNot() throws Exception {
    Path file = dir.resolve("ledger.jsonl");
    CliTest.Run export = CliTest.run("audit", "export", "-o", file.toString());
    assertThat(export.code()).as(export.err()).isZero();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1 + 19);
    JsonObject header = new JsonObject(lines.get(0));
    assertThat(header.getJsonObject("jwks").getJsonArray("keys").getJsonObject(0).getString("kid"))
        .isEqualTo(key.kid());
    assertThat(new JsonObject(lines.get(1)).fieldNames())
        .contains("prev_hash", "hash", "txid", "commit_order");

    // No database from here on: a URL nothing answers at.
    CliSupport.env = Map.of("GRANTRY_DB_URL", "postgresql://127.0.0.1:1/nothing");
    CliTest.Run ok =
        CliTest.run("audit", "verify", "--file", file.toString(), "--jwks", jwksFile.toString());
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("OK: 19 events").contains("3 signed checkpoints verified");

    int line = 6;
    JsonObject edited = new JsonObject(lines.get(line));
    edited.getJsonObject("payload").put("n", 42);
    List<String> copy = new ArrayList<>(lines);
    copy.set(line, edited.encode());
    Path bad = dir.resolve("edited.jsonl");
    Files.write(bad, copy);
    CliTest.Run r = CliTest.run("audit", "verify", "--file", bad.toString());
    assertThat(r.code()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(r.out()).contains("FAILED at " + edited.getString("commit_order") + ": edited");
  }

  @Test
  void aPartialExportStartsAtASignedCheckpointAndVerifiesOffline() throws Exception {
    Path file = dir.resolve("part.jsonl");
    CliTest.Run export =
        CliTest.run(
            "audit",
            "export",
            "--from",
            secondOfPhase2.commitOrder().toString(),
            "--to",
            secondOfPhase2.commitOrder().toString(),
            "-o",
            file.toString());
    assertThat(export.code()).as(export.err()).isZero();
    List<String> lines = Files.readAllLines(file);
    JsonObject header = new JsonObject(lines.get(0));
    assertThat(header.getJsonObject("anchor").getString("position"))
        .isEqualTo(cp1Event.payload().getString("position"));
    // cp1's own event, a v4, b v4.
    assertThat(lines).hasSize(1 + 3);
    assertThat(new JsonObject(lines.get(3)).getString("commit_order"))
        .isEqualTo(secondOfPhase2.commitOrder().toString());
    CliTest.Run ok =
        CliTest.run("audit", "verify", "--file", file.toString(), "--jwks", jwksFile.toString());
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("OK: 3 events");

    // An anchor signed by a stranger is refused.
    SigningKeys.GeneratedKey stranger = SigningKeys.generate(SigningAlgorithm.ES256);
    Path other = dir.resolve("stranger.json");
    Files.writeString(
        other, new JsonObject().put("keys", new JsonArray().add(stranger.publicJwk())).encode());
    CliTest.Run refused =
        CliTest.run("audit", "verify", "--file", file.toString(), "--jwks", other.toString());
    assertThat(refused.code()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(refused.out()).contains("bad signature").contains("anchor");
  }

  // ---------------------------------------------------------------- stored tiles

  /**
   * The leaf hashes the server stores for each complete tile (what proofs are read from) are
   * checked against the events: a row changed in one leaf fails verification as stored tree, naming
   * the tile and that leaf's event; a missing row is only counted.
   */
  @Test
  void aStoredTileThatDiffersFromItsEventsIsNamed() throws Exception {
    List<Future<?>> appends = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      appends.add(
          store.append(
              "e" + (i % 7),
              ExpectedVersion.ANY,
              NewEvent.of("test.happened.v1", new JsonObject().put("n", i))));
      if (appends.size() == 50) {
        await(Future.all(appends));
        appends.clear();
      }
    }
    await(Future.all(appends));
    checkpoint(key);
    // Each checkpoint of this test is a new checkpointer (a restarted server): tile 0, begun
    // before, is left to the back-filling; tile 1 was stored as the checkpointer completed it.
    while (await(checkpointer(key).backfillTiles(8)) > 0) {
      // until none is left
    }
    List<RecordedEvent> all = await(store.readAll(GlobalPosition.START, 10_000));
    long tiles =
        await(pool.query("SELECT count(*) FROM ledger_tree_tile_leaves").execute())
            .iterator()
            .next()
            .getLong(0);
    assertThat(tiles).isEqualTo(2); // 600 events and more, two complete tiles of 256

    CliTest.Run ok = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out())
        .contains("Stored tiles of the Merkle tree (what proofs are read from): 2 match");

    // Leaf 256 + 7 (the eighth of tile 1) changed in the stored row.
    tamper(
        c ->
            c.query(
                    "UPDATE ledger_tree_tile_leaves SET leaves = overlay(leaves placing"
                        + " sha256('x'::bytea) from 7 * 32 + 1 for 32) WHERE tile = 1")
                .execute());
    assertFails(
        all.get(256 + 7).commitOrder(),
        "stored tree",
        "tile 1 of the Merkle tree (leaves 256 to 511) as stored in ledger_tree_tile_leaves differs"
            + " from the events' leaf hashes from leaf 263, this event, on");

    // Without the row, the tile is not stored yet: verification passes and says so.
    tamper(c -> c.query("DELETE FROM ledger_tree_tile_leaves WHERE tile = 1").execute());
    CliTest.Run missing = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
    assertThat(missing.code()).as(missing.out() + missing.err()).isZero();
    assertThat(missing.out())
        .contains("1 match the events; 1 complete tile(s) have none stored yet");
  }

  /**
   * The stored nodes are checked too, and `audit verify --tiles` checks every stored node and tile
   * row against the newest signed checkpoint without the events: a changed node is named by both
   * (with the hash it should have), a changed tile row or the node at the top of the tree by the
   * pass. Before, the full verification did not look at the nodes at all, and there was no pass.
   */
  @Test
  void aChangedNodeOrTileRowIsNamedByTheFullVerificationAndByTheTilesPass() throws Exception {
    List<Future<?>> appends = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      appends.add(
          store.append(
              "e" + (i % 7),
              ExpectedVersion.ANY,
              NewEvent.of("test.happened.v1", new JsonObject().put("n", i))));
      if (appends.size() == 50) {
        await(Future.all(appends));
        appends.clear();
      }
    }
    await(Future.all(appends));
    checkpoint(key);
    while (await(checkpointer(key).backfillTiles(8)) > 0) {
      // until none is left
    }
    List<RecordedEvent> all = await(store.readAll(GlobalPosition.START, 10_000));
    // Over 512 leaves: the nodes of tiles 0 and 1 (level 8) and the node over both (level 9).
    CliTest.Run ok = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("Stored nodes of the Merkle tree: 3 match the events");
    CliTest.Run pass = CliTest.run("audit", "verify", "--tiles", "--jwks", jwksFile.toString());
    assertThat(pass.code()).as(pass.out() + pass.err()).isZero();
    assertThat(pass.out())
        .startsWith("OK: the stored Merkle tree")
        .contains("3 nodes and 2 tiles' leaf hashes match it")
        .contains("Keys: the checkpoint's signature verified with a key pinned with --jwks (kid ")
        .doesNotContain("corruption check");
    // Without --jwks the keys are the ledger's own: it says so, and that this is no tamper check.
    CliTest.Run learned = CliTest.run("audit", "verify", "--tiles");
    assertThat(learned.code()).as(learned.out() + learned.err()).isZero();
    assertThat(learned.out())
        .startsWith("OK: the stored Merkle tree")
        .contains(
            "Keys: the checkpoint's signature verified with a key the ledger itself published")
        .contains("a corruption check only")
        .contains("pin the keys with --jwks to make it a tamper check");

    // Tile 0's node changed.
    byte[] node0 = nodeHash(8, 0);
    tamper(
        c ->
            c.query("UPDATE ledger_tree_nodes SET hash = sha256(hash) WHERE level = 8 AND idx = 0")
                .execute());
    String named =
        "the node over leaves 0 to 255 (level 8, index 0) as stored in ledger_tree_nodes";
    CliTest.Run bad = CliTest.run("audit", "verify", "--tiles", "--jwks", jwksFile.toString());
    assertThat(bad.code()).as(bad.out() + bad.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(bad.out())
        .startsWith("FAILED: the stored Merkle tree")
        .contains(named + " is not the signed tree's")
        .contains("its hash should be " + Base64.getEncoder().encodeToString(node0))
        .doesNotContain("tile 0's stored leaf hashes");
    assertFails(
        all.get(255).commitOrder(),
        "stored tree",
        "the node of the Merkle tree over leaves 0 to 255 (level 8, index 0) as stored in"
            + " ledger_tree_nodes differs from the events' tree, whose node it should be "
            + Base64.getEncoder().encodeToString(node0));
    setNode(8, 0, node0);

    // Tile 1's row changed in one leaf: the pass names the row (the full verification, its leaf).
    tamper(
        c ->
            c.query(
                    "UPDATE ledger_tree_tile_leaves SET leaves = overlay(leaves placing"
                        + " sha256('x'::bytea) from 7 * 32 + 1 for 32) WHERE tile = 1")
                .execute());
    bad = CliTest.run("audit", "verify", "--tiles", "--jwks", jwksFile.toString());
    assertThat(bad.code()).as(bad.out() + bad.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(bad.out())
        .contains(
            "tile 1's stored leaf hashes (ledger_tree_tile_leaves, leaves 256 to 511) do not hash"
                + " to the signed tree's node of the tile")
        .doesNotContain("ledger_tree_nodes is not");
    tamper(c -> c.query("DELETE FROM ledger_tree_tile_leaves WHERE tile = 1").execute());

    // The node at the top (over tiles 0 and 1), which the signed frontier holds.
    byte[] top = nodeHash(9, 0);
    tamper(
        c ->
            c.query("UPDATE ledger_tree_nodes SET hash = sha256(hash) WHERE level = 9 AND idx = 0")
                .execute());
    bad = CliTest.run("audit", "verify", "--tiles", "--jwks", jwksFile.toString());
    assertThat(bad.code()).as(bad.out() + bad.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(bad.out())
        .contains(
            "the node over leaves 0 to 511 (level 9, index 0) as stored in ledger_tree_nodes is"
                + " not the signed tree's")
        .contains(Base64.getEncoder().encodeToString(top))
        .contains("1 complete tile(s) have no stored leaf hashes yet");
  }

  // ---------------------------------------------------------------- helpers

  private byte[] nodeHash(int level, long idx) throws Exception {
    return await(
            pool.preparedQuery("SELECT hash FROM ledger_tree_nodes WHERE level = $1 AND idx = $2")
                .execute(Tuple.of((short) level, idx)))
        .iterator()
        .next()
        .getBuffer(0)
        .getBytes();
  }

  private void setNode(int level, long idx, byte[] hash) throws Exception {
    await(
        pool.preparedQuery("UPDATE ledger_tree_nodes SET hash = $3 WHERE level = $1 AND idx = $2")
            .execute(Tuple.of((short) level, idx, Buffer.buffer(hash))));
  }

  private void assertFails(GlobalPosition firstBad, String problem, String reason) {
    CliTest.Run r = CliTest.run("audit", "verify", "--jwks", jwksFile.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(r.out()).contains("FAILED at " + firstBad + ": " + problem).contains(reason);
    assertThat(r.err()).contains("first bad position " + firstBad);
  }

  private RecordedEvent append(String stream, int n) throws Exception {
    return await(
            store.append(
                stream,
                ExpectedVersion.ANY,
                NewEvent.of("test.happened.v1", new JsonObject().put("n", n))))
        .events()
        .get(0);
  }

  private Checkpointer checkpointer(SigningKeys.GeneratedKey k) {
    return new Checkpointer(store, () -> LedgerCheckpoints.signer(JwsSigner.of(k)));
  }

  /**
   * Signs a checkpoint over what this test appended. The checkpointer reads only transactions older
   * than the oldest one still running in the whole PostgreSQL server (the ledger's commit-order
   * rule), and this server is shared by every test of the JVM: an autovacuum ANALYZE elsewhere can
   * hold that horizon back for a moment, and the checkpointer then rightly finds nothing new yet
   * (seen once under load). So it is asked again, on a Vert.x timer, until the events are covered,
   * for 30 s at most.
   */
  private void checkpoint(SigningKeys.GeneratedKey k) throws Exception {
    Checkpointer checkpointer = checkpointer(k);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    assertThat(await(signWhenCovered(checkpointer, deadline))).isPresent();
  }

  private Future<Optional<Checkpoint>> signWhenCovered(Checkpointer checkpointer, long deadline) {
    return checkpointer
        .checkpoint()
        .compose(
            signed ->
                signed.isPresent() || System.nanoTime() > deadline
                    ? Future.succeededFuture(signed)
                    : vertx.timer(20).compose(v -> signWhenCovered(checkpointer, deadline)));
  }

  private RecordedEvent last() throws Exception {
    List<RecordedEvent> all = await(store.readAll(GlobalPosition.START, 10_000));
    return all.get(all.size() - 1);
  }

  private void tamper(Function<SqlConnection, Future<?>> sql) throws Exception {
    await(
        pool.withConnection(
            c ->
                c.query("SET session_replication_role = replica")
                    .execute()
                    .compose(v -> sql.apply(c))
                    .compose(v -> c.query("SET session_replication_role = origin").execute())));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
