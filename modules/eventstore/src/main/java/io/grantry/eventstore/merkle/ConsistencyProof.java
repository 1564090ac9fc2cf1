package io.grantry.eventstore.merkle;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * An RFC 9162 consistency proof between two tree heads, in RFC 9162's vocabulary: {@code
 * first_tree_size}, {@code second_tree_size}, {@code consistency_path} (base64); with the signed
 * note of the second head ({@code checkpoint}) and, when the first size is a signed head too, its
 * note ({@code first_checkpoint}).
 */
public record ConsistencyProof(
    long firstSize, long secondSize, List<byte[]> path, String checkpoint, String firstCheckpoint) {
  public ConsistencyProof {
    path = List.copyOf(path);
  }

  /** Whether the path shows the second tree extends the first (RFC 9162 §2.1.4.2). */
  public boolean verify(byte[] firstRoot, byte[] secondRoot) {
    return MerkleTree.verifyConsistency(firstSize, secondSize, firstRoot, secondRoot, path);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("first_tree_size", firstSize)
        .put("second_tree_size", secondSize)
        .put("consistency_path", InclusionProof.array(path))
        .put("checkpoint", checkpoint)
        .put("first_checkpoint", firstCheckpoint);
  }

  /**
   * Reads {@link #toJson()}'s form.
   *
   * @throws IllegalArgumentException when a field is missing or malformed
   */
  public static ConsistencyProof fromJson(JsonObject j) {
    try {
      return new ConsistencyProof(
          j.getLong("first_tree_size"),
          j.getLong("second_tree_size"),
          InclusionProof.hashes(j.getJsonArray("consistency_path")),
          j.getString("checkpoint"),
          j.getString("first_checkpoint"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a consistency proof: " + e.getMessage(), e);
    }
  }
}
