package io.grantry.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
  @Test
  void keysAreSortedAndNumbersNormalised() {
    JsonObject a =
        new JsonObject().put("b", 1).put("a", new JsonObject().put("z", 1.50).put("y", 2L));
    assertThat(CanonicalJson.string(a)).isEqualTo("{\"a\":{\"y\":2,\"z\":1.5},\"b\":1}");
  }

  @Test
  void theSameValueParsedBackHashesTheSame() {
    JsonObject original =
        new JsonObject()
            .put("s", "tab\t\"q\"\u0001")
            .put("n", 10.0)
            .put("l", 1234567890123L)
            .put("arr", new JsonArray().add(true).addNull());
    JsonObject reparsed = new JsonObject(original.encodePrettily());
    assertThat(CanonicalJson.bytes(reparsed)).isEqualTo(CanonicalJson.bytes(original));
    assertThat(CanonicalJson.string(original)).contains("\"n\":10").contains("\\u0001");
  }
}
