package io.grantry.domain.key;

import static io.grantry.domain.key.KeyRingDeciderTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.key.KeyCommand.Retire;
import io.grantry.domain.key.KeyCommand.Rotate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class KeyRingPropertyTest {

  /**
   * Any sequence of rotations and retirements keeps: at most one active key per algorithm, the
   * active key always published, a rotated-in algorithm never left without an active key, and the
   * ring rebuilt from codec-decoded events equal to the ring evolved directly.
   */
  @Property(tries = 300, edgeCases = EdgeCasesMode.NONE)
  void rotationsKeepOneActiveKeyPerAlgorithm(@ForAll("commands") List<KeyCommand> commands) {
    KeyRing ring = KeyRing.empty();
    List<KeyEvent> written = new ArrayList<>();
    Instant now = T0;
    for (KeyCommand command : commands) {
      now = now.plus(Duration.ofHours(6));
      Decision<KeyEvent> d = KeyRingDecider.decide(ring, command, now);
      if (d.isAccepted()) {
        for (KeyEvent e : d.events()) {
          ring = KeyRingDecider.evolve(ring, e);
          written.add(e);
        }
      }
      for (SigningAlgorithm alg : SigningAlgorithm.values()) {
        final KeyRing r = ring;
        final Instant at = now;
        long active =
            r.keys().stream()
                .filter(k -> k.alg() == alg && k.status() == SigningKey.Status.ACTIVE)
                .count();
        assertThat(active).isLessThanOrEqualTo(1);
        boolean everRotated = r.keys().stream().anyMatch(k -> k.alg() == alg);
        assertThat(r.active(alg).isPresent()).isEqualTo(everRotated);
        r.active(alg).ifPresent(k -> assertThat(r.published(at)).contains(k));
      }
    }
    List<KeyEvent> decoded = new ArrayList<>();
    for (KeyEvent e : written) {
      decoded.add(KeyEventCodec.INSTANCE.fromJson(e.type(), KeyEventCodec.INSTANCE.toJson(e)));
    }
    assertThat(KeyRingDecider.replay(decoded)).isEqualTo(ring);
  }

  @Provide
  Arbitrary<List<KeyCommand>> commands() {
    Arbitrary<String> kid = Arbitraries.of("k1", "k2", "k3", "k4", "r1", "r2");
    Arbitrary<Duration> overlap =
        Arbitraries.of(Duration.ZERO, Duration.ofHours(12), Duration.ofDays(2));
    Arbitrary<KeyCommand> rotate =
        Combinators.combine(kid, overlap)
            .as(
                (k, o) ->
                    new Rotate(
                        k.startsWith("r")
                            ? KeyRingDeciderTest.rsaKey(k)
                            : KeyRingDeciderTest.ecKey(k),
                        o));
    Arbitrary<KeyCommand> retire = Combinators.combine(kid, overlap).as(Retire::new);
    return Arbitraries.oneOf(rotate, rotate, retire).list().ofMinSize(1).ofMaxSize(10);
  }
}
