package io.grantry.server.crypto;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class ClientSecretsTest {
  private static final byte[] PEPPER = filled(32, 7);
  private final ClientSecrets secrets = new ClientSecrets(PEPPER);

  private static byte[] filled(int length, int value) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  @Test
  void generatesDistinct256BitBase64UrlSecrets() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      String secret = secrets.generate();
      assertThat(secret).matches("[A-Za-z0-9_-]{43}");
      assertThat(Base64.getUrlDecoder().decode(secret)).hasSize(32);
      seen.add(secret);
    }
    assertThat(seen).hasSize(100);
  }

  @Test
  void hashIsHmacSha256WithThePepper() {
    String secret = "s3cr3t-value-for-a-known-answer";
    HMac hmac = new HMac(new SHA256Digest());
    hmac.init(new KeyParameter(PEPPER));
    byte[] input = secret.getBytes(StandardCharsets.UTF_8);
    hmac.update(input, 0, input.length);
    byte[] expected = new byte[32];
    hmac.doFinal(expected, 0);

    assertThat(secrets.hash(secret))
        .isEqualTo(
            "hmac-sha256$" + Base64.getUrlEncoder().withoutPadding().encodeToString(expected))
        .doesNotContain(secret);
  }

  @Test
  void verifiesTheRightSecretOnly() {
    String secret = secrets.generate();
    String hash = secrets.hash(secret);

    assertThat(secrets.verify(secret, hash)).isTrue();
    assertThat(secrets.verify(secrets.generate(), hash)).isFalse();
    assertThat(secrets.verify(secret + "x", hash)).isFalse();
    assertThat(secrets.verify(null, hash)).isFalse();
    assertThat(secrets.verify(secret, null)).isFalse();
    assertThat(secrets.verify(secret, "sha256$" + hash.substring(12))).isFalse();
    assertThat(secrets.verify(secret, "hmac-sha256$not*base64")).isFalse();
    assertThat(secrets.verify(secret, "hmac-sha256$")).isFalse();
  }

  @Test
  void anotherPepperDoesNotVerify() {
    String secret = secrets.generate();
    ClientSecrets other = new ClientSecrets(filled(32, 8));
    assertThat(other.verify(secret, secrets.hash(secret))).isFalse();
  }

  @Test
  void verifyAnyCoversTheGracePeriod() {
    String old = secrets.generate();
    String current = secrets.generate();
    List<String> accepted = List.of(secrets.hash(current), secrets.hash(old));

    assertThat(secrets.verifyAny(current, accepted)).isTrue();
    assertThat(secrets.verifyAny(old, accepted)).isTrue();
    assertThat(secrets.verifyAny(secrets.generate(), accepted)).isFalse();
    assertThat(secrets.verifyAny(old, List.of(secrets.hash(current)))).isFalse();
    assertThat(secrets.verifyAny(old, List.of())).isFalse();
  }

  @Test
  void refusesAShortPepperWithoutShowingIt() {
    assertThatThrownBy(() -> new ClientSecrets(filled(31, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes");
    assertThat(secrets.toString()).contains("redacted");
  }

  @Test
  void aClientSecretJwtSecretIsRecomputedFromItsStoredFormWithThePepperOnly() {
    ClientSecrets.Generated g = secrets.generateDerived();
    assertThat(g.secret()).hasSize(43);
    assertThat(g.hash()).startsWith("hmac-sha256-derived$").doesNotContain(g.secret());
    assertThat(g.toString()).doesNotContain(g.secret());
    // It verifies as any secret does...
    assertThat(secrets.verify(g.secret(), g.hash())).isTrue();
    // ...and the server can recompute it as the HS256 key of the client's assertions.
    assertThat(secrets.macKey(g.hash())).get().isEqualTo(g.secret().getBytes(UTF_8));
    // Not with another pepper, not from an altered salt, not from a plain hash.
    assertThat(new ClientSecrets(filled(32, 8)).macKey(g.hash())).isEmpty();
    String salt = g.hash().split("\\$")[1];
    String otherSalt = (salt.charAt(0) == 'A' ? "B" : "A") + salt.substring(1);
    assertThat(secrets.macKey(g.hash().replace(salt, otherSalt))).isEmpty();
    assertThat(secrets.macKey(secrets.hash(secrets.generate()))).isEmpty();
    assertThat(secrets.generateDerived().secret()).isNotEqualTo(g.secret());
  }
}
