package io.grantry.resource;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Server-provided DPoP nonces (RFC 9449 §8 for an authorization server, §9 for a resource server)
 * that need no shared memory: the nonce of a time window is an HMAC of the window's number under a
 * key derived from a configured secret, so every instance configured with the same secret gives out
 * and accepts the same nonces. A nonce rotates with its window; one of the current or the previous
 * window is accepted, so a nonce handed out just before a rotation still serves its next request (a
 * nonce lives between one and two windows). It proves only that the client talked to us recently;
 * the proof's {@code jti} still makes each proof single use.
 *
 * <p>Public because Grantry's authorization server gives out its own nonces with this class (its
 * secret is its pepper): one scheme, one implementation. It depends on nothing but the JDK.
 */
public final class DpopNonces {
  private static final int NONCE_BYTES = 18;
  private static final int MAX_NONCE_LENGTH = 64;

  private final byte[] key;
  private final long windowMillis;
  private final Clock clock;

  /**
   * @param secret the shared secret (at least 32 bytes); the nonce key is derived from it, so the
   *     secret itself is never used as a MAC key on its own
   * @param rotation the length of a nonce's window (at least one second)
   */
  public DpopNonces(byte[] secret, Duration rotation, Clock clock) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("the DPoP nonce secret needs at least 32 bytes");
    }
    if (rotation.toMillis() < 1000) {
      throw new IllegalArgumentException("a DPoP nonce window lasts at least a second");
    }
    this.key = hmac(secret, "grantry dpop nonce v1".getBytes(StandardCharsets.US_ASCII));
    this.windowMillis = rotation.toMillis();
    this.clock = Objects.requireNonNull(clock);
  }

  /** The nonce to hand out now ({@code DPoP-Nonce}). */
  public String current() {
    return nonce(window());
  }

  /** Whether {@code nonce} is the current window's or the previous one's. */
  public boolean accepts(String nonce) {
    if (nonce == null || nonce.length() > MAX_NONCE_LENGTH) {
      return false;
    }
    long w = window();
    return same(nonce, nonce(w)) || same(nonce, nonce(w - 1));
  }

  private long window() {
    return Math.floorDiv(clock.millis(), windowMillis);
  }

  private String nonce(long window) {
    byte[] mac = hmac(key, Long.toString(window).getBytes(StandardCharsets.US_ASCII));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(mac, NONCE_BYTES));
  }

  private static boolean same(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
