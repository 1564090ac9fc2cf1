package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * A signed checkpoint: the ledger digest over every event up to {@code position} in commit order,
 * signed with the server's ES256 key and appended as an event on the {@value #STREAM} stream.
 *
 * <p>The digest is a running hash in commit order, {@code d_n = SHA-256(d_{n-1} || hash_n)} with
 * {@code d_0} = 32 zero bytes, where {@code hash_n} is the event's own chained hash (which covers
 * its content, stream, version and predecessor). Removing, editing, inserting or reordering any
 * event before the position changes the digest. Each checkpoint also names the previous one ({@code
 * prev_position}, {@code prev_digest}), so the checkpoints form a chain of their own and
 * verification can resume from any verified checkpoint.
 *
 * @param position the last event covered, in commit order
 * @param count how many events the digest covers (from the start of the ledger)
 * @param digest the running digest after the event at {@code position}
 * @param prevPosition the previous checkpoint's position ({@code 0:0} for the first)
 * @param prevDigest the previous checkpoint's digest (zeros for the first)
 *     <p>Since {@value #TYPE_V2} a checkpoint also carries the Merkle tree (RFC 9162) over the same
 *     events ({@link Tree}): its root, signed in the JWS too, the frontier it was continued from
 *     and will be continued from, and the tree head as a signed note for transparency-log tooling.
 *     A {@value #TYPE} checkpoint has none; verification computes the tree over it all the same.
 * @param kid the signing key's id
 * @param jws compact JWS (typ {@value #TYP}) whose claims are the fields above (and the root)
 * @param tree the Merkle tree of the {@code count} events, null in a {@value #TYPE} checkpoint
 */
public record Checkpoint(
    GlobalPosition position,
    long count,
    byte[] digest,
    GlobalPosition prevPosition,
    byte[] prevDigest,
    String kid,
    String jws,
    Tree tree) {
  public static final String STREAM = "checkpoints";
  public static final String TYPE = "ledger.checkpoint_signed.v1";
  public static final String TYPE_V2 = "ledger.checkpoint_signed.v2";
  public static final String TYP = "grantry-checkpoint+jwt";

  /**
   * The Merkle tree of the checkpoint's {@code count} events.
   *
   * @param root the RFC 9162 root hash
   * @param frontier the roots of the tree's maximal perfect subtrees, largest first (see {@link
   *     io.grantry.eventstore.merkle.Frontier})
   * @param note the tree head as a C2SP {@code tlog-checkpoint} signed note (Ed25519), or null when
   *     the checkpoint was signed without a note key
   */
  public record Tree(byte[] root, List<String> frontier, String note) {
    public Tree {
      frontier = List.copyOf(frontier);
    }
  }

  /** A checkpoint without a tree (as {@value #TYPE} ones are). */
  public Checkpoint(
      GlobalPosition position,
      long count,
      byte[] digest,
      GlobalPosition prevPosition,
      byte[] prevDigest,
      String kid,
      String jws) {
    this(position, count, digest, prevPosition, prevDigest, kid, jws, null);
  }

  /** The event type this checkpoint is written as. */
  public String type() {
    return tree == null ? TYPE : TYPE_V2;
  }

  private static final HexFormat HEX = HexFormat.of();

  public static byte[] genesis() {
    return new byte[EventHash.LENGTH];
  }

  /** One step of the running digest. */
  public static byte[] next(MessageDigest md, byte[] digest, byte[] eventHash) {
    md.reset();
    md.update(digest);
    md.update(eventHash);
    return md.digest();
  }

  /** The claims signed in the JWS: everything but the JWS itself. */
  public static JsonObject claims(
      GlobalPosition position,
      long count,
      byte[] digest,
      GlobalPosition prevPosition,
      byte[] prevDigest) {
    return new JsonObject()
        .put("position", position.toString())
        .put("count", count)
        .put("digest", HEX.formatHex(digest))
        .put("prev_position", prevPosition.toString())
        .put("prev_digest", HEX.formatHex(prevDigest));
  }

  /** The claims of a checkpoint with a tree: also its root (base64). */
  public static JsonObject claims(
      GlobalPosition position,
      long count,
      byte[] digest,
      GlobalPosition prevPosition,
      byte[] prevDigest,
      byte[] root) {
    return claims(position, count, digest, prevPosition, prevDigest)
        .put("root", Base64.getEncoder().encodeToString(root));
  }

  public JsonObject claims() {
    return tree == null
        ? claims(position, count, digest, prevPosition, prevDigest)
        : claims(position, count, digest, prevPosition, prevDigest, tree.root());
  }

  public JsonObject toPayload() {
    JsonObject p = claims().put("kid", kid).put("jws", jws);
    if (tree != null) {
      p.put("frontier", new JsonArray(new ArrayList<Object>(tree.frontier())));
      if (tree.note() != null) {
        p.put("note", tree.note());
      }
    }
    return p;
  }

  public static boolean isCheckpoint(RecordedEvent e) {
    return STREAM.equals(e.streamId()) && (TYPE.equals(e.type()) || TYPE_V2.equals(e.type()));
  }

  /** Reads a checkpoint event's payload; throws IllegalArgumentException when it is malformed. */
  public static Checkpoint fromPayload(JsonObject p) {
    try {
      Tree tree = null;
      if (p.containsKey("root")) {
        List<String> frontier = new ArrayList<>();
        p.getJsonArray("frontier").forEach(h -> frontier.add((String) h));
        tree =
            new Tree(
                Base64.getDecoder().decode(p.getString("root")), frontier, p.getString("note"));
      }
      return new Checkpoint(
          GlobalPosition.parse(p.getString("position")),
          p.getLong("count"),
          HEX.parseHex(p.getString("digest")),
          GlobalPosition.parse(p.getString("prev_position")),
          HEX.parseHex(p.getString("prev_digest")),
          p.getString("kid"),
          p.getString("jws"),
          tree);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed checkpoint payload: " + e.getMessage(), e);
    }
  }

  /** Whether the signed claims say exactly what the payload says. */
  public boolean matches(JsonObject signedClaims) {
    JsonObject c = claims();
    for (String k : c.fieldNames()) {
      if (!String.valueOf(c.getValue(k)).equals(String.valueOf(signedClaims.getValue(k)))) {
        return false;
      }
    }
    return true;
  }
}
