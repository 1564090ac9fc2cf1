package io.grantry.domain.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PkceTest {
  /**
   * RFC 7636 Appendix B: the 32 octets [116, 24, 223, …, 121] encoded, and their S256 challenge.
   */
  static final String RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

  static final String RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

  @Test
  void rfc7636AppendixBExample() {
    byte[] octets = {
      116,
      24,
      (byte) 223,
      (byte) 180,
      (byte) 151,
      (byte) 153,
      (byte) 224,
      37,
      79,
      (byte) 250,
      96,
      125,
      (byte) 216,
      (byte) 173,
      (byte) 187,
      (byte) 186,
      22,
      (byte) 212,
      37,
      77,
      105,
      (byte) 214,
      (byte) 191,
      (byte) 240,
      91,
      88,
      5,
      88,
      83,
      (byte) 132,
      (byte) 141,
      121
    };
    assertThat(Base64.getUrlEncoder().withoutPadding().encodeToString(octets))
        .isEqualTo(RFC_VERIFIER);
    assertThat(Pkce.s256(RFC_VERIFIER)).isEqualTo(RFC_CHALLENGE);
    assertThat(Pkce.verifies(RFC_VERIFIER, RFC_CHALLENGE)).isTrue();
    assertThat(Pkce.isValidChallenge(RFC_CHALLENGE)).isTrue();
  }

  /**
   * The same verifier cut to 39 characters (a misquotation in circulation) is too short to be one.
   */
  @Test
  void aTruncatedAppendixBVerifierIsRefused() {
    String truncated = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFo";
    assertThat(truncated).hasSize(39);
    assertThat(Pkce.isValidVerifier(truncated)).isFalse();
    assertThat(Pkce.verifies(truncated, RFC_CHALLENGE)).isFalse();
  }

  @Test
  void aDifferentVerifierOrChallengeFails() {
    assertThat(Pkce.verifies(RFC_VERIFIER.replace('d', 'e'), RFC_CHALLENGE)).isFalse();
    assertThat(Pkce.verifies(RFC_VERIFIER, RFC_CHALLENGE.replace('E', 'F'))).isFalse();
    assertThat(Pkce.verifies(RFC_VERIFIER, null)).isFalse();
    assertThat(Pkce.verifies(null, RFC_CHALLENGE)).isFalse();
    // "plain" is not supported: the verifier itself is never an acceptable challenge.
    assertThat(Pkce.verifies(RFC_VERIFIER, RFC_VERIFIER)).isFalse();
  }

  @Test
  void verifierLengthBounds() {
    assertThat(Pkce.isValidVerifier("a".repeat(42))).isFalse();
    assertThat(Pkce.isValidVerifier("a".repeat(43))).isTrue();
    assertThat(Pkce.isValidVerifier("a".repeat(128))).isTrue();
    assertThat(Pkce.isValidVerifier("a".repeat(129))).isFalse();
    assertThat(Pkce.isValidVerifier("A-Z.a_z~0123456789" + "x".repeat(25))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {" ", "+", "/", "=", "%", "\u00e9", "\n"})
  void verifierOutsideTheUnreservedSetIsInvalid(String bad) {
    String verifier = "a".repeat(42) + bad;
    assertThat(Pkce.isValidVerifier(verifier)).isFalse();
    assertThat(Pkce.verifies(verifier, RFC_CHALLENGE)).isFalse();
    assertThatThrownBy(() -> Pkce.s256(verifier)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void challengeShape() {
    assertThat(Pkce.isValidChallenge(RFC_CHALLENGE.substring(1))).isFalse();
    assertThat(Pkce.isValidChallenge(RFC_CHALLENGE + "A")).isFalse();
    assertThat(Pkce.isValidChallenge(RFC_CHALLENGE + "=")).isFalse();
    assertThat(Pkce.isValidChallenge(RFC_CHALLENGE.replace('-', '+'))).isFalse();
    // The last character carries 4 data bits and 2 zero bits: 't' (45) encodes no 32-byte value.
    assertThat(Pkce.isValidChallenge(RFC_CHALLENGE.substring(0, 42) + "t")).isFalse();
  }

  @Property(tries = 200)
  void everyComputedChallengeIsAValidChallengeOf32Bytes(
      @ForAll
          @StringLength(min = 43, max = 128)
          @CharRange(from = 'a', to = 'z')
          @CharRange(from = 'A', to = 'Z')
          @CharRange(from = '0', to = '9')
          @Chars({'-', '.', '_', '~'})
          String verifier) {
    String challenge = Pkce.s256(verifier);
    assertThat(Pkce.isValidChallenge(challenge)).isTrue();
    assertThat(Base64.getUrlDecoder().decode(challenge)).hasSize(32);
    assertThat(challenge)
        .isEqualTo(
            Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(Pkce.sha256(verifier.getBytes(StandardCharsets.US_ASCII))));
    assertThat(Pkce.verifies(verifier, challenge)).isTrue();
  }
}
