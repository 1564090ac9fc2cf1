package io.grantry.eventstore.audit;

import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The ledger's record of an archive: an event on the {@value #STREAM} stream, appended before any
 * event leaves the database (the events table's trigger refuses the deletion otherwise). It names
 * the archive file and its SHA-256, how many events of how many streams it holds, the signed
 * checkpoint they all precede, and the cutoff used. Being an event, it is hash-chained and covered
 * by the next signed checkpoint like any other.
 *
 * @param archiveId the archive's id, also its file name without {@value #EXTENSION}
 * @param sha256 hex SHA-256 of the whole archive file
 * @param events events moved out of the database into the file
 * @param streams streams those events belong to (every event of each)
 * @param through the signed checkpoint every archived event is at or before
 * @param cutoff streams dead before this instant were archived
 */
public record ArchiveManifest(
    String archiveId,
    String sha256,
    long events,
    long streams,
    GlobalPosition through,
    Instant cutoff) {
  public static final String STREAM = "archives";
  public static final String TYPE = "ledger.archive_created.v1";

  /** The first line of an archive file names this format. */
  public static final String FORMAT = "grantry-ledger-archive/1";

  public static final String EXTENSION = ".jsonl";

  public String fileName() {
    return archiveId + EXTENSION;
  }

  public JsonObject toPayload() {
    return new JsonObject()
        .put("archive_id", archiveId)
        .put("file", fileName())
        .put("sha256", sha256)
        .put("events", events)
        .put("streams", streams)
        .put("through", through.toString())
        .put("cutoff", cutoff.toString());
  }

  public static boolean isManifest(RecordedEvent e) {
    return STREAM.equals(e.streamId()) && TYPE.equals(e.type());
  }

  /** Reads a manifest event's payload; throws IllegalArgumentException when it is malformed. */
  public static ArchiveManifest fromPayload(JsonObject p) {
    try {
      String id = p.getString("archive_id");
      if (id == null || !id.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException("bad archive_id " + id);
      }
      return new ArchiveManifest(
          id,
          p.getString("sha256"),
          p.getLong("events"),
          p.getLong("streams"),
          GlobalPosition.parse(p.getString("through")),
          Instant.parse(p.getString("cutoff")));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed archive manifest: " + e.getMessage(), e);
    }
  }
}
