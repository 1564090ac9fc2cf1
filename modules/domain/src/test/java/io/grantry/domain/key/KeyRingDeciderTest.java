package io.grantry.domain.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.key.KeyCommand.NewSigningKey;
import io.grantry.domain.key.KeyCommand.Retire;
import io.grantry.domain.key.KeyCommand.Rotate;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KeyRingDeciderTest {
  static final Instant T0 = Instant.parse("2025-03-01T00:00:00Z");
  static final Duration DAY = Duration.ofDays(1);

  static NewSigningKey ecKey(String kid) {
    JsonObject jwk =
        new JsonObject()
            .put("kty", "EC")
            .put("crv", "P-256")
            .put("x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")
            .put("y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")
            .put("kid", kid)
            .put("alg", "ES256")
            .put("use", "sig");
    return new NewSigningKey(kid, SigningAlgorithm.ES256, jwk, "v1.bm9uY2Vub25jZQ.Y2lwaGVydGV4dA");
  }

  static NewSigningKey rsaKey(String kid) {
    JsonObject jwk =
        new JsonObject().put("kty", "RSA").put("n", "0vx7agoebGcQSuuPiLJXZpt").put("e", "AQAB");
    return new NewSigningKey(kid, SigningAlgorithm.RS256, jwk, "v1.bm9uY2U.Y2lwaGVy");
  }

  private static KeyRing apply(KeyRing ring, Decision<KeyEvent> d) {
    for (KeyEvent e : d.events()) {
      ring = KeyRingDecider.evolve(ring, e);
    }
    return ring;
  }

  private static ValidationError validationError(Decision<KeyEvent> d) {
    assertThat(d).isInstanceOf(Decision.Rejected.class);
    DomainError e = ((Decision.Rejected<KeyEvent>) d).error();
    assertThat(e).isInstanceOf(ValidationError.class);
    return (ValidationError) e;
  }

  private static List<String> kids(List<SigningKey> keys) {
    return keys.stream().map(SigningKey::kid).collect(Collectors.toList());
  }

  @Test
  void theFirstRotationGeneratesAndActivates() {
    Decision<KeyEvent> d = KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k1"), DAY), T0);
    assertThat(d.events())
        .containsExactly(
            new SigningKeyGenerated(
                "k1",
                SigningAlgorithm.ES256,
                "sig",
                ecKey("k1").publicJwk(),
                "v1.bm9uY2Vub25jZQ.Y2lwaGVydGV4dA",
                T0),
            new SigningKeyActivated("k1", T0));
    KeyRing ring = apply(KeyRing.empty(), d);
    assertThat(ring.active(SigningAlgorithm.ES256)).map(SigningKey::kid).contains("k1");
    assertThat(ring.active(SigningAlgorithm.RS256)).isEmpty();
    assertThat(kids(ring.published(T0))).containsExactly("k1");
  }

  @Test
  void rotationRetiresThePreviousKeyAfterTheOverlap() {
    KeyRing ring =
        apply(
            KeyRing.empty(),
            KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k1"), DAY), T0));
    Instant t1 = T0.plus(Duration.ofDays(30));
    Decision<KeyEvent> d = KeyRingDecider.decide(ring, new Rotate(ecKey("k2"), DAY), t1);

    assertThat(d.events()).hasSize(3);
    assertThat(d.events().get(2)).isEqualTo(new SigningKeyRetired("k1", t1, t1.plus(DAY)));
    ring = apply(ring, d);
    assertThat(ring.active(SigningAlgorithm.ES256)).map(SigningKey::kid).contains("k2");
    assertThat(ring.key("k1").orElseThrow().status()).isEqualTo(SigningKey.Status.RETIRED);
    assertThat(kids(ring.published(t1))).containsExactly("k1", "k2");
    assertThat(kids(ring.published(t1.plus(DAY).minusMillis(1)))).containsExactly("k1", "k2");
    assertThat(kids(ring.published(t1.plus(DAY)))).containsExactly("k2");
  }

  @Test
  void anOverlapShorterThanTheMinimumIsRefusedWhenAKeyWouldBeRetired() {
    Duration minimum = Duration.ofSeconds(3660);
    // The first key retires nothing: no minimum applies.
    Decision<KeyEvent> first =
        KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k1"), Duration.ZERO, minimum), T0);
    KeyRing ring = apply(KeyRing.empty(), first);

    ValidationError short90 =
        validationError(
            KeyRingDecider.decide(
                ring, new Rotate(ecKey("k2"), Duration.ofSeconds(90), minimum), T0));
    assertThat(short90.field()).isEqualTo("overlap");
    assertThat(short90.message()).contains("3660 s");
    assertThat(
            validationError(
                    KeyRingDecider.decide(
                        ring, new Rotate(ecKey("k2"), minimum.minusSeconds(1), minimum), T0))
                .field())
        .isEqualTo("overlap");

    Decision<KeyEvent> enough =
        KeyRingDecider.decide(ring, new Rotate(ecKey("k2"), minimum, minimum), T0);
    assertThat(enough.events().get(2)).isEqualTo(new SigningKeyRetired("k1", T0, T0.plus(minimum)));
  }

  @Test
  void algorithmsRotateIndependently() {
    KeyRing ring =
        apply(
            KeyRing.empty(),
            KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k1"), DAY), T0));
    Decision<KeyEvent> d = KeyRingDecider.decide(ring, new Rotate(rsaKey("r1"), DAY), T0);
    assertThat(d.events()).hasSize(2);
    ring = apply(ring, d);
    assertThat(ring.active(SigningAlgorithm.ES256)).map(SigningKey::kid).contains("k1");
    assertThat(ring.active(SigningAlgorithm.RS256)).map(SigningKey::kid).contains("r1");
  }

  @Test
  void refusesADuplicateKid() {
    KeyRing ring =
        apply(
            KeyRing.empty(),
            KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k1"), DAY), T0));
    assertThat(KeyRingDecider.decide(ring, new Rotate(ecKey("k1"), DAY), T0))
        .isEqualTo(Decision.reject(new DomainError.AlreadyExists("signing key", "k1")));
  }

  @Test
  void refusesPrivateMaterialOutsideTheEnvelope() {
    String d = "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE";
    NewSigningKey leaky =
        new NewSigningKey(
            "k1", SigningAlgorithm.ES256, ecKey("k1").publicJwk().put("d", d), "v1.a.b");
    ValidationError e =
        validationError(KeyRingDecider.decide(KeyRing.empty(), new Rotate(leaky, DAY), T0));
    assertThat(e.field()).isEqualTo("public_jwk");
    assertThat(e.message()).contains("'d'").doesNotContain(d);

    String pkcs8 = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg";
    NewSigningKey raw =
        new NewSigningKey("k1", SigningAlgorithm.ES256, ecKey("k1").publicJwk(), pkcs8);
    ValidationError e2 =
        validationError(KeyRingDecider.decide(KeyRing.empty(), new Rotate(raw, DAY), T0));
    assertThat(e2.field()).isEqualTo("encrypted_private_key");
    assertThat(e2.message()).doesNotContain(pkcs8);
  }

  @Test
  void refusesAJwkThatDoesNotFitTheKey() {
    NewSigningKey rsaAsEc =
        new NewSigningKey("k1", SigningAlgorithm.ES256, rsaKey("k1").publicJwk(), "v1.a.b");
    assertThat(
            validationError(KeyRingDecider.decide(KeyRing.empty(), new Rotate(rsaAsEc, DAY), T0))
                .field())
        .isEqualTo("public_jwk");
    NewSigningKey otherKid =
        new NewSigningKey("k1", SigningAlgorithm.ES256, ecKey("k9").publicJwk(), "v1.a.b");
    assertThat(
            validationError(KeyRingDecider.decide(KeyRing.empty(), new Rotate(otherKid, DAY), T0))
                .message())
        .contains("kid");
    NewSigningKey badCurve =
        new NewSigningKey(
            "k1", SigningAlgorithm.ES256, ecKey("k1").publicJwk().put("crv", "P-384"), "v1.a.b");
    assertThat(
            validationError(KeyRingDecider.decide(KeyRing.empty(), new Rotate(badCurve, DAY), T0))
                .field())
        .isEqualTo("public_jwk");
    assertThat(
            validationError(
                    KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k 1"), DAY), T0))
                .field())
        .isEqualTo("kid");
    assertThat(
            validationError(
                    KeyRingDecider.decide(
                        KeyRing.empty(), new Rotate(ecKey("k1"), Duration.ofSeconds(-1)), T0))
                .field())
        .isEqualTo("overlap");
  }

  @Test
  void retiringRules() {
    KeyRing ring =
        apply(
            KeyRing.empty(),
            KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k1"), DAY), T0));
    assertThat(
            validationError(KeyRingDecider.decide(ring, new Retire("k1", Duration.ZERO), T0))
                .message())
        .contains("active");
    assertThat(KeyRingDecider.decide(ring, new Retire("nope", Duration.ZERO), T0))
        .isEqualTo(Decision.reject(new DomainError.NotFound("signing key", "nope")));

    ring = apply(ring, KeyRingDecider.decide(ring, new Rotate(ecKey("k2"), DAY), T0));
    // a compromised retired key can be pulled from the JWKS at once...
    Instant t = T0.plusSeconds(60);
    Decision<KeyEvent> now = KeyRingDecider.decide(ring, new Retire("k1", Duration.ZERO), t);
    assertThat(now.events()).containsExactly(new SigningKeyRetired("k1", t, t));
    KeyRing pulled = apply(ring, now);
    assertThat(kids(pulled.published(t))).containsExactly("k2");
    assertThat(pulled.key("k1").orElseThrow().retiredAt()).contains(T0);
    // ...but a retirement is never pushed later
    assertThat(KeyRingDecider.decide(ring, new Retire("k1", Duration.ofDays(7)), t).events())
        .isEmpty();
  }

  @Test
  void evolveRefusesCorruptStreams() {
    assertThatThrownBy(
            () -> KeyRingDecider.evolve(KeyRing.empty(), new SigningKeyActivated("k1", T0)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no such key");
    KeyRing ring =
        apply(
            KeyRing.empty(),
            KeyRingDecider.decide(KeyRing.empty(), new Rotate(ecKey("k1"), DAY), T0));
    assertThatThrownBy(() -> KeyRingDecider.evolve(ring, new SigningKeyActivated("k1", T0)))
        .isInstanceOf(IllegalStateException.class);
    SigningKeyGenerated again =
        new SigningKeyGenerated(
            "k1", SigningAlgorithm.ES256, "sig", ecKey("k1").publicJwk(), "v1.a.b", T0);
    assertThatThrownBy(() -> KeyRingDecider.evolve(ring, again))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void eventsAndStateDoNotShareMutableJson() {
    JsonObject jwk = ecKey("k1").publicJwk();
    SigningKeyGenerated e =
        new SigningKeyGenerated("k1", SigningAlgorithm.ES256, "sig", jwk, "v1.a.b", T0);
    jwk.put("x", "changed");
    e.publicJwk().put("y", "changed");
    assertThat(e.publicJwk().getString("x"))
        .isEqualTo("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU");
    assertThat(e.publicJwk().getString("y"))
        .isEqualTo("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
  }
}
