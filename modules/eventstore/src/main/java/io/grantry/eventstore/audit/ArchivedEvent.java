package io.grantry.eventstore.audit;

import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.HexFormat;

/**
 * What the database keeps of an event moved into an archive file (a row of {@code
 * archived_events}): its place in commit order, its stream and version, and its hashes. The signed
 * checkpoints' running digest goes through {@code hash}, and the stream chain through {@code
 * prevHash} and {@code hash}, so the ledger without the archive still proves where archived events
 * were, how many and which hashes; the archive file proves their content.
 */
public record ArchivedEvent(
    long position,
    long txid,
    String streamId,
    long version,
    byte[] prevHash,
    byte[] hash,
    String archiveId) {
  public static final String COLUMNS =
      "position, txid, stream_id, version, prev_hash, hash, archive_id";

  public GlobalPosition commitOrder() {
    return new GlobalPosition(txid, position);
  }

  public static ArchivedEvent of(RecordedEvent e, String archiveId) {
    return new ArchivedEvent(
        e.position(), e.txid(), e.streamId(), e.version(), e.prevHash(), e.hash(), archiveId);
  }

  public static ArchivedEvent fromRow(Row r) {
    return new ArchivedEvent(
        r.getLong("position"),
        r.getLong("txid"),
        r.getString("stream_id"),
        r.getLong("version"),
        r.getBuffer("prev_hash").getBytes(),
        r.getBuffer("hash").getBytes(),
        r.getString("archive_id"));
  }

  /** The line of an export that stands for this archived event. */
  public JsonObject toJson() {
    HexFormat hex = HexFormat.of();
    return new JsonObject()
        .put("archived", archiveId)
        .put("commit_order", commitOrder().toString())
        .put("position", position)
        .put("txid", txid)
        .put("stream_id", streamId)
        .put("version", version)
        .put("prev_hash", hex.formatHex(prevHash))
        .put("hash", hex.formatHex(hash));
  }

  /**
   * Reads an export line written by {@link #toJson()}; throws IllegalArgumentException when
   * malformed.
   */
  public static ArchivedEvent fromJson(JsonObject j) {
    HexFormat hex = HexFormat.of();
    try {
      return new ArchivedEvent(
          j.getLong("position"),
          j.getLong("txid"),
          j.getString("stream_id"),
          j.getLong("version"),
          hex.parseHex(j.getString("prev_hash")),
          hex.parseHex(j.getString("hash")),
          j.getString("archived"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed archived-event line: " + e.getMessage(), e);
    }
  }
}
