package io.grantry.domain.key;

import static io.grantry.domain.key.KeyRingDeciderTest.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.UnknownEventTypeException;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KeyEventCodecTest {
  private static final KeyEventCodec CODEC = KeyEventCodec.INSTANCE;

  static List<KeyEvent> samples() {
    return List.of(
        new SigningKeyGenerated(
            "k1",
            SigningAlgorithm.ES256,
            "sig",
            KeyRingDeciderTest.ecKey("k1").publicJwk(),
            "v1.a.b",
            T0),
        new SigningKeyGenerated(
            "r1",
            SigningAlgorithm.RS256,
            "sig",
            KeyRingDeciderTest.rsaKey("r1").publicJwk(),
            "v1.c.d",
            T0),
        new SigningKeyActivated("k1", T0),
        new SigningKeyRetired("k1", T0, T0.plusSeconds(86400)));
  }

  @Test
  void everyEventRoundTrips() {
    for (KeyEvent e : samples()) {
      assertThat(CODEC.fromJson(CODEC.type(e), new JsonObject(CODEC.toJson(e).encode())))
          .isEqualTo(e);
    }
    assertThat(samples().stream().map(Object::getClass).distinct().collect(Collectors.toList()))
        .containsExactlyInAnyOrderElementsOf(
            Arrays.asList(KeyEvent.class.getPermittedSubclasses()));
    assertThat(CODEC.types())
        .containsExactlyInAnyOrder(
            "signing_key.generated.v1", "signing_key.activated.v1", "signing_key.retired.v1");
  }

  @Test
  void generatedPayloadCarriesThePublicJwkAndTheEnvelopeOnly() {
    JsonObject json = CODEC.toJson(samples().get(0));
    assertThat(json.fieldNames())
        .containsExactlyInAnyOrder(
            "kid", "alg", "use", "public_jwk", "encrypted_private_key", "created_at");
    assertThat(json.getJsonObject("public_jwk").fieldNames()).doesNotContain("d");
  }

  @Test
  void refusesUnknownTypesAndBadValues() {
    assertThatThrownBy(() -> CODEC.fromJson("signing_key.deleted.v1", new JsonObject()))
        .isInstanceOf(UnknownEventTypeException.class)
        .hasMessageContaining("signing_key.generated.v1");
    JsonObject json = CODEC.toJson(samples().get(0)).put("alg", "none");
    assertThatThrownBy(() -> CODEC.fromJson(SigningKeyGenerated.TYPE, json))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("alg");
    JsonObject noJwk = CODEC.toJson(samples().get(0)).put("public_jwk", "x");
    assertThatThrownBy(() -> CODEC.fromJson(SigningKeyGenerated.TYPE, noJwk))
        .isInstanceOf(EventCodecException.class)
        .hasMessageContaining("public_jwk");
  }
}
