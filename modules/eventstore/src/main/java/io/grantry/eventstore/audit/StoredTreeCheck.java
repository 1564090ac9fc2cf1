package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.merkle.Frontier;
import io.grantry.eventstore.merkle.MerkleTree;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;

/**
 * Checks the copy of the Merkle tree that proofs are read from, without the events: every stored
 * node of a tile or more ({@code ledger_tree_nodes}) and every tile's stored leaf hashes ({@code
 * ledger_tree_tile_leaves}) against a tree head that is trusted (a signed checkpoint's frontier).
 * What an auditor runs when the full verification (which recomputes the tree from the events) is
 * too long to run often, e.g. after a proof that did not verify.
 *
 * <p>How: the trusted head's frontier gives the roots of the tree's largest perfect subtrees. From
 * a node whose right hash is known, its two children's right hashes are those of the stored
 * children if they hash to it; if not, one of them was changed, and the value it should have is
 * found from one level further down (the hash of its own stored children, or for a tile's node the
 * root of the tile's stored leaf hashes); a tile's stored leaf hashes are right if they hash to the
 * tile's right node. So each stored node and row is compared with the value the signed tree implies
 * (one SHA-256 per node and 255 per tile row), and a changed one is named with the value it should
 * have. Two changes under the same node that hide each other are reported as that node's subtree
 * not checkable (the full verification names them).
 *
 * <p>Pure logic, fed by the caller: {@link #node} for each stored node, {@link #tile} for each tile
 * row's root ({@link #rowRoot}), then {@link #finish}. Holds 32 bytes per tile and per node.
 */
public final class StoredTreeCheck {

  /** What is wrong with a stored part of the tree. */
  public enum Kind {
    /** A stored node is not the node of the trusted tree. */
    NODE,
    /** A tile's stored leaf hashes do not hash to the tile's node of the trusted tree. */
    TILE,
    /** A node of the trusted tree that proofs need has no stored row. */
    MISSING_NODE,
    /** Several changes under one node: which of its stored descendants are wrong is not known. */
    UNRESOLVED
  }

  /** One finding: the node (level, index) or tile (level {@value LedgerTree#TILE_LEVEL}). */
  public record Finding(Kind kind, int level, long index, String message) {}

  /**
   * @param size the trusted tree head's size
   * @param nodesChecked stored nodes equal to the trusted tree's
   * @param tilesChecked complete tiles whose stored leaf hashes hash to the trusted tree's node
   * @param tilesNotStored complete tiles without stored leaf hashes (proofs read their events)
   * @param beyond stored nodes and tiles after the trusted head (not checked: not signed yet)
   */
  public record Result(
      long size,
      long nodesChecked,
      long tilesChecked,
      long tilesNotStored,
      long beyond,
      List<Finding> findings) {
    public boolean ok() {
      return findings.isEmpty();
    }
  }

  private static final int TILE_LEVEL = LedgerTree.TILE_LEVEL;
  private static final int H = MerkleTree.HASH_LENGTH;

  private final Frontier head;
  private final long size;
  private final int top;
  // Per level from TILE_LEVEL to top: the stored nodes, 32 bytes each by index, and which are.
  private final byte[][] nodes;
  private final BitSet[] stored;
  // The roots of the tiles' stored leaf hashes, by tile, and which tiles have a row.
  private final byte[] rowRoots;
  private final BitSet rows = new BitSet();
  private final BitSet badRows = new BitSet();
  private final MessageDigest md = EventHash.sha256();
  private final List<Finding> findings = new ArrayList<>();
  private long nodesChecked;
  private long tilesChecked;
  private long tilesNotStored;
  private long beyond;

  /** Checks against the tree whose frontier is {@code head} (trusted: e.g. a checked signature). */
  public StoredTreeCheck(Frontier head) {
    this.head = head.copy();
    this.size = head.size();
    this.top = size == 0 ? 0 : 63 - Long.numberOfLeadingZeros(size);
    long tiles = size >> TILE_LEVEL;
    if (tiles * H > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a tree of " + size + " leaves is too large to check");
    }
    int levels = Math.max(0, top - TILE_LEVEL + 1);
    nodes = new byte[levels][];
    stored = new BitSet[levels];
    for (int l = 0; l < levels; l++) {
      nodes[l] = new byte[(int) ((size >> (TILE_LEVEL + l)) * H)];
      stored[l] = new BitSet();
    }
    rowRoots = new byte[(int) (tiles * H)];
  }

  /** The root of a tile's stored leaf hashes (255 SHA-256), or null if it is not a tile's size. */
  public static byte[] rowRoot(MessageDigest md, byte[] leaves) {
    if (leaves == null || leaves.length != LedgerTree.TILE_BYTES) {
      return null;
    }
    return MerkleTree.perfectRoot(md, leaves, 0, LedgerTree.TILE);
  }

  /** A stored node: the root of the subtree over leaves {@code [index * 2^level, ...)}. */
  public void node(int level, long index, byte[] hash) {
    if (level < TILE_LEVEL || level > top || index < 0 || index >= size >> level) {
      beyond++; // after the trusted head, or not a node the tree stores
      return;
    }
    int l = level - TILE_LEVEL;
    if (hash == null || hash.length != H) {
      findings.add(
          new Finding(
              Kind.NODE,
              level,
              index,
              node(level, index) + " holds " + (hash == null ? 0 : hash.length) + " bytes"));
      return;
    }
    System.arraycopy(hash, 0, nodes[l], (int) index * H, H);
    stored[l].set((int) index);
  }

  /**
   * A tile's stored leaf hashes, by their root ({@link #rowRoot}; null: the row is not {@value
   * LedgerTree#TILE_BYTES} bytes).
   */
  public void tile(long tile, byte[] root, int bytes) {
    if (tile < 0 || tile >= size >> TILE_LEVEL) {
      beyond++;
      return;
    }
    if (root == null) {
      badRows.set((int) tile);
      findings.add(
          new Finding(
              Kind.TILE,
              TILE_LEVEL,
              tile,
              tileName(tile)
                  + " hold "
                  + bytes
                  + " bytes, not "
                  + LedgerTree.TILE_BYTES
                  + ": delete the row (the server stores it again from the events)"));
      return;
    }
    System.arraycopy(root, 0, rowRoots, (int) tile * H, H);
    rows.set((int) tile);
  }

  /** Compares everything given with the trusted tree. */
  public Result finish() {
    long start = 0;
    for (int j = 0; j < head.count(); j++) {
      long bit = Long.highestOneBit(size - start);
      int level = Long.numberOfTrailingZeros(bit);
      if (level >= TILE_LEVEL) {
        descend(level, start >> level, head.hash(j));
      }
      start += bit;
    }
    return new Result(
        size, nodesChecked, tilesChecked, tilesNotStored, beyond, List.copyOf(findings));
  }

  /** Node (level, index), whose right hash is {@code right}, and everything stored below it. */
  private void descend(int level, long index, byte[] right) {
    byte[] s = stored(level, index);
    if (s == null) {
      findings.add(
          new Finding(
              Kind.MISSING_NODE,
              level,
              index,
              node(level, index)
                  + " is not stored in ledger_tree_nodes: proofs that need it fail; its hash is "
                  + b64(right)));
    } else if (!MessageDigest.isEqual(s, right)) {
      findings.add(
          new Finding(
              Kind.NODE,
              level,
              index,
              node(level, index)
                  + " as stored in ledger_tree_nodes is not the signed tree's: proofs read through"
                  + " it do not verify; its hash should be "
                  + b64(right)
                  + ", it is "
                  + b64(s)));
    } else {
      nodesChecked++;
    }
    if (level == TILE_LEVEL) {
      byte[] r = rowRoot(index);
      if (r == null) {
        if (!badRows.get((int) index)) {
          tilesNotStored++;
        }
      } else if (!MessageDigest.isEqual(r, right)) {
        findings.add(
            new Finding(
                Kind.TILE,
                level,
                index,
                tileName(index)
                    + " do not hash to the signed tree's node of the tile: the server makes the"
                    + " tile's proofs from its events; delete the row (the server stores it again"
                    + " from the events), and run the full `grantry audit verify` to name the"
                    + " leaves that differ"));
      } else {
        tilesChecked++;
      }
      return;
    }
    long l = 2 * index;
    long r = l + 1;
    for (byte[] a : candidates(level - 1, l)) {
      for (byte[] b : candidates(level - 1, r)) {
        if (MessageDigest.isEqual(MerkleTree.nodeHash(md, a, b), right)) {
          descend(level - 1, l, a);
          descend(level - 1, r, b);
          return;
        }
      }
    }
    findings.add(
        new Finding(
            Kind.UNRESOLVED,
            level,
            index,
            "under "
                + node(level, index)
                + " more than one stored node or tile differs from the signed tree, so which"
                + " is not known from the stored tree alone: run the full `grantry audit verify`"));
  }

  /**
   * What the right hash of node (level, index) can be: the stored one, and the one made from one
   * level further down (its stored children, or for a tile's node its stored leaf hashes).
   */
  private List<byte[]> candidates(int level, long index) {
    List<byte[]> out = new ArrayList<>(2);
    byte[] s = stored(level, index);
    if (s != null) {
      out.add(s);
    }
    byte[] below;
    if (level == TILE_LEVEL) {
      below = rowRoot(index);
    } else {
      byte[] a = stored(level - 1, 2 * index);
      byte[] b = stored(level - 1, 2 * index + 1);
      below = a == null || b == null ? null : MerkleTree.nodeHash(md, a, b);
    }
    if (below != null && (s == null || !Arrays.equals(s, below))) {
      out.add(below);
    }
    return out;
  }

  private byte[] stored(int level, long index) {
    int l = level - TILE_LEVEL;
    if (l < 0 || l >= stored.length || !stored[l].get((int) index)) {
      return null;
    }
    return Arrays.copyOfRange(nodes[l], (int) index * H, (int) index * H + H);
  }

  private byte[] rowRoot(long tile) {
    if (!rows.get((int) tile)) {
      return null;
    }
    return Arrays.copyOfRange(rowRoots, (int) tile * H, (int) tile * H + H);
  }

  private static String node(int level, long index) {
    long first = index << level;
    return "the node over leaves "
        + first
        + " to "
        + (first + (1L << level) - 1)
        + " (level "
        + level
        + ", index "
        + index
        + ")";
  }

  private static String tileName(long tile) {
    long first = tile << TILE_LEVEL;
    return "tile "
        + tile
        + "'s stored leaf hashes (ledger_tree_tile_leaves, leaves "
        + first
        + " to "
        + (first + LedgerTree.TILE - 1)
        + ")";
  }

  private static String b64(byte[] h) {
    return Base64.getEncoder().encodeToString(h);
  }
}
