package io.grantry.server.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own secrets: the key-encryption key for private signing keys (GRANTRY_KEK), the
 * pepper of client secret hashes (GRANTRY_SECRET_PEPPER) and the admin API's bearer token
 * (GRANTRY_ADMIN_TOKEN).
 *
 * <p>With a configured database they must be configured (the admin token may be left out, which
 * turns the admin API off). In development mode (embedded database) the missing ones are generated
 * once into {@code <data dir>/secrets.json} (mode 0600) and reused, and the server says so.
 * Blocking (file I/O, first-time generation): call from a worker.
 */
public record ServerSecrets(byte[] kek, byte[] pepper, String adminToken, boolean generated) {
  private static final Logger log = LoggerFactory.getLogger(ServerSecrets.class);

  public static ServerSecrets resolve(GrantryConfig config) {
    JsonObject raw = config.raw();
    byte[] kek = bytes(raw, "GRANTRY_KEK", 32);
    byte[] pepper = bytes(raw, "GRANTRY_SECRET_PEPPER", 32);
    String admin = GrantryConfig.blankToNull(raw.getString("GRANTRY_ADMIN_TOKEN"));
    if (admin != null && admin.length() < 24) {
      throw new ConfigException("GRANTRY_ADMIN_TOKEN must be at least 24 characters");
    }
    if (!config.embeddedDatabase()) {
      if (kek == null) {
        throw new ConfigException(
            "GRANTRY_KEK is required with GRANTRY_DB_URL: 32 random bytes, base64"
                + " (e.g. openssl rand -base64 32); it encrypts the private signing keys");
      }
      if (pepper == null) {
        throw new ConfigException(
            "GRANTRY_SECRET_PEPPER is required with GRANTRY_DB_URL: at least 32 random bytes, base64");
      }
      if (admin == null) {
        log.warn("GRANTRY_ADMIN_TOKEN is not set: the admin API refuses every request");
      }
      return new ServerSecrets(kek, pepper, admin, false);
    }
    Path file = config.dataDir().resolve("secrets.json");
    JsonObject stored = read(file);
    boolean changed = false;
    SecureRandom random = new SecureRandom();
    if (kek == null) {
      if (!stored.containsKey("kek")) {
        stored.put("kek", b64(random, 32));
        changed = true;
      }
      kek = Base64.getDecoder().decode(stored.getString("kek"));
    }
    if (pepper == null) {
      if (!stored.containsKey("pepper")) {
        stored.put("pepper", b64(random, 32));
        changed = true;
      }
      pepper = Base64.getDecoder().decode(stored.getString("pepper"));
    }
    if (admin == null) {
      if (!stored.containsKey("admin_token")) {
        byte[] t = new byte[32];
        random.nextBytes(t);
        stored.put("admin_token", Base64.getUrlEncoder().withoutPadding().encodeToString(t));
        changed = true;
      }
      admin = stored.getString("admin_token");
    }
    if (changed) {
      write(file, stored);
      log.info(
          "Development secrets (key-encryption key, secret pepper, admin token) generated into {}",
          file);
    }
    return new ServerSecrets(kek, pepper, admin, true);
  }

  private static byte[] bytes(JsonObject raw, String key, int min) {
    String v = GrantryConfig.blankToNull(raw.getString(key));
    if (v == null) {
      return null;
    }
    byte[] b;
    try {
      b =
          v.contains("-") || v.contains("_")
              ? Base64.getUrlDecoder().decode(v)
              : Base64.getDecoder().decode(v);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + " is not valid base64");
    }
    if (b.length < min) {
      throw new ConfigException(
          key + " must decode to at least " + min + " bytes, got " + b.length);
    }
    if ("GRANTRY_KEK".equals(key) && b.length != 32) {
      throw new ConfigException(
          "GRANTRY_KEK must decode to exactly 32 bytes (AES-256), got " + b.length);
    }
    return b;
  }

  private static String b64(SecureRandom random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  private static JsonObject read(Path file) {
    try {
      return Files.exists(file) ? new JsonObject(Files.readString(file)) : new JsonObject();
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("cannot read " + file + ": " + e.getClass().getSimpleName());
    }
  }

  private static void write(Path file, JsonObject json) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("secrets.json.tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(
          tmp, json.encodePrettily(), StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ConfigException("cannot write " + file + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "ServerSecrets[redacted]";
  }
}
