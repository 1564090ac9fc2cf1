package io.grantry.server.tokens;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9) that need no shared memory: the nonce of a time
 * window is an HMAC of the window's number under a key derived from the server's pepper, so every
 * instance with the same configuration gives out and accepts the same nonces. A nonce rotates with
 * its window; one of the current or the previous window is accepted, so a nonce handed out just
 * before a rotation still serves its next request. It proves only that the client talked to us
 * recently (what §8 asks of it); the proof's jti still makes each proof single use.
 */
public final class DpopNonces {
  private static final int NONCE_BYTES = 18;

  private final byte[] key;
  private final long windowMillis;
  private final Clock clock;

  public DpopNonces(byte[] pepper, Duration rotation, Clock clock) {
    this.key = hmac(pepper, "grantry dpop nonce v1".getBytes(StandardCharsets.US_ASCII));
    this.windowMillis = rotation.toMillis();
    this.clock = clock;
  }

  /** The nonce to hand out now ({@code DPoP-Nonce}). */
  public String current() {
    return nonce(window());
  }

  /** Whether {@code nonce} is the current window's or the previous one's. */
  public boolean accepts(String nonce) {
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
        a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
