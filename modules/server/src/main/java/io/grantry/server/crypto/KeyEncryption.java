package io.grantry.server.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals private signing keys (PKCS#8) with the key-encryption key from configuration, so the ledger
 * holds them only encrypted (DESIGN.md, "Tamper evidence").
 *
 * <p>AES-256-GCM, a fresh random 12-byte nonce per key, and the key's {@code kid} as associated
 * data: an envelope moved to another kid does not open. Envelope: {@code v1.<base64url
 * nonce>.<base64url ciphertext and 16-byte tag>}. Random nonces are safe far beyond the handful of
 * keys one KEK ever seals (NIST SP 800-38D §8.3).
 */
public final class KeyEncryption {
  public static final int KEK_BYTES = 32;
  private static final String VERSION = "v1";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  private final SecretKeySpec kek;
  private final SecureRandom random;

  /**
   * @param kek exactly 32 bytes; copied
   */
  public KeyEncryption(byte[] kek) {
    this(kek, new SecureRandom());
  }

  public KeyEncryption(byte[] kek, SecureRandom random) {
    Objects.requireNonNull(kek, "kek");
    if (kek.length != KEK_BYTES) {
      throw new IllegalArgumentException(
          "key-encryption key must be exactly " + KEK_BYTES + " bytes (AES-256)");
    }
    this.kek = new SecretKeySpec(kek, "AES");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** Seals {@code privateKey} (PKCS#8 bytes) for {@code kid}. */
  public String encrypt(String kid, byte[] privateKey) {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(privateKey, "privateKey");
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(kid.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(privateKey);
      return VERSION + "." + B64URL.encodeToString(nonce) + "." + B64URL.encodeToString(sealed);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "AES-256-GCM is unavailable: " + e.getClass().getSimpleName());
    }
  }

  /**
   * Opens an envelope made by {@link #encrypt} for the same {@code kid}.
   *
   * @throws KeyDecryptionException if the envelope is malformed, the KEK is not the one it was
   *     sealed with, the kid differs, or a byte was changed
   */
  public byte[] decrypt(String kid, String envelope) {
    Objects.requireNonNull(kid, "kid");
    if (envelope == null) {
      throw new KeyDecryptionException(kid, "the envelope is missing");
    }
    String[] parts = envelope.split("\\.", -1);
    if (parts.length != 3 || !parts[0].equals(VERSION)) {
      throw new KeyDecryptionException(kid, "the envelope is not 'v1.<nonce>.<ciphertext>'");
    }
    byte[] nonce;
    byte[] sealed;
    try {
      nonce = Base64.getUrlDecoder().decode(parts[1]);
      sealed = Base64.getUrlDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new KeyDecryptionException(kid, "the envelope is not base64url");
    }
    if (nonce.length != NONCE_BYTES || sealed.length < TAG_BITS / 8) {
      throw new KeyDecryptionException(kid, "the envelope has a wrong nonce or ciphertext length");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(kid.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(sealed);
    } catch (GeneralSecurityException e) {
      // Only the exception's class is kept: no provider message, no bytes.
      throw new KeyDecryptionException(
          kid,
          "authentication failed ("
              + e.getClass().getSimpleName()
              + "): wrong key-encryption key, or the envelope "
              + "was altered or belongs to another kid");
    }
  }

  @Override
  public String toString() {
    return "KeyEncryption[AES-256-GCM, kek=<redacted>]";
  }
}
