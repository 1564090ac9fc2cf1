package io.grantry.server.browser;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Small values the browser carries for us (the session cookie, the pending authorization request in
 * a form field) as {@code base64url(json).base64url(HMAC-SHA-256)}, with an expiry inside the
 * signed part. Any server instance can check them: nothing is kept in one process's memory. They
 * are signed, not encrypted: never put a secret in one.
 */
public final class SignedValues {
  private static final Base64.Encoder ENC = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DEC = Base64.getUrlDecoder();
  private final byte[] key;

  /**
   * Derives this purpose's key from the server's secret, so one purpose's values never pass as
   * another's.
   */
  public SignedValues(byte[] serverSecret, String purpose) {
    this.key = mac(serverSecret, ("grantry/" + purpose + "/v1").getBytes(StandardCharsets.UTF_8));
  }

  public String sign(JsonObject value, Instant expiresAt) {
    JsonObject v = value.copy().put("_exp", expiresAt.getEpochSecond());
    String body = ENC.encodeToString(v.encode().getBytes(StandardCharsets.UTF_8));
    return body + "." + ENC.encodeToString(mac(key, body.getBytes(StandardCharsets.US_ASCII)));
  }

  /** The value when the signature is right and it has not expired at {@code now}. */
  public Optional<JsonObject> verify(String signed, Instant now) {
    if (signed == null || signed.length() > 8192) {
      return Optional.empty();
    }
    int dot = signed.indexOf('.');
    if (dot <= 0 || dot != signed.lastIndexOf('.')) {
      return Optional.empty();
    }
    try {
      String body = signed.substring(0, dot);
      byte[] presented = DEC.decode(signed.substring(dot + 1));
      if (!MessageDigest.isEqual(presented, mac(key, body.getBytes(StandardCharsets.US_ASCII)))) {
        return Optional.empty();
      }
      JsonObject v = new JsonObject(new String(DEC.decode(body), StandardCharsets.UTF_8));
      Long exp = v.getLong("_exp");
      if (exp == null || now.getEpochSecond() >= exp) {
        return Optional.empty();
      }
      v.remove("_exp");
      return Optional.of(v);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** HMAC-SHA-256 of {@code data}, as a token: for CSRF tokens bound to a browser id. */
  public String tag(String data) {
    return ENC.encodeToString(mac(key, data.getBytes(StandardCharsets.UTF_8)));
  }

  public boolean tagMatches(String data, String presented) {
    if (presented == null) {
      return false;
    }
    return MessageDigest.isEqual(
        tag(data).getBytes(StandardCharsets.US_ASCII),
        presented.getBytes(StandardCharsets.US_ASCII));
  }

  static byte[] mac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HMAC-SHA-256 unavailable", e);
    }
  }
}
