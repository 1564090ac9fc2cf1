package io.grantry.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.key.SigningAlgorithm;
import java.security.Key;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class KeyEncryptionTest {
  private static final byte[] KEK = bytes(32, 1);
  private static final byte[] OTHER_KEK = bytes(32, 2);
  private static final SigningKeys.GeneratedKey KEY = SigningKeys.generate(SigningAlgorithm.ES256);

  private static byte[] bytes(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }

  @Test
  void roundTripsAPrivateKey() {
    KeyEncryption encryption = new KeyEncryption(KEK);
    String envelope = encryption.encrypt(KEY.kid(), KEY.pkcs8());

    assertThat(envelope).matches("v1\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+");
    assertThat(encryption.decrypt(KEY.kid(), envelope)).isEqualTo(KEY.pkcs8());
    assertThat(
            SigningKeys.privateKey(SigningAlgorithm.ES256, encryption.decrypt(KEY.kid(), envelope)))
        .extracting(Key::getEncoded)
        .isEqualTo(KEY.pkcs8());
  }

  @Test
  void neverShowsThePlaintextAndUsesAFreshNonce() {
    KeyEncryption encryption = new KeyEncryption(KEK);
    String a = encryption.encrypt(KEY.kid(), KEY.pkcs8());
    String b = encryption.encrypt(KEY.kid(), KEY.pkcs8());
    assertThat(a).isNotEqualTo(b);
    assertThat(a.split("\\.")[1]).isNotEqualTo(b.split("\\.")[1]);
    String plainB64 = Base64.getUrlEncoder().withoutPadding().encodeToString(KEY.pkcs8());
    assertThat(a).doesNotContain(plainB64.substring(0, 20));
  }

  @Test
  void aWrongKekFailsClearlyWithoutKeyMaterial() {
    String envelope = new KeyEncryption(KEK).encrypt(KEY.kid(), KEY.pkcs8());

    assertThatThrownBy(() -> new KeyEncryption(OTHER_KEK).decrypt(KEY.kid(), envelope))
        .isInstanceOf(KeyDecryptionException.class)
        .hasMessageContaining(KEY.kid())
        .hasMessageContaining("wrong key-encryption key")
        .hasNoCause()
        .satisfies(
            e -> {
              String message = e.getMessage();
              assertThat(message).doesNotContain(envelope.split("\\.")[2].substring(0, 16));
              assertThat(message).doesNotContain(Base64.getEncoder().encodeToString(KEK));
            });
  }

  @Test
  void tamperingOrAnotherKidFails() {
    KeyEncryption encryption = new KeyEncryption(KEK);
    String envelope = encryption.encrypt(KEY.kid(), KEY.pkcs8());
    String[] parts = envelope.split("\\.");
    char last = parts[2].charAt(10);
    String tampered =
        parts[0]
            + "."
            + parts[1]
            + "."
            + parts[2].substring(0, 10)
            + (last == 'A' ? 'B' : 'A')
            + parts[2].substring(11);

    assertThatThrownBy(() -> encryption.decrypt(KEY.kid(), tampered))
        .isInstanceOf(KeyDecryptionException.class);
    assertThatThrownBy(() -> encryption.decrypt("another-kid", envelope))
        .isInstanceOf(KeyDecryptionException.class);
    assertThatThrownBy(() -> encryption.decrypt(KEY.kid(), "v2." + parts[1] + "." + parts[2]))
        .isInstanceOf(KeyDecryptionException.class)
        .hasMessageContaining("v1.");
    assertThatThrownBy(() -> encryption.decrypt(KEY.kid(), "v1.AAAA." + parts[2]))
        .isInstanceOf(KeyDecryptionException.class)
        .hasMessageContaining("length");
    assertThatThrownBy(() -> encryption.decrypt(KEY.kid(), "v1.a+b/." + parts[2]))
        .isInstanceOf(KeyDecryptionException.class)
        .hasMessageContaining("base64url");
  }

  @Test
  void theKekIsExactly32Bytes() {
    assertThatThrownBy(() -> new KeyEncryption(bytes(16, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes");
  }
}
