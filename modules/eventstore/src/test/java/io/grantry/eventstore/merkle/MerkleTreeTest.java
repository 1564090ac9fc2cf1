package io.grantry.eventstore.merkle;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventHash;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tree, its proofs and their verification, checked against a second RFC 9162 implementation in
 * another style ({@link Rfc9162Reference}: recursive, from the definitions) and against the
 * published roots of Certificate Transparency's reference tree. Every proof of every leaf of trees
 * of 1 to 70 leaves must verify with both, and every altered proof must fail with both.
 */
class MerkleTreeTest {

  // ------------------------------------------------------------ helpers

  static List<byte[]> leaves(int n, long seed) {
    Random random = new Random(seed);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] h = new byte[32];
      random.nextBytes(h);
      out.add(Rfc9162Reference.leaf(h));
    }
    return out;
  }

  static List<byte[]> hashes(List<MerkleTree.Range> ranges, List<byte[]> leaves) {
    List<byte[]> out = new ArrayList<>();
    for (MerkleTree.Range r : ranges) {
      out.add(Rfc9162Reference.mth(leaves.subList((int) r.start(), (int) r.end())));
    }
    return out;
  }

  static Frontier frontier(List<byte[]> leaves) {
    Frontier f = new Frontier();
    MessageDigest md = EventHash.sha256();
    leaves.forEach(l -> f.append(md, l));
    return f;
  }

  // ------------------------------------------------------------ tests

  @Test
  void theRootsOfCertificateTransparencysReferenceTreeAreReproduced() {
    HexFormat hex = HexFormat.of();
    String[] data = {
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f"
    };
    String[] roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    };
    Frontier f = new Frontier();
    MessageDigest md = EventHash.sha256();
    for (int i = 0; i < data.length; i++) {
      f.append(md, MerkleTree.leafHash(md, hex.parseHex(data[i])));
      assertThat(hex.formatHex(f.root(md))).as("root of %d leaves", i + 1).isEqualTo(roots[i]);
    }
    assertThat(hex.formatHex(new Frontier().root(md)))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void theFrontiersRootIsTheTreeHashOfTheDefinitionAtEverySize() {
    List<byte[]> leaves = leaves(300, 1);
    Frontier f = new Frontier();
    MessageDigest md = EventHash.sha256();
    for (int n = 1; n <= leaves.size(); n++) {
      f.append(md, leaves.get(n - 1));
      assertThat(f.root(md)).isEqualTo(Rfc9162Reference.mth(leaves.subList(0, n)));
      // A frontier stored and read back continues the same tree.
      Frontier back = Frontier.fromEncoded(n, f.encoded());
      assertThat(back.root(md)).isEqualTo(f.root(md));
    }
  }

  @Test
  void appendingReportsEveryPerfectSubtreeItCompletes() {
    List<byte[]> leaves = leaves(1100, 2);
    List<String> seen = new ArrayList<>();
    Frontier f = new Frontier();
    MessageDigest md = EventHash.sha256();
    for (byte[] l : leaves) {
      f.append(
          md,
          l,
          0,
          (level, index, hash, off) -> {
            byte[] h = Arrays.copyOfRange(hash, off, off + 32);
            int size = 1 << level;
            assertThat(h)
                .isEqualTo(
                    Rfc9162Reference.mth(
                        leaves.subList((int) index * size, (int) (index + 1) * size)));
            seen.add(level + ":" + index);
          },
          8);
    }
    // 1100 leaves: 4 subtrees of 256, 2 of 512, 1 of 1024.
    assertThat(seen).containsExactlyInAnyOrder("8:0", "8:1", "9:0", "8:2", "8:3", "9:1", "10:0");
  }

  @Test
  void everyInclusionProofVerifiesWithBothImplementationsAndAnyChangeFails() {
    for (int n = 1; n <= 70; n++) {
      List<byte[]> leaves = leaves(n, n);
      byte[] root = Rfc9162Reference.mth(leaves);
      for (int m = 0; m < n; m++) {
        List<byte[]> proof = hashes(MerkleTree.inclusionPath(m, n), leaves);
        byte[] leaf = leaves.get(m);
        assertThat(MerkleTree.verifyInclusion(m, n, leaf, proof, root)).isTrue();
        assertThat(Rfc9162Reference.verifyInclusion(m, n, leaf, proof, root)).isTrue();
        // Another leaf, another index, another size, a changed hash, a missing hash: refused.
        byte[] other = leaves.get((m + 1) % n);
        if (n > 1) {
          assertThat(MerkleTree.verifyInclusion(m, n, other, proof, root)).isFalse();
          assertThat(MerkleTree.verifyInclusion((m + 1) % n, n, leaf, proof, root)).isFalse();
          assertThat(MerkleTree.verifyInclusion(m, n, leaf, proof.subList(1, proof.size()), root))
              .isFalse();
          List<byte[]> bent = new ArrayList<>(proof);
          bent.set(0, Rfc9162Reference.leaf(new byte[] {9}));
          assertThat(MerkleTree.verifyInclusion(m, n, leaf, bent, root)).isFalse();
          assertThat(Rfc9162Reference.verifyInclusion(m, n, leaf, bent, root)).isFalse();
        }
        // The same leaves and one more: another size, another root.
        List<byte[]> longer = new ArrayList<>(leaves);
        longer.add(Rfc9162Reference.leaf(new byte[] {5}));
        assertThat(MerkleTree.verifyInclusion(m, n + 1, leaf, proof, Rfc9162Reference.mth(longer)))
            .isFalse();
        assertThat(
                MerkleTree.verifyInclusion(m, n, leaf, proof, Rfc9162Reference.mth(leaves(n, -n))))
            .isFalse();
      }
    }
  }

  @Test
  void everyConsistencyProofVerifiesWithBothImplementationsAndAForkDoesNot() {
    for (int n = 1; n <= 70; n++) {
      List<byte[]> leaves = leaves(n, 100 + n);
      byte[] newRoot = Rfc9162Reference.mth(leaves);
      for (int m = 1; m <= n; m++) {
        byte[] oldRoot = Rfc9162Reference.mth(leaves.subList(0, m));
        List<byte[]> proof = hashes(MerkleTree.consistencyPath(m, n), leaves);
        assertThat(MerkleTree.verifyConsistency(m, n, oldRoot, newRoot, proof))
            .as("%d -> %d", m, n)
            .isTrue();
        assertThat(Rfc9162Reference.verifyConsistency(m, n, oldRoot, newRoot, proof))
            .as("second verifier %d -> %d", m, n)
            .isTrue();
        // A fork: the old tree's last leaf differs from the new tree's.
        List<byte[]> forked = new ArrayList<>(leaves.subList(0, m));
        forked.set(m - 1, Rfc9162Reference.leaf("fork".getBytes(StandardCharsets.UTF_8)));
        byte[] forkedRoot = Rfc9162Reference.mth(forked);
        assertThat(MerkleTree.verifyConsistency(m, n, forkedRoot, newRoot, proof)).isFalse();
        assertThat(Rfc9162Reference.verifyConsistency(m, n, forkedRoot, newRoot, proof)).isFalse();
        if (!proof.isEmpty()) {
          List<byte[]> bent = new ArrayList<>(proof);
          bent.set(bent.size() - 1, Rfc9162Reference.leaf(new byte[] {7}));
          assertThat(MerkleTree.verifyConsistency(m, n, oldRoot, newRoot, bent)).isFalse();
          assertThat(Rfc9162Reference.verifyConsistency(m, n, oldRoot, newRoot, bent)).isFalse();
        }
      }
    }
  }

  @Test
  void proofsOfALargeTreeHaveLogarithmicLength() {
    long n = 20_000_000L;
    assertThat(MerkleTree.inclusionPath(12_345_678L, n)).hasSizeBetween(24, 25);
    assertThat(MerkleTree.consistencyPath(19_000_000L, n).size()).isLessThanOrEqualTo(50);
    // Every node of a proof is a node of the larger tree: perfect, or on its right edge.
    for (MerkleTree.Range r : MerkleTree.consistencyPath(19_000_001L, n)) {
      assertThat(r.perfect() || r.end() == n).as(r.toString()).isTrue();
    }
  }
}
