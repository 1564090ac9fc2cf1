package io.grantry.eventstore.merkle;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * An RFC 9162 inclusion proof of one event in a signed tree head, in RFC 9162's vocabulary (hashes
 * in base64): {@code leaf_index}, {@code tree_size}, {@code leaf_hash}, {@code inclusion_path};
 * with the signed note of the tree head it is against ({@code checkpoint}) and the event itself
 * ({@code event}, as an export writes it, or the stub of an archived event) so that the leaf hash
 * can be recomputed from it.
 */
public record InclusionProof(
    long leafIndex,
    long treeSize,
    byte[] leafHash,
    List<byte[]> path,
    String checkpoint,
    JsonObject event) {
  public InclusionProof {
    path = List.copyOf(path);
  }

  /** Whether the path leads from the leaf hash to {@code root} (RFC 9162 §2.1.3.2). */
  public boolean verify(byte[] root) {
    return MerkleTree.verifyInclusion(leafIndex, treeSize, leafHash, path, root);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("leaf_index", leafIndex)
        .put("tree_size", treeSize)
        .put("leaf_hash", b64(leafHash))
        .put("inclusion_path", array(path))
        .put("checkpoint", checkpoint)
        .put("event", event);
  }

  /**
   * Reads {@link #toJson()}'s form.
   *
   * @throws IllegalArgumentException when a field is missing or malformed
   */
  public static InclusionProof fromJson(JsonObject j) {
    try {
      return new InclusionProof(
          j.getLong("leaf_index"),
          j.getLong("tree_size"),
          Base64.getDecoder().decode(j.getString("leaf_hash")),
          hashes(j.getJsonArray("inclusion_path")),
          j.getString("checkpoint"),
          j.getJsonObject("event"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not an inclusion proof: " + e.getMessage(), e);
    }
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  static JsonArray array(List<byte[]> hashes) {
    JsonArray a = new JsonArray();
    hashes.forEach(h -> a.add(b64(h)));
    return a;
  }

  static List<byte[]> hashes(JsonArray a) {
    List<byte[]> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      byte[] h = Base64.getDecoder().decode(a.getString(i));
      if (h.length != MerkleTree.HASH_LENGTH) {
        throw new IllegalArgumentException("a hash has 32 bytes");
      }
      out.add(h);
    }
    return out;
  }
}
