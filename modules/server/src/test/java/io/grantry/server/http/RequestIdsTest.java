package io.grantry.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The edge's request ids: distinct for distinct counts, in a version-4 UUID's form. */
class RequestIdsTest {

  /** The mix is a bijection of 62 bits: a million consecutive counts, a million distinct ids. */
  @Test
  void consecutiveCountsGiveDistinctIds() {
    int n = 1_000_000;
    long[] mixed = new long[n];
    long outside = 0;
    for (int i = 0; i < n; i++) {
      mixed[i] = RequestIds.mix62(i);
      outside |= mixed[i] >>> 62;
    }
    assertThat(outside).as("bits above the 62").isZero();
    assertThat(Arrays.stream(mixed).distinct().count()).isEqualTo(n);
  }

  /** Counts that differ only above the mix's 62 bits or wrap around stay distinct below 2^62. */
  @Test
  void countsAcrossTheTopOfTheRangeStayDistinct() {
    long top = (1L << 62) - 3;
    long[] mixed = new long[6];
    for (int i = 0; i < 6; i++) {
      mixed[i] = RequestIds.mix62(top + i); // the last three wrap to 0, 1, 2
    }
    assertThat(Arrays.stream(mixed).distinct().count()).isEqualTo(6);
    assertThat(mixed[3]).isEqualTo(RequestIds.mix62(0));
  }

  @Test
  void idsAreVersion4UuidsOfTheIetfVariant() {
    for (int i = 0; i < 1000; i++) {
      String id = RequestIds.next();
      UUID u = UUID.fromString(id);
      assertThat(u.version()).isEqualTo(4);
      assertThat(u.variant()).isEqualTo(2);
      assertThat(u.toString()).isEqualTo(id);
    }
    assertThat(RequestIds.id(7)).isNotEqualTo(RequestIds.id(8)).isEqualTo(RequestIds.id(7));
  }
}
