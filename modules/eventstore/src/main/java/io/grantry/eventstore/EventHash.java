package io.grantry.eventstore;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * The per-stream hash chain: {@code hash = SHA-256(prevHash || canonical(event))}, where the first
 * event of a stream has 32 zero bytes as its predecessor. Editing, removing or reordering an event
 * breaks the chain from that event on; whole streams are covered by the signed checkpoints.
 */
public final class EventHash {
  public static final int LENGTH = 32;
  private static final byte[] GENESIS = new byte[LENGTH];

  private EventHash() {}

  public static byte[] genesis() {
    return GENESIS.clone();
  }

  /** Timestamps are hashed at microsecond precision, the precision PostgreSQL stores. */
  public static Instant truncate(Instant t) {
    return t.truncatedTo(ChronoUnit.MICROS);
  }

  public static long micros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
  }

  public static byte[] of(
      byte[] prevHash,
      String streamId,
      long version,
      UUID eventId,
      String type,
      Instant recordedAt,
      JsonObject payload,
      JsonObject metadata) {
    JsonArray canonical =
        new JsonArray()
            .add(streamId)
            .add(version)
            .add(eventId.toString())
            .add(type)
            .add(micros(recordedAt))
            .add(payload)
            .add(metadata);
    MessageDigest md = sha256();
    md.update(prevHash);
    md.update(CanonicalJson.bytes(canonical));
    return md.digest();
  }

  /**
   * The hash from the event's JSON as text (UTF-8, e.g. as PostgreSQL sends jsonb), without parsing
   * it into objects: equal to {@link #of(byte[], String, long, UUID, String, Instant, JsonObject,
   * JsonObject)} of the parsed values. Null when {@link CanonicalJson#appendText} leaves the text
   * to the parsed path; then hash the parsed event.
   */
  public static byte[] ofText(
      MessageDigest md,
      byte[] prevHash,
      String streamId,
      long version,
      UUID eventId,
      String type,
      long recordedAtMicros,
      byte[] payload,
      byte[] metadata) {
    StringBuilder sb = new StringBuilder(64 + payload.length + metadata.length);
    sb.append('[');
    CanonicalJson.appendText(sb, streamId);
    sb.append(',').append(version).append(',');
    CanonicalJson.appendText(sb, eventId.toString());
    sb.append(',');
    CanonicalJson.appendText(sb, type);
    sb.append(',').append(recordedAtMicros).append(',');
    if (!CanonicalJson.appendText(sb, payload)) {
      return null;
    }
    sb.append(',');
    if (!CanonicalJson.appendText(sb, metadata)) {
      return null;
    }
    sb.append(']');
    md.reset();
    md.update(prevHash);
    md.update(sb.toString().getBytes(StandardCharsets.UTF_8));
    return md.digest();
  }

  public static byte[] of(RecordedEvent e) {
    return of(
        e.prevHash(),
        e.streamId(),
        e.version(),
        e.eventId(),
        e.type(),
        e.recordedAt(),
        e.payload(),
        e.metadata());
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
