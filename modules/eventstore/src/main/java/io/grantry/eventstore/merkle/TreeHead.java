package io.grantry.eventstore.merkle;

import java.security.MessageDigest;
import java.util.Base64;

/**
 * A tree head as the text of a C2SP {@code tlog-checkpoint} note: the log's origin, the tree size
 * in decimal, the base64 root hash, each on a line of its own (no extension lines), so that
 * transparency-log tooling (Go's {@code sumdb/note}, witnesses) reads Grantry's signed tree heads.
 *
 * @param origin the log's name: by default the issuer's host and path followed by {@code /ledger}
 * @param size how many leaves (events, in commit order) the tree has
 * @param root its RFC 9162 root hash
 */
public record TreeHead(String origin, long size, byte[] root) {
  public TreeHead {
    NoteKey.checkName(origin);
    if (size < 0) {
      throw new IllegalArgumentException("a tree size is not negative");
    }
    if (root.length != MerkleTree.HASH_LENGTH) {
      throw new IllegalArgumentException("a root hash has 32 bytes");
    }
    root = root.clone();
  }

  @Override
  public byte[] root() {
    return root.clone();
  }

  public String rootBase64() {
    return Base64.getEncoder().encodeToString(root);
  }

  /** The note text: three lines, each ending in a newline. */
  public String text() {
    return origin + "\n" + size + "\n" + rootBase64() + "\n";
  }

  /**
   * Reads a checkpoint note's text.
   *
   * @throws IllegalArgumentException when it is not three lines: origin, size, base64 root
   */
  public static TreeHead parse(String text) {
    String[] lines = text.split("\n", -1);
    if (lines.length < 4 || !lines[lines.length - 1].isEmpty()) {
      throw new IllegalArgumentException(
          "a checkpoint is at least three lines: origin, size, root");
    }
    for (int i = 3; i < lines.length - 1; i++) {
      if (lines[i].isEmpty()) {
        throw new IllegalArgumentException("a checkpoint's extension lines are not empty");
      }
    }
    String size = lines[1];
    if (!size.matches("0|[1-9][0-9]{0,18}")) {
      throw new IllegalArgumentException("a checkpoint's size is a decimal without leading zeros");
    }
    byte[] root;
    try {
      root = Base64.getDecoder().decode(lines[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a checkpoint's root is standard base64");
    }
    try {
      return new TreeHead(lines[0], Long.parseLong(size), root);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("a checkpoint's size is too large");
    }
  }

  /** Same origin, size and root. */
  public boolean sameAs(TreeHead o) {
    return origin.equals(o.origin) && size == o.size && MessageDigest.isEqual(root, o.root);
  }
}
