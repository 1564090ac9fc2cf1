package io.grantry.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The memo of just-encoded events: found only by the very payload object, once, in its thread. */
class EncodedEventsTest {
  @Test
  void aPayloadIsFoundByIdentityOnce() {
    JsonObject payload = new JsonObject().put("grant_id", "g1");
    Object event = new Object();
    EncodedEvents.remember(payload, event);
    assertThat(EncodedEvents.take(payload.copy()))
        .as("an equal payload read back from the database")
        .isNull();
    assertThat(EncodedEvents.take(payload)).isSameAs(event);
    assertThat(EncodedEvents.take(payload)).as("taken already").isNull();
  }

  @Test
  void anotherThreadFindsNothing() throws Exception {
    JsonObject payload = new JsonObject().put("grant_id", "g2");
    EncodedEvents.remember(payload, new Object());
    Object[] seen = {"unset"};
    Thread t = new Thread(() -> seen[0] = EncodedEvents.take(payload));
    t.start();
    t.join();
    assertThat(seen[0]).isNull();
    assertThat(EncodedEvents.take(payload)).isNotNull();
  }

  @Test
  void itNeverHoldsMoreThanItsLimit() {
    JsonObject first = new JsonObject();
    EncodedEvents.remember(first, new Object());
    for (int i = 0; i < EncodedEvents.MAX; i++) {
      EncodedEvents.remember(new JsonObject().put("n", i), new Object());
    }
    assertThat(EncodedEvents.take(first)).as("dropped when the limit was reached").isNull();
  }
}
