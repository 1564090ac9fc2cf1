package io.grantry.eventstore.merkle;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

/**
 * A second, minimal implementation of RFC 9162's Merkle tree for tests, written in another style
 * than {@link MerkleTree}: the tree hash straight from its recursive definition (§2.1.1), and
 * proofs verified by rebuilding the roots recursively from the proof (the definitions of §2.1.3.1
 * and §2.1.4.1 run backwards), where the main code walks a proof iteratively with the bit
 * arithmetic of §2.1.3.2 and §2.1.4.2. It shares no code with the main one.
 */
public final class Rfc9162Reference {
  private Rfc9162Reference() {}

  /** SHA-256 of the concatenation. */
  static byte[] sha(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) {
        md.update(p);
      }
      return md.digest();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] leaf(byte[] data) {
    return sha(new byte[] {0}, data);
  }

  static byte[] node(byte[] l, byte[] r) {
    return sha(new byte[] {1}, l, r);
  }

  static int k(int n) {
    int k = 1;
    while (k * 2 < n) {
      k *= 2;
    }
    return k;
  }

  /** MTH(D[n]) of RFC 9162 §2.1.1, over already hashed leaves. */
  public static byte[] mth(List<byte[]> leaves) {
    if (leaves.isEmpty()) {
      return sha();
    }
    if (leaves.size() == 1) {
      return leaves.get(0);
    }
    int k = k(leaves.size());
    return node(mth(leaves.subList(0, k)), mth(leaves.subList(k, leaves.size())));
  }

  /**
   * The root an inclusion proof implies, the proof read from its end (the root's child) back to the
   * leaf's sibling; null when the proof has the wrong length for {@code m} in {@code n}.
   */
  static byte[] rootFromInclusion(int m, int n, byte[] leaf, List<byte[]> proof) {
    if (n == 1) {
      return proof.isEmpty() ? leaf : null;
    }
    if (proof.isEmpty()) {
      return null;
    }
    byte[] last = proof.get(proof.size() - 1);
    List<byte[]> rest = proof.subList(0, proof.size() - 1);
    int k = k(n);
    if (m < k) {
      byte[] left = rootFromInclusion(m, k, leaf, rest);
      return left == null ? null : node(left, last);
    }
    byte[] right = rootFromInclusion(m - k, n - k, leaf, rest);
    return right == null ? null : node(last, right);
  }

  /**
   * The two roots (old, new) a consistency proof implies, following SUBPROOF(m, D[n], b) backwards;
   * {@code oldRoot} is the known root of the whole old tree (what SUBPROOF omits when b is true).
   */
  static byte[][] rootsFromConsistency(
      int m, int n, boolean whole, byte[] oldRoot, List<byte[]> proof) {
    if (m == n) {
      if (whole) {
        return proof.isEmpty() ? new byte[][] {oldRoot, oldRoot} : null;
      }
      return proof.size() == 1 ? new byte[][] {proof.get(0), proof.get(0)} : null;
    }
    if (proof.isEmpty()) {
      return null;
    }
    byte[] last = proof.get(proof.size() - 1);
    List<byte[]> rest = proof.subList(0, proof.size() - 1);
    int k = k(n);
    if (m <= k) {
      byte[][] sub = rootsFromConsistency(m, k, whole, oldRoot, rest);
      // The old tree lies in the left subtree; the new tree adds the right one.
      return sub == null ? null : new byte[][] {sub[0], node(sub[1], last)};
    }
    byte[][] sub = rootsFromConsistency(m - k, n - k, false, oldRoot, rest);
    // Both trees share the complete left subtree `last`.
    return sub == null ? null : new byte[][] {node(last, sub[0]), node(last, sub[1])};
  }

  public static boolean verifyInclusion(
      int m, int n, byte[] leaf, List<byte[]> proof, byte[] root) {
    byte[] r = m < n ? rootFromInclusion(m, n, leaf, proof) : null;
    return r != null && Arrays.equals(r, root);
  }

  public static boolean verifyConsistency(
      int m, int n, byte[] oldRoot, byte[] newRoot, List<byte[]> proof) {
    byte[][] r = rootsFromConsistency(m, n, true, oldRoot, proof);
    return r != null && Arrays.equals(r[0], oldRoot) && Arrays.equals(r[1], newRoot);
  }
}
