package io.grantry.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The canonical encoding straight from JSON text (bulk verification) against the encoding of the
 * parsed value (what was hashed at append time), on texts in jsonb's output form and others.
 */
class CanonicalJsonTextTest {
  static final List<String> TEXTS =
      List.of(
          "{}",
          "{\"a\": 1}",
          // jsonb's order: shorter keys first, so rarely the canonical order
          "{\"b\": 1, \"aa\": 2, \"abc\": {\"z\": [], \"yy\": [1, \"x\", null, true, false, {}], \"x\": {\"q\": \"r\"}}}",
          "{\"grant_id\": \"g-1\", \"client_id\": \"web\", \"scopes\": [\"openid\", \"api\"], \"issued_at\": \"2026-11-22T12:00:00.123Z\"}",
          "{\"s\": \"quote \\\" backslash \\\\ newline \\n tab \\t cr \\r bell \\u0007 del \\u007f\"}",
          "{\"u\": \"é ü 中文 😀\", \"é\": 1, \"e\": 2, \"z\": 3}",
          "{\"n\": -0, \"big\": 123456789012345678901234567890, \"long\": 9007199254740993, \"neg\": -42}",
          "[1, [2, [3, {\"b\": 1, \"a\": 2}]]]",
          "\"just a string\"",
          "{\"a\": {\"b\": {\"c\": {\"e\": 1, \"d\": 2}}}, \"A\": 0, \"_\": 1}");

  @Test
  void givesTheBytesOfTheParsedValue() {
    for (String text : TEXTS) {
      CanonicalBytes c = new CanonicalBytes();
      assertThat(c.appendText(text.getBytes(StandardCharsets.UTF_8))).as(text).isTrue();
      Object parsed = Json.decodeValue(text);
      assertThat(Arrays.copyOf(c.array(), c.length()))
          .as(text)
          .isEqualTo(CanonicalJson.bytes(parsed));
    }
  }

  @Test
  void leavesFractionsRepeatedNamesAndMalformedTextToTheParsedPath() {
    for (String text :
        List.of(
            "{\"a\": 1.5}",
            "{\"a\": 1e3}",
            "{\"a\": 1, \"a\": 2}",
            "{\"b\": 1, \"a\": 2, \"b\": 3}",
            "{\"a\": ",
            "{\"a\": 1} x",
            "",
            "{\"a\": 01}",
            "{\"a\": +1}",
            "{\"a\": -}",
            "{\"a\": 1.}",
            "{\"a\": tru}",
            "{\"a\": truex}",
            "{\"a\": [1,]}",
            "{\"a\": 1,}",
            "{\"a\" 1}",
            "{a: 1}",
            "{\"a\": \"\\x\"}",
            "{\"a\": \"\\ud83d\"}",
            "{\"a\": \"\\ude00\"}",
            "{\"a\": \"\\ud83d\\u0041\"}",
            "{\"a\": \"\\u12\"}",
            "{\"a\": \"tab\tinside\"}",
            "{\"a\": 1, \"\\u0061\": 2}",
            "\ufeff{}")) {
      assertThat(new CanonicalBytes().appendText(text.getBytes(StandardCharsets.UTF_8)))
          .as(text)
          .isFalse();
    }
  }

  @Test
  void anEventHashFromTextEqualsTheHashOfTheParsedEvent() {
    UUID id = UUID.randomUUID();
    Instant at = Instant.parse("2026-11-22T12:34:56.789012Z");
    byte[] prev = new byte[EventHash.LENGTH];
    prev[3] = 7;
    for (String text : TEXTS.subList(0, 7)) {
      JsonObject payload = new JsonObject(text);
      JsonObject metadata = new JsonObject("{\"request_id\": \"r-1\", \"actor\": \"client:web\"}");
      byte[] expected =
          EventHash.of(prev, "grant:g-1", 3, id, "grant.revoked.v1", at, payload, metadata);
      byte[] fromText =
          new EventHash.FromText()
              .hash(
                  prev,
                  "grant:g-1",
                  3,
                  id,
                  "grant.revoked.v1",
                  EventHash.micros(at),
                  text.getBytes(StandardCharsets.UTF_8),
                  "{\"actor\": \"client:web\", \"request_id\": \"r-1\"}"
                      .getBytes(StandardCharsets.UTF_8));
      assertThat(fromText).as(text).isEqualTo(expected);
    }
    // A changed payload gives another hash: the text path checks content, it does not skip it.
    assertThat(
            new EventHash.FromText()
                .hash(
                    prev,
                    "grant:g-1",
                    3,
                    id,
                    "grant.revoked.v1",
                    EventHash.micros(at),
                    "{\"a\": 2}".getBytes(StandardCharsets.UTF_8),
                    "{}".getBytes(StandardCharsets.UTF_8)))
        .isNotEqualTo(
            EventHash.of(
                prev,
                "grant:g-1",
                3,
                id,
                "grant.revoked.v1",
                at,
                new JsonObject("{\"a\": 1}"),
                new JsonObject()));
  }
}
