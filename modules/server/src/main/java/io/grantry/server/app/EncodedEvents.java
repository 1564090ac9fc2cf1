package io.grantry.server.app;

import io.vertx.core.json.JsonObject;
import java.util.IdentityHashMap;

/**
 * The domain events an {@link Aggregate} has just encoded, found again by the identity of their
 * JSON payload, so that the inline projection of the same append does not decode what was encoded a
 * moment before (the token-state projection's decoding was 3% of a client_credentials request's
 * CPU). The event store hands the very payload object of each appended event to the inline
 * projections, in the same event loop thread: {@link #take} then finds it; anywhere else (another
 * thread, a replay, events read back from the database) it finds nothing and the caller decodes, so
 * the memo can only save work, never change a result (an encoded event decodes to an equal event).
 * Per thread, never more than {@link #MAX} entries: payloads whose append failed before reaching
 * the projection are dropped with the rest when the limit is reached.
 */
public final class EncodedEvents {
  static final int MAX = 4096;
  private static final ThreadLocal<IdentityHashMap<JsonObject, Object>> RECENT =
      ThreadLocal.withInitial(IdentityHashMap::new);

  private EncodedEvents() {}

  /**
   * Notes that {@code payload} is the encoding of {@code event} (payloads are never changed once
   * encoded).
   */
  public static void remember(JsonObject payload, Object event) {
    IdentityHashMap<JsonObject, Object> m = RECENT.get();
    if (m.size() >= MAX) {
      m.clear();
    }
    m.put(payload, event);
  }

  /**
   * The event {@code payload} was encoded from in this thread, forgotten from now on; null when
   * unknown.
   */
  public static Object take(JsonObject payload) {
    return RECENT.get().remove(payload);
  }
}
