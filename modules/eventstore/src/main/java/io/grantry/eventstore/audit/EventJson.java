package io.grantry.eventstore.audit;

import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;

/**
 * An event as an export line, an archive line and the {@code event} of an inclusion proof write it:
 * every field its hash covers, its place in commit order and its hashes (hex), so that its hash can
 * be recomputed from the line alone.
 */
public final class EventJson {
  private EventJson() {}

  public static JsonObject toJson(RecordedEvent e) {
    HexFormat hex = HexFormat.of();
    return new JsonObject()
        .put("position", e.position())
        .put("commit_order", new GlobalPosition(e.txid(), e.position()).toString())
        .put("event_id", e.eventId().toString())
        .put("stream_id", e.streamId())
        .put("version", e.version())
        .put("type", e.type())
        .put("recorded_at", e.recordedAt().toString())
        .put("payload", e.payload())
        .put("metadata", e.metadata())
        .put("prev_hash", hex.formatHex(e.prevHash()))
        .put("hash", hex.formatHex(e.hash()))
        .put("txid", e.txid());
  }

  /**
   * Reads a line written by {@link #toJson}.
   *
   * @throws IllegalArgumentException when a field is missing or malformed
   */
  public static RecordedEvent fromJson(JsonObject j) {
    HexFormat hex = HexFormat.of();
    try {
      return new RecordedEvent(
          j.getLong("position"),
          j.getLong("txid"),
          UUID.fromString(j.getString("event_id")),
          j.getString("stream_id"),
          j.getLong("version"),
          j.getString("type"),
          j.getJsonObject("payload"),
          j.getJsonObject("metadata"),
          Instant.parse(j.getString("recorded_at")),
          hex.parseHex(j.getString("prev_hash")),
          hex.parseHex(j.getString("hash")));
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException(
          "malformed event at position " + j.getValue("commit_order") + ": " + ex.getMessage(), ex);
    }
  }
}
