package io.grantry.cli;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.audit.CheckpointSignatures;
import io.grantry.eventstore.audit.LedgerTree;
import io.grantry.eventstore.audit.StoredTreeCheck;
import io.grantry.eventstore.merkle.Frontier;
import io.grantry.server.audit.LedgerCheckpoints;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * {@code grantry audit verify --tiles}: the stored copy of the Merkle tree that proofs are read
 * from (every node of {@code ledger_tree_nodes}, every tile row of {@code ledger_tree_tile_leaves})
 * against the newest signed checkpoint, without the events ({@link StoredTreeCheck}). The
 * checkpoint is trusted once its signature verifies with the pinned keys ({@code --jwks}) or the
 * ledger's own, and its frontier folds to the root it signed; its tree head row (what proofs are
 * made against) must be the same. It says which keys it trusted: with the ledger's own it is a
 * corruption check, not a tamper check ({@link #keySource}).
 */
final class StoredTree {
  static final int NODES = 10_000;
  static final int ROWS = 256;

  private StoredTree() {}

  static int verify(JsonObject pinnedJwks) throws Exception {
    try (CliSupport.Db db = CliSupport.Db.open()) {
      EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
      LedgerCheckpoints.FromLedger learned = new LedgerCheckpoints.FromLedger();
      for (RecordedEvent e : CliSupport.await(store.readStream("keys"))) {
        learned.observe(e);
      }
      CheckpointSignatures signatures =
          pinnedJwks != null ? LedgerCheckpoints.verifier(pinnedJwks) : learned;
      Checkpoint c = newestCheckpoint(db);
      Frontier head = trusted(c, signatures);

      List<String> problems = new ArrayList<>();
      List<String> notes = new ArrayList<>();
      Optional<LedgerTree.Head> row = CliSupport.await(new LedgerTree(db.pool).head(head.size()));
      if (row.isEmpty()) {
        // The server writes it right after appending the checkpoint: not there yet, or removed.
        notes.add(
            "ledger_tree_heads has no tree head of size "
                + head.size()
                + " (the newest checkpoint's) yet: proofs are made against older heads until it is"
                + " written");
      } else if (!Arrays.equals(row.get().root(), c.tree().root())
          || !Arrays.equals(row.get().frontier().bytes(), head.bytes())) {
        problems.add(
            "the tree head of size "
                + head.size()
                + " as stored in ledger_tree_heads is not the signed checkpoint's (its root or"
                + " frontier differs): proofs made against it do not verify");
      }

      StoredTreeCheck check = new StoredTreeCheck(head);
      readNodes(db, check);
      // A database whose server predates the stored tiles (V24) has nodes only.
      if (hasTileRows(db)) {
        readTiles(db, check);
      }
      StoredTreeCheck.Result r = check.finish();
      r.findings().forEach(f -> problems.add(f.message()));
      String what =
          "the stored Merkle tree (what proofs are read from) against the signed checkpoint at "
              + c.position()
              + " (tree size "
              + head.size()
              + "): "
              + r.nodesChecked()
              + " nodes and "
              + r.tilesChecked()
              + " tiles' leaf hashes match it"
              + (r.tilesNotStored() > 0
                  ? "; " + r.tilesNotStored() + " complete tile(s) have no stored leaf hashes yet"
                  : "")
              + (r.beyond() > 0
                  ? "; " + r.beyond() + " stored row(s) after it not checked (not signed yet)"
                  : "");
      if (problems.isEmpty()) {
        System.out.println("OK: " + what);
        System.out.println(keySource(pinnedJwks != null, c));
        notes.forEach(System.out::println);
        return 0;
      }
      System.out.println("FAILED: " + what);
      problems.forEach(p -> System.out.println("  " + p));
      System.out.println(keySource(pinnedJwks != null, c));
      throw new CliFailure(
          AuditCommand.TAMPERED,
          "the stored Merkle tree differs from the signed checkpoint: "
              + problems.size()
              + " problem(s) listed above (the events are not affected, the proofs read from"
              + " these rows are)");
    }
  }

  /**
   * Where the key that the checkpoint's signature verified with came from (review 5, L2). Without
   * {@code --jwks} it is the ledger's own {@code keys} stream, read here without its hash chain, so
   * whoever can write the database can plant a key with a checkpoint it signs, or remove the newest
   * checkpoints (their rows are then "not signed yet"): the pass finds corruption, not tampering.
   */
  static String keySource(boolean pinned, Checkpoint c) {
    return pinned
        ? "Keys: the checkpoint's signature verified with a key pinned with --jwks (kid "
            + c.kid()
            + "): a tamper check, as far as the pinned keys are kept where the database's writers"
            + " cannot change them"
        : "Keys: the checkpoint's signature verified with a key the ledger itself published (kid "
            + c.kid()
            + ", its keys stream, read without its hash chain): a corruption check only, since"
            + " whoever can write the database can plant a key with a checkpoint it signs or"
            + " remove the newest checkpoints; pin the keys with --jwks to make it a tamper check";
  }

  private static Checkpoint newestCheckpoint(CliSupport.Db db) throws Exception {
    var rows =
        CliSupport.await(
            db.pool
                .preparedQuery(
                    "SELECT position, txid, event_id, stream_id, version, type, payload, metadata,"
                        + " recorded_at, prev_hash, hash FROM events WHERE stream_id = $1"
                        + " ORDER BY version DESC LIMIT 1")
                .execute(Tuple.of(Checkpoint.STREAM)));
    if (rows.size() == 0) {
      throw new CliFailure(
          CliFailure.FAILED, "the ledger has no signed checkpoint yet: there is no tree to check");
    }
    RecordedEvent e = EventStore.toEvent(rows.iterator().next());
    try {
      return Checkpoint.fromPayload(e.payload());
    } catch (IllegalArgumentException ex) {
      throw new CliFailure(
          AuditCommand.TAMPERED,
          "the newest checkpoint (" + e.commitOrder() + ") is malformed: " + ex.getMessage());
    }
  }

  /** The checkpoint's tree once its signature and its frontier are checked. */
  private static Frontier trusted(Checkpoint c, CheckpointSignatures signatures) {
    JsonObject claims;
    try {
      claims = signatures.verify(c.jws());
    } catch (Exception ex) {
      throw new CliFailure(
          AuditCommand.TAMPERED,
          "the newest checkpoint ("
              + c.position()
              + ") is not signed by a trusted key ("
              + CliSupport.oneLine(ex)
              + "): run the full `grantry audit verify`");
    }
    if (!c.matches(claims)) {
      throw new CliFailure(
          AuditCommand.TAMPERED,
          "the newest checkpoint (" + c.position() + ") differs from the claims it signed");
    }
    if (c.tree() == null) {
      throw new CliFailure(
          CliFailure.FAILED,
          "the newest checkpoint ("
              + c.position()
              + ") has no Merkle tree (written before there was one): the server builds it with"
              + " its next checkpoint");
    }
    Frontier f;
    try {
      f = Frontier.fromEncoded(c.count(), c.tree().frontier());
    } catch (IllegalArgumentException ex) {
      throw new CliFailure(
          AuditCommand.TAMPERED,
          "the newest checkpoint's frontier is malformed: " + ex.getMessage());
    }
    if (!MessageDigest.isEqual(f.root(EventHash.sha256()), c.tree().root())) {
      throw new CliFailure(
          AuditCommand.TAMPERED,
          "the newest checkpoint's frontier does not hash to the Merkle root it signed");
    }
    return f;
  }

  private static void readNodes(CliSupport.Db db, StoredTreeCheck check) throws Exception {
    int level = -1;
    long index = -1;
    while (true) {
      var rows =
          CliSupport.await(
              db.pool
                  .preparedQuery(
                      "SELECT level, idx, hash FROM ledger_tree_nodes WHERE (level, idx) > ($1, $2)"
                          + " ORDER BY level, idx LIMIT $3")
                  .execute(Tuple.of((short) level, index, NODES)));
      for (Row r : rows) {
        level = r.getShort(0);
        index = r.getLong(1);
        check.node(level, index, r.getBuffer(2).getBytes());
      }
      if (rows.size() < NODES) {
        return;
      }
    }
  }

  /** The tile rows, {@value #ROWS} at a time, their roots computed on every core. */
  private static void readTiles(CliSupport.Db db, StoredTreeCheck check) throws Exception {
    long after = -1;
    while (true) {
      var rows =
          CliSupport.await(
              db.pool
                  .preparedQuery(
                      "SELECT tile, leaves FROM ledger_tree_tile_leaves WHERE tile > $1"
                          + " ORDER BY tile LIMIT $2")
                  .execute(Tuple.of(after, ROWS)));
      long[] tiles = new long[rows.size()];
      byte[][] leaves = new byte[rows.size()][];
      int n = 0;
      for (Row r : rows) {
        tiles[n] = r.getLong(0);
        leaves[n++] = r.getBuffer(1).getBytes();
      }
      byte[][] roots = new byte[n][];
      IntStream.range(0, n)
          .parallel()
          .forEach(i -> roots[i] = StoredTreeCheck.rowRoot(EventHash.sha256(), leaves[i]));
      for (int i = 0; i < n; i++) {
        check.tile(tiles[i], roots[i], leaves[i].length);
        after = tiles[i];
      }
      if (rows.size() < ROWS) {
        return;
      }
    }
  }

  /**
   * Whether the database has the stored tiles' table (ledger_tree_tile_leaves): a database whose
   * server predates them (V24) does not.
   */
  static boolean hasTileRows(CliSupport.Db db) throws Exception {
    return CliSupport.await(
            db.pool.query("SELECT to_regclass('ledger_tree_tile_leaves') IS NOT NULL").execute())
        .iterator()
        .next()
        .getBoolean(0);
  }
}
