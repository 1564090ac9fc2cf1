package io.grantry.eventstore;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
   * Hashes events from their JSON as text (UTF-8, e.g. as PostgreSQL sends jsonb) without parsing
   * it into objects, the canonical encoding written into one reused buffer: equal to {@link
   * #of(byte[], String, long, UUID, String, Instant, JsonObject, JsonObject)} of the parsed values.
   * Not thread-safe: one per thread.
   */
  public static final class FromText {
    private final MessageDigest md = sha256();
    private final CanonicalBytes canonical = new CanonicalBytes();

    /**
     * The event's hash, or null when {@link CanonicalBytes#appendText} leaves its JSON to the
     * parsed path; then hash the parsed event.
     */
    public byte[] hash(
        byte[] prevHash,
        String streamId,
        long version,
        UUID eventId,
        String type,
        long recordedAtMicros,
        byte[] payload,
        byte[] metadata) {
      CanonicalBytes c = canonical.clear();
      c.append('[').appendString(streamId).append(',').appendLong(version).append(',');
      c.appendUuid(eventId).append(',').appendString(type).append(',');
      c.appendLong(recordedAtMicros).append(',');
      if (!c.appendText(payload)) {
        return null;
      }
      c.append(',');
      if (!c.appendText(metadata)) {
        return null;
      }
      c.append(']');
      md.reset();
      md.update(prevHash);
      md.update(c.array(), 0, c.length());
      return md.digest();
    }

    /** This hasher's digest, free between calls (e.g. for the Merkle leaf hash). */
    public MessageDigest digest() {
      return md;
    }
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
