package io.grantry.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The stateless nonces of RFC 9449 §8-9 (the kit's, and Grantry's authorization server's): a nonce
 * is taken in its window and the next, by every instance holding the same secret, and by no other.
 */
class DpopNoncesTest {
  static final byte[] SECRET = secret(1);
  static final Duration WINDOW = Duration.ofSeconds(30);
  static final Instant START = Instant.parse("2026-12-07T16:00:00Z");

  static byte[] secret(int fill) {
    byte[] b = new byte[32];
    Arrays.fill(b, (byte) fill);
    return b;
  }

  static DpopNonces at(Instant t, byte[] secret) {
    return new DpopNonces(secret, WINDOW, Clock.fixed(t, ZoneOffset.UTC));
  }

  @Test
  void aNonceIsTakenInItsWindowAndTheNextOnlyByInstancesWithTheSameSecret() {
    String nonce = at(START, SECRET).current();
    assertThat(at(START.plusSeconds(29), SECRET).current()).isEqualTo(nonce);
    assertThat(at(START.plusSeconds(29), SECRET).accepts(nonce)).isTrue();
    assertThat(at(START.plusSeconds(30), SECRET).current()).isNotEqualTo(nonce);
    assertThat(at(START.plusSeconds(59), SECRET).accepts(nonce)).as("the previous window").isTrue();
    assertThat(at(START.plusSeconds(60), SECRET).accepts(nonce)).as("two windows on").isFalse();
    assertThat(at(START, secret(2)).accepts(nonce)).as("another secret").isFalse();
    assertThat(at(START, SECRET).accepts(nonce + "A")).isFalse();
    assertThat(at(START, SECRET).accepts("")).isFalse();
    assertThat(at(START, SECRET).accepts(null)).isFalse();
    assertThat(at(START, SECRET).accepts("ü".repeat(100))).isFalse();
  }

  @Test
  void aShortSecretOrWindowIsRefused() {
    Clock clock = Clock.systemUTC();
    assertThatThrownBy(() -> new DpopNonces(new byte[31], WINDOW, clock))
        .hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> new DpopNonces(SECRET, Duration.ofMillis(999), clock))
        .hasMessageContaining("second");
    assertThatThrownBy(
            () -> new ResourceServerOptions("https://i", "a").setDpopNonces(SECRET, Duration.ZERO))
        .hasMessageContaining("rotation");
    assertThatThrownBy(() -> new ResourceServerOptions("https://i", "a").setPublicUrl("ftp://x"))
        .hasMessageContaining("http(s)");
    assertThatThrownBy(
            () -> new ResourceServerOptions("https://i", "a").setPublicUrl("https://x/a?b=c"))
        .hasMessageContaining("query");
    assertThat(
            new ResourceServerOptions("https://i", "a")
                .setPublicUrl("https://api.example/v1/")
                .publicUrl())
        .contains("https://api.example/v1");
  }
}
