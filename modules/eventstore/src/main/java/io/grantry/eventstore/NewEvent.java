package io.grantry.eventstore;

import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.UUID;

/**
 * An event about to be appended. The payload must never hold a secret: codes, refresh tokens and
 * client secrets travel as hashes (DESIGN.md, "Tamper evidence").
 *
 * @param eventId unique id of the event; chosen by the caller so a retried command is idempotent
 * @param type versioned type string, e.g. {@code client.registered.v1}; never renamed once written
 * @param payload the event body
 * @param metadata correlation id, causation id, actor, request id
 */
public record NewEvent(UUID eventId, String type, JsonObject payload, JsonObject metadata) {
  public NewEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(type, "type");
    payload = payload == null ? new JsonObject() : payload;
    metadata = metadata == null ? new JsonObject() : metadata;
  }

  public static NewEvent of(String type, JsonObject payload) {
    return new NewEvent(EventIds.next(), type, payload, new JsonObject());
  }

  public static NewEvent of(String type, JsonObject payload, JsonObject metadata) {
    return new NewEvent(EventIds.next(), type, payload, metadata);
  }
}
