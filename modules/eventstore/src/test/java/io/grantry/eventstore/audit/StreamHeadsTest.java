package io.grantry.eventstore.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The verifier's table of stream heads against a plain map, through many growths. */
class StreamHeadsTest {

  private static byte[] hash(Random random) {
    byte[] h = new byte[32];
    random.nextBytes(h);
    return h;
  }

  @Test
  void answersAsAMapWouldForHundredsOfThousandsOfStreams() {
    Random random = new Random(7);
    StreamHeads heads = new StreamHeads();
    Map<String, Long> versions = new HashMap<>();
    Map<String, byte[]> hashes = new HashMap<>();
    for (int i = 0; i < 300_000; i++) {
      // Two thirds new streams (as client_credentials tokens are), the rest the next version of
      // one met before.
      String id =
          versions.isEmpty() || random.nextInt(3) > 0
              ? "grant-" + i
              : "grant-" + (random.nextInt(i) / 3 * 3);
      long expected = versions.getOrDefault(id, 0L);
      assertThat(heads.version(id)).as(id).isEqualTo(expected);
      if (expected > 0) {
        assertThat(heads.linksTo(hashes.get(id))).isTrue();
        byte[] other = hashes.get(id).clone();
        other[31] ^= 1;
        assertThat(heads.linksTo(other)).isFalse();
      } else {
        assertThat(heads.linksTo(new byte[32])).isFalse();
      }
      byte[] h = hash(random);
      heads.advance(expected + 1, h);
      versions.put(id, expected + 1);
      hashes.put(id, h);
    }
    assertThat(heads.size()).isEqualTo(versions.size());
    for (Map.Entry<String, Long> e : versions.entrySet()) {
      assertThat(heads.version(e.getKey())).isEqualTo(e.getValue());
      assertThat(heads.linksTo(hashes.get(e.getKey()))).isTrue();
    }
    assertThat(heads.version("never-met")).isZero();
  }

  @Test
  void refusesWhatCannotBeAHead() {
    StreamHeads heads = new StreamHeads();
    heads.version("s");
    assertThat(heads.linksTo(null)).isFalse();
    assertThat(heads.linksTo(new byte[31])).isFalse();
    assertThatThrownBy(() -> heads.advance(1, new byte[31]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> heads.advance(0, new byte[32]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(heads.size()).isZero();
  }
}
