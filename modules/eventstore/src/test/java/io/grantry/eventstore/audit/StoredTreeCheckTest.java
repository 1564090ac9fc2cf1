package io.grantry.eventstore.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.merkle.Frontier;
import io.grantry.eventstore.merkle.MerkleTree;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The stored-tree pass names the one node or tile row that was changed, whichever it is, with the
 * value the signed tree implies, and passes an unchanged tree (random leaves, the nodes and rows
 * made as the checkpointer makes them, one change at a time).
 */
class StoredTreeCheckTest {
  static final int TILE = LedgerTree.TILE;

  record Tree(long size, Frontier head, List<long[]> nodeIds, List<byte[]> nodes, byte[][] rows) {}

  @Test
  void anUnchangedTreePassesAndEveryChangedNodeOrRowIsNamed() {
    long seed = ThreadLocalRandom.current().nextLong();
    Random random = new Random(seed);
    int size = TILE * (5 + random.nextInt(20)) + random.nextInt(TILE);
    Tree t = tree(size, random);
    StoredTreeCheck.Result clean = check(t, -1, -1);
    assertThat(clean.findings()).as("seed %d", seed).isEmpty();
    assertThat(clean.nodesChecked()).isEqualTo(t.nodes().size());
    assertThat(clean.tilesChecked()).isEqualTo(t.rows().length);

    for (int k = 0; k < t.nodes().size(); k++) {
      StoredTreeCheck.Result r = check(t, k, -1);
      long[] id = t.nodeIds().get(k);
      assertThat(r.findings()).as("node %s, seed %d", Arrays.toString(id), seed).hasSize(1);
      StoredTreeCheck.Finding f = r.findings().get(0);
      assertThat(f.kind()).isEqualTo(StoredTreeCheck.Kind.NODE);
      assertThat(new long[] {f.level(), f.index()}).isEqualTo(id);
      assertThat(f.message())
          .contains(Base64.getEncoder().encodeToString(t.nodes().get(k)) + ", it is ");
    }
    for (int tile = 0; tile < t.rows().length; tile++) {
      StoredTreeCheck.Result r = check(t, -1, tile);
      assertThat(r.findings()).as("tile %d, seed %d", tile, seed).hasSize(1);
      StoredTreeCheck.Finding f = r.findings().get(0);
      assertThat(f.kind()).isEqualTo(StoredTreeCheck.Kind.TILE);
      assertThat(f.index()).isEqualTo(tile);
      assertThat(r.tilesChecked()).isEqualTo(t.rows().length - 1);
    }
  }

  @Test
  void aMissingNodeIsNamedAndRowsAfterTheHeadAreLeftAlone() {
    Tree t = tree(TILE * 6 + 10, new Random(7));
    StoredTreeCheck c = new StoredTreeCheck(t.head());
    MessageDigest md = EventHash.sha256();
    for (int k = 0; k < t.nodes().size(); k++) {
      long[] id = t.nodeIds().get(k);
      if (id[0] != 9 || id[1] != 1) {
        c.node((int) id[0], id[1], t.nodes().get(k));
      }
    }
    for (int tile = 0; tile < t.rows().length; tile++) {
      c.tile(tile, StoredTreeCheck.rowRoot(md, t.rows()[tile]), LedgerTree.TILE_BYTES);
    }
    c.tile(6, new byte[32], LedgerTree.TILE_BYTES); // not complete at the head's size
    c.node(8, 6, new byte[32]);
    StoredTreeCheck.Result r = c.finish();
    assertThat(r.findings()).hasSize(1);
    assertThat(r.findings().get(0).kind()).isEqualTo(StoredTreeCheck.Kind.MISSING_NODE);
    assertThat(r.findings().get(0).message())
        .startsWith("the node over leaves 512 to 1023 (level 9, index 1) is not stored");
    assertThat(r.beyond()).isEqualTo(2);
    assertThat(r.tilesChecked()).isEqualTo(6);
  }

  /** The check of tree {@code t} with node {@code node} or tile {@code tile} changed (-1: none). */
  private static StoredTreeCheck.Result check(Tree t, int node, int tile) {
    StoredTreeCheck c = new StoredTreeCheck(t.head());
    MessageDigest md = EventHash.sha256();
    for (int k = 0; k < t.nodes().size(); k++) {
      byte[] h = t.nodes().get(k).clone();
      if (k == node) {
        h[3] ^= 1;
      }
      c.node((int) t.nodeIds().get(k)[0], t.nodeIds().get(k)[1], h);
    }
    for (int i = 0; i < t.rows().length; i++) {
      byte[] row = t.rows()[i].clone();
      if (i == tile) {
        row[40] ^= 1;
      }
      c.tile(i, StoredTreeCheck.rowRoot(md, row), row.length);
    }
    return c.finish();
  }

  /** A tree of random leaves: its head, its stored nodes (as the checkpointer makes them), rows. */
  private static Tree tree(long size, Random random) {
    MessageDigest md = EventHash.sha256();
    Frontier f = new Frontier();
    List<long[]> ids = new ArrayList<>();
    List<byte[]> nodes = new ArrayList<>();
    byte[][] rows = new byte[(int) (size / TILE)][];
    byte[] tile = new byte[LedgerTree.TILE_BYTES];
    for (long i = 0; i < size; i++) {
      byte[] data = new byte[32];
      random.nextBytes(data);
      byte[] leaf = MerkleTree.leafHash(md, data);
      System.arraycopy(leaf, 0, tile, (int) (i % TILE) * 32, 32);
      if (i % TILE == TILE - 1) {
        rows[(int) (i / TILE)] = tile.clone();
      }
      f.append(
          md,
          leaf,
          0,
          (level, index, hash, offset) -> {
            ids.add(new long[] {level, index});
            nodes.add(Arrays.copyOfRange(hash, offset, offset + 32));
          },
          LedgerTree.TILE_LEVEL);
    }
    return new Tree(size, f, ids, nodes, rows);
  }
}
