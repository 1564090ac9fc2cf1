package io.grantry.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventIdsTest {
  /**
   * PostgreSQL orders uuid values as unsigned bytes, which UUID.compareTo (signed longs) does not.
   */
  static int pgOrder(UUID a, UUID b) {
    int c = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return c != 0
        ? c
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  @Test
  void isVersion7WithTheRfcVariantAndTheTimeFirst() {
    long before = System.currentTimeMillis();
    UUID id = EventIds.next();
    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(id.getMostSignificantBits() >>> 16).isGreaterThanOrEqualTo(before);
    assertThat(UUID.fromString(id.toString())).isEqualTo(id);
  }

  @Test
  void idsMadeOneAfterAnotherAscendInPostgresOrderAndAreUnique() {
    Set<UUID> seen = new HashSet<>();
    UUID prev = EventIds.next();
    seen.add(prev);
    for (int i = 0; i < 100_000; i++) {
      UUID id = EventIds.next();
      assertThat(pgOrder(prev, id)).as("%s then %s", prev, id).isNegative();
      assertThat(id.version()).isEqualTo(7);
      assertThat(id.variant()).isEqualTo(2);
      seen.add(id);
      prev = id;
    }
    assertThat(seen).hasSize(100_001);
  }

  @Test
  void aClockThatStepsBackOrAnOverflowingCounterStillAscends() {
    EventIds ids = new EventIds();
    long t = 1_795_000_000_000L;
    UUID a = ids.make(t + 60_000);
    UUID b = ids.make(t); // the clock stepped back a minute
    assertThat(pgOrder(a, b)).isNegative();
    UUID prev = b;
    for (int i = 0; i < 5000; i++) { // more than 4096 in one millisecond: the counter overflows
      UUID id = ids.make(t + 60_000);
      assertThat(pgOrder(prev, id)).isNegative();
      assertThat(id.version()).isEqualTo(7);
      prev = id;
    }
  }
}
