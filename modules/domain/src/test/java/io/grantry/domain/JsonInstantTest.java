package io.grantry.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written parser of event times gives what {@link Instant#parse} gives, or leaves the text
 * to it.
 */
class JsonInstantTest {
  @Test
  void parsesWhatInstantToStringWritesAsInstantParseDoes() {
    Random r = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      Instant t =
          Instant.ofEpochSecond(
              r.nextLong(0, 4_102_444_800L), r.nextInt(4) == 0 ? 0 : r.nextInt(1_000_000_000));
      if (r.nextBoolean()) {
        t = t.truncatedTo(ChronoUnit.MILLIS);
      }
      assertThat(Json.parseUtc(t.toString())).as(t.toString()).isEqualTo(t);
    }
    assertThat(Json.parseUtc("2024-02-29T23:59:59.5Z"))
        .isEqualTo(Instant.parse("2024-02-29T23:59:59.5Z"));
  }

  @Test
  void leavesEverythingElseToInstantParse() {
    for (String s :
        List.of(
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T12:60:00Z",
            "2026-11-22T12:00:60Z",
            "2026-11-22 12:00:00Z",
            "2026-11-22T12:00:00+01:00",
            "2026-11-22T12:00:00.Z",
            "2026-11-22T12:00:00.1234567890Z",
            "+12026-11-22T12:00:00Z",
            "2026-11-22T12:00Z",
            "2026-11-22T12:00:00z",
            "2026-1a-22T12:00:00Z",
            "")) {
      assertThat(Json.parseUtc(s)).as(s).isNull();
    }
  }
}
