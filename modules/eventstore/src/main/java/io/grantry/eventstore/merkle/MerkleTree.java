package io.grantry.eventstore.merkle;

import io.grantry.eventstore.EventHash;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Merkle tree of RFC 9162 §2.1 over the ledger: its leaves are the ledger's events in commit
 * order (archived events by the hashes the ledger kept), leaf {@code i} being the {@code i}-th
 * event, so a tree of size {@code n} commits to exactly the events a checkpoint with count {@code
 * n} covers. The leaf hash is {@code SHA-256(0x00 || event hash)} (the event's own chained hash,
 * which covers its content, stream, version and predecessor), an interior node {@code SHA-256(0x01
 * || left || right)}, and the tree splits at the largest power of two smaller than its size.
 *
 * <p>Here: the hashes, which nodes an inclusion or consistency proof is made of (RFC 9162 §2.1.3.1
 * and §2.1.4.1, as ranges of leaves, so that a caller can fetch them from storage), and the
 * verification of both proofs (§2.1.3.2 and §2.1.4.2). Pure: no I/O.
 */
public final class MerkleTree {
  public static final int HASH_LENGTH = EventHash.LENGTH;

  private static final byte LEAF = 0x00;
  private static final byte NODE = 0x01;
  private static final byte[] EMPTY_ROOT = EventHash.sha256().digest();

  private MerkleTree() {}

  /** The root of the empty tree: SHA-256 of nothing (RFC 9162 §2.1.1). */
  public static byte[] emptyRoot() {
    return EMPTY_ROOT.clone();
  }

  /** {@code SHA-256(0x00 || eventHash)}. */
  public static byte[] leafHash(MessageDigest md, byte[] eventHash) {
    md.reset();
    md.update(LEAF);
    md.update(eventHash);
    return md.digest();
  }

  /** {@code SHA-256(0x01 || left || right)}. */
  public static byte[] nodeHash(MessageDigest md, byte[] left, byte[] right) {
    md.reset();
    md.update(NODE);
    md.update(left);
    md.update(right);
    return md.digest();
  }

  /**
   * {@code SHA-256(0x01 || a[aOff..] || b[bOff..])} written to {@code out[outOff..]}, without
   * allocating (for bulk work over millions of leaves).
   */
  static void nodeHash(
      MessageDigest md, byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff) {
    md.reset();
    md.update(NODE);
    md.update(a, aOff, HASH_LENGTH);
    md.update(b, bOff, HASH_LENGTH);
    try {
      md.digest(out, outOff, HASH_LENGTH);
    } catch (DigestException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The largest power of two smaller than {@code n} ({@code n >= 2}): where a tree splits. */
  static long split(long n) {
    return Long.highestOneBit(n - 1);
  }

  /**
   * A node of a tree: the subtree over the leaves {@code [start, end)}. A node is either perfect
   * (its size a power of two, its start a multiple of it) or on the right edge of the tree (its end
   * the tree's size).
   */
  public record Range(long start, long end) {
    public long size() {
      return end - start;
    }

    public boolean perfect() {
      long s = size();
      return s > 0 && (s & (s - 1)) == 0 && start % s == 0;
    }

    /** log2 of the size of a perfect node. */
    public int level() {
      return Long.numberOfTrailingZeros(size());
    }
  }

  /**
   * The nodes of an inclusion proof of leaf {@code index} in the tree of {@code size} leaves, from
   * the leaf's sibling up to the root's child: RFC 9162 §2.1.3.1, {@code PATH(m, D[n])}.
   */
  public static List<Range> inclusionPath(long index, long size) {
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException(
          "leaf " + index + " is not in a tree of " + size + " leaves");
    }
    List<Range> out = new ArrayList<>();
    path(index, 0, size, out);
    return out;
  }

  private static void path(long m, long start, long end, List<Range> out) {
    long n = end - start;
    if (n == 1) {
      return;
    }
    long k = split(n);
    if (m < k) {
      path(m, start, start + k, out);
      out.add(new Range(start + k, end));
    } else {
      path(m - k, start + k, end, out);
      out.add(new Range(start, start + k));
    }
  }

  /**
   * The nodes of a consistency proof between the trees of {@code size1} and {@code size2} leaves:
   * RFC 9162 §2.1.4.1, {@code PROOF(m, D[n])}; empty when {@code size1} is 0 or equals {@code
   * size2}. Every node is a node of the larger tree.
   */
  public static List<Range> consistencyPath(long size1, long size2) {
    if (size1 < 0 || size1 > size2) {
      throw new IllegalArgumentException(
          "no consistency proof from " + size1 + " to " + size2 + " leaves");
    }
    List<Range> out = new ArrayList<>();
    if (size1 > 0 && size1 < size2) {
      subproof(size1, 0, size2, true, out);
    }
    return out;
  }

  private static void subproof(long m, long start, long end, boolean whole, List<Range> out) {
    long n = end - start;
    if (m == n) {
      if (!whole) {
        out.add(new Range(start, end));
      }
      return;
    }
    long k = split(n);
    if (m <= k) {
      subproof(m, start, start + k, whole, out);
      out.add(new Range(start + k, end));
    } else {
      subproof(m - k, start + k, end, false, out);
      out.add(new Range(start, start + k));
    }
  }

  /**
   * Whether {@code path} proves that {@code leafHash} is leaf {@code index} of the tree of {@code
   * size} leaves whose root is {@code root}: RFC 9162 §2.1.3.2.
   */
  public static boolean verifyInclusion(
      long index, long size, byte[] leafHash, List<byte[]> path, byte[] root) {
    if (index < 0 || index >= size) {
      return false;
    }
    MessageDigest md = EventHash.sha256();
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash;
    for (byte[] p : path) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = nodeHash(md, p, r);
        if ((fn & 1) == 0) {
          while ((fn & 1) == 0 && fn != 0) {
            fn >>= 1;
            sn >>= 1;
          }
        }
      } else {
        r = nodeHash(md, r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  /**
   * Whether {@code path} proves that the tree of {@code size2} leaves with root {@code root2}
   * extends the tree of {@code size1} leaves with root {@code root1} (appends only): RFC 9162
   * §2.1.4.2. Equal sizes need equal roots and an empty path; size 0 is extended by every tree.
   */
  public static boolean verifyConsistency(
      long size1, long size2, byte[] root1, byte[] root2, List<byte[]> path) {
    if (size1 < 0 || size1 > size2) {
      return false;
    }
    if (size1 == size2) {
      return path.isEmpty() && MessageDigest.isEqual(root1, root2);
    }
    if (size1 == 0) {
      return path.isEmpty();
    }
    if (path.isEmpty()) {
      return false;
    }
    List<byte[]> c = new ArrayList<>(path.size() + 1);
    if ((size1 & (size1 - 1)) == 0) {
      c.add(root1);
    }
    c.addAll(path);
    MessageDigest md = EventHash.sha256();
    long fn = size1 - 1;
    long sn = size2 - 1;
    while ((fn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
    }
    byte[] fr = c.get(0);
    byte[] sr = c.get(0);
    for (int i = 1; i < c.size(); i++) {
      byte[] p = c.get(i);
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = nodeHash(md, p, fr);
        sr = nodeHash(md, p, sr);
        if ((fn & 1) == 0) {
          while ((fn & 1) == 0 && fn != 0) {
            fn >>= 1;
            sn >>= 1;
          }
        }
      } else {
        sr = nodeHash(md, sr, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(fr, root1) && MessageDigest.isEqual(sr, root2);
  }

  /**
   * The root of the perfect subtree over {@code count} (a power of two) consecutive leaf hashes
   * stored back to back in {@code leaves} from {@code offset}.
   */
  public static byte[] perfectRoot(MessageDigest md, byte[] leaves, int offset, int count) {
    byte[] level = Arrays.copyOfRange(leaves, offset, offset + count * HASH_LENGTH);
    for (int n = count; n > 1; n /= 2) {
      for (int i = 0; i < n / 2; i++) {
        nodeHash(
            md,
            level,
            2 * i * HASH_LENGTH,
            level,
            (2 * i + 1) * HASH_LENGTH,
            level,
            i * HASH_LENGTH);
      }
    }
    return Arrays.copyOf(level, HASH_LENGTH);
  }
}
