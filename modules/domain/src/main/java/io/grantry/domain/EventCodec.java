package io.grantry.domain;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Turns an aggregate's events into a (type string, JSON payload) pair and back. The event store
 * wraps the pair into its own record; the domain does not know the store.
 *
 * <p>Type strings are versioned ({@code client.registered.v1}) and never renamed once written; a
 * later version gets a new string and old ones are upcast in {@link #fromJson}.
 *
 * @param <E> the aggregate's event type
 */
public interface EventCodec<E> {

  /** The versioned type string of {@code event}. */
  String type(E event);

  /** The event's payload; holds no secret (hashes and encrypted keys only). */
  JsonObject toJson(E event);

  /**
   * Reads an event back.
   *
   * @throws UnknownEventTypeException if {@code type} is not one of {@link #types()}
   * @throws EventCodecException if the payload lacks a field or has a malformed one
   */
  E fromJson(String type, JsonObject payload);

  /** Every type string this codec reads. */
  Set<String> types();
}
