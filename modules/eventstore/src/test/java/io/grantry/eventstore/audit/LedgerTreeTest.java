package io.grantry.eventstore.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.merkle.ConsistencyProof;
import io.grantry.eventstore.merkle.InclusionProof;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.Rfc9162Reference;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tree as the checkpointer maintains it in a real database, and the proofs read from its
 * tables: every inclusion and consistency proof verifies with the second, independent RFC 9162
 * verifier of {@link MerkleTreeTest} against the roots the checkpoints signed, and those roots are
 * the tree hash of the ledger's events computed here from scratch.
 */
class LedgerTreeTest {
  static final CheckpointSigner SIGNER =
      new CheckpointSigner() {
        @Override
        public String kid() {
          return "test";
        }

        @Override
        public String sign(JsonObject claims) {
          return claims.encode();
        }
      };

  Vertx vertx;
  TestDatabase db;
  Pool pool;
  EventStore store;
  NoteKey key = NoteKey.generate("grantry.test/ledger", NoteKey.ED25519);
  Checkpointer checkpointer;
  LedgerTree tree;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(4))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    checkpointer = new Checkpointer(store, () -> SIGNER, () -> key, Clock.systemUTC());
    tree = checkpointer.tree();
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  @Test
  void proofsFromTheStoredTreeVerifyWithAnIndependentVerifier() throws Exception {
    appendEvents(700);
    Checkpoint first = await(checkpointer.checkpoint()).orElseThrow();
    appendEvents(350);
    Checkpoint second = await(checkpointer.checkpoint()).orElseThrow();
    appendEvents(5); // after the last tree head

    // The roots signed are the tree hash of the ledger's events, from the definition.
    List<byte[]> leaves = leafHashes();
    assertThat(first.count()).isEqualTo(700);
    assertThat(second.count()).isEqualTo(1051); // the first checkpoint's event is a leaf too
    assertThat(first.tree().root()).isEqualTo(Rfc9162Reference.mth(leaves.subList(0, 700)));
    assertThat(second.tree().root()).isEqualTo(Rfc9162Reference.mth(leaves.subList(0, 1051)));
    assertThat(await(tree.latest()).orElseThrow().size()).isEqualTo(1051);
    // The note names the same tree and is signed by the log's key.
    SignedNote note = SignedNote.parse(second.tree().note());
    assertThat(NoteKey.open(note, List.of(NoteKey.verifier(key.verifierKey())))).hasSize(1);
    assertThat(TreeHead.parse(note.text()).size()).isEqualTo(1051);

    LedgerTree.Head head = await(tree.head(1051)).orElseThrow();
    List<RecordedEvent> events = await(store.readAll(GlobalPosition.START, 10_000));
    for (int i : new int[] {0, 1, 255, 256, 511, 699, 700, 767, 768, 1024, 1049, 1050}) {
      RecordedEvent e = events.get(i);
      LedgerTree.Located at = await(tree.locate(e.position())).orElseThrow();
      assertThat(at.index()).isEqualTo(i);
      // With the tile locate read (what LedgerProofs does) and, for every other leaf, without.
      InclusionProof p =
          await(
              i % 2 == 0
                  ? tree.inclusion(at.index(), head, null, at)
                  : tree.inclusion(at.index(), head, null));
      assertThat(p.leafHash()).isEqualTo(leaves.get(i));
      assertThat(
              Rfc9162Reference.verifyInclusion(
                  i, 1051, p.leafHash(), p.path(), second.tree().root()))
          .as("leaf %d", i)
          .isTrue();
      assertThat(p.verify(second.tree().root())).isTrue();
      assertThat(p.checkpoint()).isEqualTo(second.tree().note());
    }
    // Against the older head too.
    InclusionProof old = await(tree.inclusion(300, await(tree.head(700)).orElseThrow(), null));
    assertThat(
            Rfc9162Reference.verifyInclusion(
                300, 700, old.leafHash(), old.path(), first.tree().root()))
        .isTrue();
    // An event after the newest head is located but not in the tree yet.
    RecordedEvent late = events.get(events.size() - 1);
    assertThat(await(tree.locate(late.position())).orElseThrow().index())
        .isGreaterThanOrEqualTo(1051);
    assertThat(await(tree.locate(999_999_999L))).isEmpty();

    for (long m : new long[] {1, 255, 256, 257, 700, 1000, 1050, 1051}) {
      List<byte[]> proof = await(tree.consistency(m, head));
      byte[] oldRoot = Rfc9162Reference.mth(leaves.subList(0, (int) m));
      assertThat(
              Rfc9162Reference.verifyConsistency(
                  (int) m, 1051, oldRoot, second.tree().root(), proof))
          .as("%d -> 1051", m)
          .isTrue();
    }
  }

  @Test
  void aLedgerWhoseLastCheckpointHasNoTreeGetsItsTreeFromTheFirstEvent() throws Exception {
    appendEvents(300);
    // A checkpoint as written before there was a tree (ledger.checkpoint_signed.v1).
    Checkpointer old = new Checkpointer(store, () -> SIGNER);
    Checkpoint v2 = await(old.checkpoint()).orElseThrow();
    Checkpoint v1 =
        new Checkpoint(
            v2.position(),
            v2.count(),
            v2.digest(),
            v2.prevPosition(),
            v2.prevDigest(),
            "test",
            "{}");
    await(
        pool.query(
                "SET session_replication_role = replica; DELETE FROM events WHERE stream_id = 'checkpoints';"
                    + " DELETE FROM streams WHERE stream_id = 'checkpoints';"
                    + " DELETE FROM ledger_tree_tiles; DELETE FROM ledger_tree_nodes; DELETE FROM ledger_tree_heads;"
                    + " SET session_replication_role = origin")
            .execute());
    await(
        store.append(
            Checkpoint.STREAM,
            ExpectedVersion.ANY,
            NewEvent.of(Checkpoint.TYPE, v1.toPayload(), new JsonObject())));
    // Nothing new since, yet the next run writes a checkpoint: the first one with a tree.
    Checkpoint next = await(checkpointer.checkpoint()).orElseThrow();
    assertThat(next.type()).isEqualTo(Checkpoint.TYPE_V2);
    assertThat(next.count()).isEqualTo(301);
    assertThat(next.tree().root()).isEqualTo(Rfc9162Reference.mth(leafHashes().subList(0, 301)));
    assertThat(
            await(
                    pool.preparedQuery("SELECT count(*) FROM ledger_tree_tiles")
                        .execute(Tuple.tuple()))
                .iterator()
                .next()
                .getLong(0))
        .isEqualTo(2);
    // The build from the first event stores the leaf hashes of the one complete tile.
    assertThat(storedTiles()).containsOnlyKeys(0L);
    assertThat(storedTiles().get(0L)).isEqualTo(concat(leafHashes().subList(0, 256)));
  }

  /**
   * For random ledger sizes, tree heads and positions: every inclusion and consistency proof read
   * from the stored tiles is byte for byte the proof made from the events (the tile rows deleted),
   * and verifies with the independent RFC 9162 verifier; the rows hold exactly the events' leaf
   * hashes; and what the proofs read is the row (a changed row changes the proof).
   */
  @Test
  void proofsFromStoredTilesAreTheProofsMadeFromTheEvents() throws Exception {
    long seed = ThreadLocalRandom.current().nextLong();
    Random random = new Random(seed);
    List<Long> sizes = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      appendEvents(1 + random.nextInt(700));
      sizes.add(await(checkpointer.checkpoint()).orElseThrow().count());
    }
    long last = sizes.get(sizes.size() - 1);
    List<byte[]> leaves = leafHashes();
    List<RecordedEvent> events = await(store.readAll(GlobalPosition.START, 10_000));
    // A row for every complete tile, written as the checkpointer went, equal to the events' leaves.
    Map<Long, byte[]> rows = storedTiles();
    assertThat(rows).as("seed %d", seed).hasSize((int) (last / LedgerTree.TILE));
    rows.forEach(
        (tile, row) ->
            assertThat(row)
                .as("tile %d, seed %d", tile, seed)
                .isEqualTo(
                    concat(
                        leaves.subList(
                            (int) (tile * LedgerTree.TILE),
                            (int) (tile * LedgerTree.TILE + LedgerTree.TILE)))));

    List<long[]> inclusions = new ArrayList<>();
    List<long[]> consistencies = new ArrayList<>();
    for (long n : sizes) {
      for (long i : new long[] {0, 255, 256, n - 1}) {
        if (i < n) {
          inclusions.add(new long[] {n, i});
        }
      }
      for (int k = 0; k < 25; k++) {
        inclusions.add(new long[] {n, random.nextLong(n)});
        consistencies.add(new long[] {1 + random.nextLong(n), n});
      }
    }
    LedgerProofs proofs = new LedgerProofs(tree);
    List<String> fromTiles = proofs(proofs, events, leaves, inclusions, consistencies, seed);

    await(pool.query("DELETE FROM ledger_tree_tile_leaves").execute());
    assertThat(proofs(proofs, events, leaves, inclusions, consistencies, seed))
        .as("seed %d", seed)
        .isEqualTo(fromTiles);

    // Stored again from the events, a few tiles at a time: the same rows, the same proofs.
    while (await(checkpointer.backfillTiles(3)) > 0) {
      // until none is left
    }
    assertThat(storedTiles()).as("seed %d", seed).containsOnlyKeys(rows.keySet());
    storedTiles().forEach((tile, row) -> assertThat(row).isEqualTo(rows.get(tile)));
    assertThat(proofs(proofs, events, leaves, inclusions, consistencies, seed))
        .as("seed %d", seed)
        .isEqualTo(fromTiles);

    // A row changed in its second leaf hash is not served: leaf 0's proof is made from the events.
    byte[] changed = rows.get(0L).clone();
    changed[MerkleTree.HASH_LENGTH] ^= 1;
    await(
        pool.preparedQuery("UPDATE ledger_tree_tile_leaves SET leaves = $1 WHERE tile = 0")
            .execute(Tuple.of(Buffer.buffer(changed))));
    InclusionProof p = await(proofs.inclusion(events.get(0).position(), OptionalLong.of(last)));
    assertThat(p.path().get(0)).isEqualTo(leaves.get(1));
    assertThat(p.verify(Rfc9162Reference.mth(leaves.subList(0, (int) last)))).isTrue();
  }

  /**
   * A tile row that does not hash to the tile's stored node (changed in the database) is not
   * served: every inclusion and consistency proof that reads the tile is made from its events and
   * verifies with the independent verifier, and the server warns once, naming the tile. Served as
   * it was (before the check), each proof of that tile failed for whoever checked it.
   */
  @Test
  void aChangedTileRowIsNotServedAndIsWarnedAboutOnce() throws Exception {
    appendEvents(700);
    long size = await(checkpointer.checkpoint()).orElseThrow().count();
    assertThat(storedTiles()).containsOnlyKeys(0L, 1L);
    List<byte[]> leaves = leafHashes();
    byte[] root = Rfc9162Reference.mth(leaves.subList(0, (int) size));
    List<RecordedEvent> events = await(store.readAll(GlobalPosition.START, 10_000));
    // Leaf 256 + 7 of tile 1 changed in the stored row, as someone with the database could.
    await(
        pool.query(
                "UPDATE ledger_tree_tile_leaves SET leaves = overlay(leaves placing"
                    + " sha256('x'::bytea) from 7 * 32 + 1 for 32) WHERE tile = 1")
            .execute());

    List<String> warnings = new ArrayList<>();
    try (Warnings w = new Warnings(warnings)) {
      LedgerProofs proofs = new LedgerProofs(tree);
      for (int i : new int[] {256, 262, 263, 264, 300, 511, 0, 255, 512, 600}) {
        InclusionProof p = await(proofs.inclusion(events.get(i).position(), OptionalLong.of(size)));
        assertThat(p.leafIndex()).isEqualTo(i);
        assertThat(p.leafHash()).isEqualTo(leaves.get(i));
        assertThat(Rfc9162Reference.verifyInclusion(i, (int) size, p.leafHash(), p.path(), root))
            .as("leaf %d", i)
            .isTrue();
      }
      // A consistency proof from inside tile 1 reads the tile's row too (not through locate).
      for (int m : new int[] {260, 300, 511}) {
        ConsistencyProof c = await(proofs.consistency(m, size));
        assertThat(
                Rfc9162Reference.verifyConsistency(
                    m, (int) size, Rfc9162Reference.mth(leaves.subList(0, m)), root, c.path()))
            .as("%d -> %d", m, size)
            .isTrue();
      }
    }
    assertThat(warnings).hasSize(1);
    assertThat(warnings.get(0))
        .contains("Tile 1 of the ledger's Merkle tree (leaves 256 to 511)")
        .contains("do not hash to the tile's node in ledger_tree_nodes");
  }

  /**
   * Review 5, L1: the checkpointer wrote a tile's start, its nodes and its row as three statements
   * on the pool, which commit in any order. A proof of a leaf of the tile against the previous head
   * (which covers the leaf) read between the row's commit and the node's met the row without its
   * node: it warned about a tile nothing was wrong with, and its tile was never warned about again.
   * Here the node's write is held up by a lock on ledger_tree_nodes while the proof is made: it
   * verifies, nothing is warned about, and once the write is through the tile's row is served.
   */
  @Test
  void aProofMadeWhileItsTileIsWrittenNeverMeetsTheRowWithoutItsNode() throws Exception {
    appendEvents(300);
    long size = await(checkpointer.checkpoint()).orElseThrow().count(); // tile 1 not complete
    appendEvents(300); // the next run completes it
    List<RecordedEvent> events = await(store.readAll(GlobalPosition.START, 10_000));
    List<byte[]> leaves = leafHashes();
    byte[] root = Rfc9162Reference.mth(leaves.subList(0, (int) size));
    LedgerProofs proofs = new LedgerProofs(tree);

    // Every connection of the pool open and idle, so that each statement of the write is sent at
    // once, none waits for a connection to be made.
    List<SqlConnection> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(await(pool.getConnection()));
    }
    for (SqlConnection c : held) {
      await(c.close());
    }
    List<String> warnings = new ArrayList<>();
    try (Warnings w = new Warnings(warnings)) {
      PgConnection lock = await(PgConnection.connect(vertx, db.connectOptions()));
      PgConnection observer = await(PgConnection.connect(vertx, db.connectOptions()));
      Future<Optional<Checkpoint>> next;
      try {
        await(lock.query("BEGIN").execute());
        await(lock.query("LOCK TABLE ledger_tree_nodes IN SHARE MODE").execute());
        next = checkpointer.checkpoint();
        waitUntilOnlyTheNodesWriteRuns(observer);
        // Leaf 290 (tile 1) against the head the proof's client knows, of 301 leaves.
        InclusionProof p =
            await(proofs.inclusion(events.get(290).position(), OptionalLong.of(size)));
        assertThat(p.leafIndex()).isEqualTo(290);
        assertThat(Rfc9162Reference.verifyInclusion(290, (int) size, p.leafHash(), p.path(), root))
            .isTrue();
      } finally {
        await(lock.query("ROLLBACK").execute().eventually(lock::close));
        await(observer.close());
      }
      long size2 = await(next).orElseThrow().count();
      assertThat(storedTiles()).containsKeys(0L, 1L);
      InclusionProof p =
          await(proofs.inclusion(events.get(290).position(), OptionalLong.of(size2)));
      assertThat(
              Rfc9162Reference.verifyInclusion(
                  290,
                  (int) size2,
                  p.leafHash(),
                  p.path(),
                  Rfc9162Reference.mth(leafHashes().subList(0, (int) size2))))
          .isTrue();
    }
    assertThat(warnings).as("a tile whose row and node are being written").isEmpty();
  }

  /**
   * A tile row met without its node (the node removed from the database) is warned about, and that
   * warning does not silence the one its row gets when it is changed later: once per tile and
   * reason, no longer once per tile.
   */
  @Test
  void aTileWarnedAboutForAMissingNodeIsWarnedAboutAgainWhenItsRowChanges() throws Exception {
    appendEvents(700);
    long size = await(checkpointer.checkpoint()).orElseThrow().count();
    List<RecordedEvent> events = await(store.readAll(GlobalPosition.START, 10_000));
    List<byte[]> leaves = leafHashes();
    byte[] root = Rfc9162Reference.mth(leaves.subList(0, (int) size));
    byte[] node = Rfc9162Reference.mth(leaves.subList(LedgerTree.TILE, 2 * LedgerTree.TILE));
    LedgerProofs proofs = new LedgerProofs(tree);
    List<String> warnings = new ArrayList<>();
    try (Warnings w = new Warnings(warnings)) {
      await(pool.query("DELETE FROM ledger_tree_nodes WHERE level = 8 AND idx = 1").execute());
      for (int round = 0; round < 3; round++) {
        if (round == 1) {
          await(
              pool.preparedQuery(
                      "INSERT INTO ledger_tree_nodes (level, idx, hash) VALUES (8, 1, $1)")
                  .execute(Tuple.of(Buffer.buffer(node))));
        } else if (round == 2) {
          await(
              pool.query(
                      "UPDATE ledger_tree_tile_leaves SET leaves = overlay(leaves placing"
                          + " sha256('x'::bytea) from 7 * 32 + 1 for 32) WHERE tile = 1")
                  .execute());
        }
        for (int i : new int[] {300, 301}) {
          InclusionProof p =
              await(proofs.inclusion(events.get(i).position(), OptionalLong.of(size)));
          assertThat(p.leafHash()).isEqualTo(leaves.get(i));
          assertThat(Rfc9162Reference.verifyInclusion(i, (int) size, p.leafHash(), p.path(), root))
              .as("leaf %d, round %d", i, round)
              .isTrue();
        }
      }
    }
    assertThat(warnings)
        .satisfiesExactly(
            first -> assertThat(first).contains("Tile 1 of", "has no node for the tile"),
            then -> assertThat(then).contains("Tile 1 of", "do not hash to the tile's node"));
  }

  /**
   * Observes the database until a statement waits for the lock on ledger_tree_nodes and no other
   * statement of this database runs (bounded).
   */
  private static void waitUntilOnlyTheNodesWriteRuns(SqlConnection observer) throws Exception {
    String sql =
        "SELECT (SELECT count(*) FROM pg_locks WHERE relation = 'ledger_tree_nodes'::regclass"
            + " AND NOT granted) > 0 AND (SELECT count(*) FROM pg_stat_activity"
            + " WHERE datname = current_database() AND backend_type = 'client backend'"
            + " AND pid <> pg_backend_pid()"
            + " AND state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock') = 0";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!await(observer.query(sql).execute()).iterator().next().getBoolean(0)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the checkpointer's write did not wait for the lock within 30 s");
      }
      Thread.onSpinWait();
    }
  }

  /** Collects the WARN lines LedgerTree logs while open. */
  static final class Warnings implements AutoCloseable {
    private final ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(LedgerTree.class);
    private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>
        logs = new ch.qos.logback.core.read.ListAppender<>();
    private final List<String> into;

    Warnings(List<String> into) {
      this.into = into;
      logs.start();
      logger.addAppender(logs);
    }

    @Override
    public void close() {
      logger.detachAppender(logs);
      logs.list.stream()
          .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
          .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .forEach(into::add);
    }
  }

  /**
   * A ledger whose tree was built before tiles were stored (the rows of V24 missing): proofs are
   * made from the events meanwhile, the back-filling stores every complete tile's leaf hashes, a
   * tile whose events do not hash to its stored node is left without a row, and the proofs do not
   * change. A restarted checkpointer leaves the tile it started in to the back-filling and stores
   * the next ones itself.
   */
  @Test
  void anUpgradedLedgerGetsItsTilesStoredAndItsProofsDoNotChange() throws Exception {
    appendEvents(600);
    await(checkpointer.checkpoint()).orElseThrow();
    appendEvents(300);
    long size = await(checkpointer.checkpoint()).orElseThrow().count();
    await(pool.query("DELETE FROM ledger_tree_tile_leaves").execute());
    List<RecordedEvent> events = await(store.readAll(GlobalPosition.START, 10_000));
    List<byte[]> leaves = leafHashes();
    List<long[]> inclusions = new ArrayList<>();
    List<long[]> consistencies = new ArrayList<>();
    for (long i = 0; i < size; i += 37) {
      inclusions.add(new long[] {size, i});
      consistencies.add(new long[] {i + 1, size});
    }
    LedgerProofs proofs = new LedgerProofs(tree);
    List<String> before = proofs(proofs, events, leaves, inclusions, consistencies, 0);

    // The server upgraded and restarted: a new checkpointer, in the middle of tile 3.
    Checkpointer restarted = new Checkpointer(store, () -> SIGNER, () -> key, Clock.systemUTC());
    appendEvents(200);
    long size2 = await(restarted.checkpoint()).orElseThrow().count();
    assertThat(size2).isGreaterThan(4 * LedgerTree.TILE);
    assertThat(storedTiles()).as("tile 3 was begun before the restart").isEmpty();

    // One tile's stored node disagrees with its events: that tile is not stored.
    await(
        pool.query("UPDATE ledger_tree_nodes SET hash = sha256(hash) WHERE level = 8 AND idx = 2")
            .execute());
    int looked = 0;
    for (int n; (n = await(restarted.backfillTiles(2))) > 0; ) {
      looked += n;
    }
    assertThat(looked).isEqualTo(4);
    leaves = leafHashes();
    Map<Long, byte[]> rows = storedTiles();
    assertThat(rows).containsOnlyKeys(0L, 1L, 3L);
    for (long t : rows.keySet()) {
      assertThat(rows.get(t))
          .isEqualTo(
              concat(
                  leaves.subList(
                      (int) t * LedgerTree.TILE, (int) t * LedgerTree.TILE + LedgerTree.TILE)));
    }
    // The node put back: the proofs are those made before from the events alone.
    await(
        pool.preparedQuery("UPDATE ledger_tree_nodes SET hash = $1 WHERE level = 8 AND idx = 2")
            .execute(
                Tuple.of(
                    Buffer.buffer(
                        Rfc9162Reference.mth(
                            leaves.subList(2 * LedgerTree.TILE, 3 * LedgerTree.TILE))))));
    assertThat(proofs(proofs, events, leaves, inclusions, consistencies, 0)).isEqualTo(before);

    // From now on the restarted checkpointer stores the tiles it completes itself.
    appendEvents(300);
    long size3 = await(restarted.checkpoint()).orElseThrow().count();
    assertThat(storedTiles().keySet())
        .contains(4L)
        .hasSize((int) (size3 / LedgerTree.TILE) - 1); // all but tile 2
  }

  /**
   * Each proof, encoded (what the API answers, byte for byte), after checking it with the
   * independent verifier against the tree hash of the events.
   */
  private List<String> proofs(
      LedgerProofs proofs,
      List<RecordedEvent> events,
      List<byte[]> leaves,
      List<long[]> inclusions,
      List<long[]> consistencies,
      long seed)
      throws Exception {
    List<String> out = new ArrayList<>();
    for (long[] q : inclusions) {
      int n = (int) q[0];
      int i = (int) q[1];
      InclusionProof p = await(proofs.inclusion(events.get(i).position(), OptionalLong.of(n)));
      assertThat(p.leafIndex()).isEqualTo(i);
      assertThat(
              Rfc9162Reference.verifyInclusion(
                  i, n, p.leafHash(), p.path(), Rfc9162Reference.mth(leaves.subList(0, n))))
          .as("leaf %d of %d, seed %d", i, n, seed)
          .isTrue();
      out.add(p.toJson().encode());
    }
    for (long[] q : consistencies) {
      int m = (int) q[0];
      int n = (int) q[1];
      ConsistencyProof p = await(proofs.consistency(m, n));
      assertThat(
              Rfc9162Reference.verifyConsistency(
                  m,
                  n,
                  Rfc9162Reference.mth(leaves.subList(0, m)),
                  Rfc9162Reference.mth(leaves.subList(0, n)),
                  p.path()))
          .as("%d -> %d, seed %d", m, n, seed)
          .isTrue();
      out.add(p.toJson().encode());
    }
    return out;
  }

  private Map<Long, byte[]> storedTiles() throws Exception {
    Map<Long, byte[]> out = new TreeMap<>();
    for (Row r : await(pool.query("SELECT tile, leaves FROM ledger_tree_tile_leaves").execute())) {
      out.put(r.getLong(0), r.getBuffer(1).getBytes());
    }
    return out;
  }

  private static byte[] concat(List<byte[]> hashes) {
    byte[] out = new byte[hashes.size() * MerkleTree.HASH_LENGTH];
    for (int i = 0; i < hashes.size(); i++) {
      System.arraycopy(hashes.get(i), 0, out, i * MerkleTree.HASH_LENGTH, MerkleTree.HASH_LENGTH);
    }
    return out;
  }

  private List<byte[]> leafHashes() throws Exception {
    List<byte[]> out = new ArrayList<>();
    GlobalPosition at = GlobalPosition.START;
    MessageDigest md = EventHash.sha256();
    LedgerReader reader = new LedgerReader(store);
    while (true) {
      List<LedgerReader.Entry> page = await(reader.read(at, 500));
      if (page.isEmpty()) {
        return out;
      }
      for (LedgerReader.Entry e : page) {
        out.add(
            MerkleTree.leafHash(md, e.event() != null ? e.event().hash() : e.archived().hash()));
        at = e.commitOrder();
      }
    }
  }

  private void appendEvents(int n) throws Exception {
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(
          store.append(
              "s-" + (i % 13),
              ExpectedVersion.ANY,
              NewEvent.of("test.happened.v1", new JsonObject().put("i", i))));
      if (all.size() == 50) {
        await(Future.all(all));
        all.clear();
      }
    }
    await(Future.all(all));
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
