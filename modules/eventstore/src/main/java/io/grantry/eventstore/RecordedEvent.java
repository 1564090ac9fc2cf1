package io.grantry.eventstore;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/**
 * An event as it stands in the ledger.
 *
 * @param position global position from a sequence: unique, increasing, but neither gap-free nor
 *     commit-ordered; use {@link #commitOrder()} to follow the ledger
 * @param txid the id of the transaction that wrote the event
 * @param version the event's version within its stream, from 1
 * @param prevHash the hash of the stream's previous event (32 zero bytes for the first)
 * @param hash SHA-256 over prevHash and the canonical encoding of this event
 */
public record RecordedEvent(
    long position,
    long txid,
    UUID eventId,
    String streamId,
    long version,
    String type,
    JsonObject payload,
    JsonObject metadata,
    Instant recordedAt,
    byte[] prevHash,
    byte[] hash) {

  public GlobalPosition commitOrder() {
    return new GlobalPosition(txid, position);
  }
}
