package io.grantry.eventstore.merkle;

import static io.grantry.eventstore.merkle.MerkleTree.HASH_LENGTH;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The right edge of a Merkle tree of {@code size} leaves: the roots of its maximal perfect
 * subtrees, largest (leftmost) first, one per set bit of {@code size}. It is all that is needed to
 * append the next leaf and to compute the root, so the tree is maintained incrementally: a
 * checkpoint stores the frontier it reached and the next one continues from it, hashing only the
 * new leaves (one leaf hash and, on average, one interior hash per leaf).
 *
 * <p>Appending can report every perfect subtree it completes ({@link NodeSink}): the nodes that
 * proofs are later read from. Not thread-safe.
 */
public final class Frontier {
  private static final int MAX = 64;

  /** Told of each perfect subtree of {@code 2^level} leaves an append completes. */
  @FunctionalInterface
  public interface NodeSink {
    /**
     * @param index the subtree covers the leaves {@code [index * 2^level, (index + 1) * 2^level)}
     * @param hash its root, in {@code hash[offset..offset+32)} (copy it to keep it)
     */
    void node(int level, long index, byte[] hash, int offset);
  }

  private long size;
  private final byte[] hashes = new byte[MAX * HASH_LENGTH];
  private int count;

  /** The frontier of the empty tree. */
  public Frontier() {}

  /**
   * The frontier of a tree of {@code size} leaves from its subtree roots, largest first.
   *
   * @throws IllegalArgumentException when there are not exactly as many as {@code size} has bits
   */
  public static Frontier of(long size, List<byte[]> roots) {
    if (size < 0 || roots.size() != Long.bitCount(size)) {
      throw new IllegalArgumentException(
          "a frontier of "
              + size
              + " leaves has "
              + Long.bitCount(Math.max(0, size))
              + " hashes, not "
              + roots.size());
    }
    Frontier f = new Frontier();
    f.size = size;
    for (byte[] h : roots) {
      if (h.length != HASH_LENGTH) {
        throw new IllegalArgumentException("a frontier hash has 32 bytes");
      }
      System.arraycopy(h, 0, f.hashes, f.count++ * HASH_LENGTH, HASH_LENGTH);
    }
    return f;
  }

  public long size() {
    return size;
  }

  public Frontier copy() {
    Frontier f = new Frontier();
    f.size = size;
    f.count = count;
    System.arraycopy(hashes, 0, f.hashes, 0, count * HASH_LENGTH);
    return f;
  }

  /** Appends the leaf with hash {@code leafHash} (already {@code SHA-256(0x00 || ...)}). */
  public void append(MessageDigest md, byte[] leafHash) {
    append(md, leafHash, 0, null, Integer.MAX_VALUE);
  }

  /**
   * Appends a leaf hash stored at {@code leaf[offset..]}; tells {@code sink} (if not null) of every
   * perfect subtree of at least {@code 2^minLevel} leaves this completes.
   */
  public void append(MessageDigest md, byte[] leaf, int offset, NodeSink sink, int minLevel) {
    if (count == MAX) {
      throw new IllegalStateException("the tree is full");
    }
    long index = size;
    int top = count * HASH_LENGTH;
    System.arraycopy(leaf, offset, hashes, top, HASH_LENGTH);
    int level = 0;
    // Each trailing 1 bit of the old size is a subtree of the same size as the one just closed on
    // its right: merge them, leaving the merged root in the lower slot.
    while (((size >> level) & 1) == 1) {
      int left = top - HASH_LENGTH;
      MerkleTree.nodeHash(md, hashes, left, hashes, top, hashes, left);
      top = left;
      count--;
      level++;
      if (sink != null && level >= minLevel) {
        sink.node(level, index >> level, hashes, top);
      }
    }
    count++;
    size++;
  }

  /** The tree's root hash (RFC 9162 §2.1.1): the subtree roots folded from the right. */
  public byte[] root(MessageDigest md) {
    if (count == 0) {
      return MerkleTree.emptyRoot();
    }
    return fold(md, 0);
  }

  /**
   * The root of the node made of the subtree roots from the {@code from}-th on: the tree's right
   * edge from leaf {@link #start(int)} to the end.
   */
  public byte[] fold(MessageDigest md, int from) {
    byte[] r = Arrays.copyOfRange(hashes, (count - 1) * HASH_LENGTH, count * HASH_LENGTH);
    for (int i = count - 2; i >= from; i--) {
      r = MerkleTree.nodeHash(md, hash(i), r);
    }
    return r;
  }

  /** How many subtree roots: the number of set bits of the size. */
  public int count() {
    return count;
  }

  /** The {@code i}-th subtree root, largest first. */
  public byte[] hash(int i) {
    return Arrays.copyOfRange(hashes, i * HASH_LENGTH, (i + 1) * HASH_LENGTH);
  }

  /** The first leaf of the {@code i}-th subtree. */
  public long start(int i) {
    long start = 0;
    long rest = size;
    for (int j = 0; j < i; j++) {
      long bit = Long.highestOneBit(rest);
      start += bit;
      rest -= bit;
    }
    return start;
  }

  public List<byte[]> hashes() {
    List<byte[]> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(hash(i));
    }
    return out;
  }

  /** The subtree roots as base64 strings, largest first (how a checkpoint stores them). */
  public List<String> encoded() {
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(Base64.getEncoder().encodeToString(hash(i)));
    }
    return out;
  }

  /** The subtree roots back to back (how the tree heads table stores them). */
  public byte[] bytes() {
    return Arrays.copyOf(hashes, count * HASH_LENGTH);
  }

  public static Frontier fromBytes(long size, byte[] bytes) {
    List<byte[]> roots = new ArrayList<>();
    for (int o = 0; o + HASH_LENGTH <= bytes.length; o += HASH_LENGTH) {
      roots.add(Arrays.copyOfRange(bytes, o, o + HASH_LENGTH));
    }
    if (bytes.length % HASH_LENGTH != 0) {
      throw new IllegalArgumentException("a frontier is a multiple of 32 bytes");
    }
    return of(size, roots);
  }

  public static Frontier fromEncoded(long size, List<String> roots) {
    List<byte[]> out = new ArrayList<>(roots.size());
    for (String s : roots) {
      out.add(Base64.getDecoder().decode(s));
    }
    return of(size, out);
  }
}
