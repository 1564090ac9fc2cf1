package io.grantry.eventstore.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.merkle.InclusionProof;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.Rfc9162Reference;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
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
  Pool pool;
  EventStore store;
  NoteKey key = NoteKey.generate("grantry.test/ledger", NoteKey.ED25519);
  Checkpointer checkpointer;
  LedgerTree tree;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(4))
            .connectingTo(TestDatabase.fresh().connectOptions())
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
