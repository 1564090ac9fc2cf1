package io.grantry.server.config;

import java.util.Base64;
import java.util.Optional;

/**
 * The secrets as configured (checked for form here, at start; resolved, or generated in development
 * mode, by {@link ServerSecrets}).
 *
 * @param kek GRANTRY_KEK: 32 bytes, base64, the key-encryption key of private signing keys
 * @param pepper GRANTRY_SECRET_PEPPER: at least 32 bytes, base64, the HMAC key of client secret
 *     hashes, session cookies, CSRF tokens and pending authorization requests
 * @param adminToken GRANTRY_ADMIN_TOKEN: the admin API's bearer token, at least 24 characters
 */
public record SecretSettings(
    Optional<byte[]> kek, Optional<byte[]> pepper, Optional<String> adminToken) {

  static SecretSettings read(Settings s) {
    Optional<String> admin = s.text("GRANTRY_ADMIN_TOKEN");
    if (admin.isPresent() && admin.get().length() < 24) {
      throw new ConfigException("GRANTRY_ADMIN_TOKEN must be at least 24 characters");
    }
    return new SecretSettings(
        bytes(s, "GRANTRY_KEK", 32, 32),
        bytes(s, "GRANTRY_SECRET_PEPPER", 32, Integer.MAX_VALUE),
        admin);
  }

  private static Optional<byte[]> bytes(Settings s, String key, int min, int max) {
    Optional<String> v = s.text(key);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    byte[] b;
    try {
      b =
          v.get().contains("-") || v.get().contains("_")
              ? Base64.getUrlDecoder().decode(v.get())
              : Base64.getDecoder().decode(v.get());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + " is not valid base64");
    }
    if (min == max && b.length != min) {
      throw new ConfigException(
          key + " must decode to exactly " + min + " bytes (AES-256), got " + b.length);
    }
    if (b.length < min) {
      throw new ConfigException(
          key + " must decode to at least " + min + " bytes, got " + b.length);
    }
    return Optional.of(b);
  }

  @Override
  public String toString() {
    return "SecretSettings[redacted]";
  }
}
