package io.grantry.rebuild;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The token-state fold's key numbering agrees with a HashMap, for ASCII and other keys, across
 * growth.
 */
class KeyIndexTest {
  @Test
  void numbersKeysAsAMapWould() {
    Random random = new Random(3);
    KeyIndex index = new KeyIndex(16);
    Map<String, Integer> expected = new HashMap<>();
    String[] alphabet = {"a", "b", "Z", "0", ".", "é", "ß", "漢", "\uD83D\uDE00"};
    for (int i = 0; i < 300_000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(i % 1000 == 0 ? 40 : 6);
      for (int j = 0; j < n; j++) {
        sb.append(alphabet[random.nextInt(i % 7 == 0 ? alphabet.length : 5)]);
      }
      String key = sb.toString();
      Integer had = expected.get(key);
      assertThat(index.find(key)).isEqualTo(had == null ? -1 : had);
      int got = index.add(key);
      if (had == null) {
        assertThat(got).isEqualTo(expected.size());
        expected.put(key, got);
      } else {
        assertThat(got).isEqualTo(had);
      }
    }
    assertThat(index.size()).isEqualTo(expected.size());
    expected.forEach((k, v) -> assertThat(index.key(v)).isEqualTo(k));
  }
}
