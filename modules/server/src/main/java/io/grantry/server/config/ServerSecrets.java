package io.grantry.server.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own secrets: the key-encryption key for private signing keys (GRANTRY_KEK), the
 * pepper of client secret hashes (GRANTRY_SECRET_PEPPER) and the admin API's bearer token
 * (GRANTRY_ADMIN_TOKEN).
 *
 * <p>With a configured database they must be configured (the admin token may be left out, which
 * turns the admin API off). In development mode (embedded database) the missing ones are generated
 * once into {@code <data dir>/secrets.json} (mode 0600) and reused, and the server says so. The
 * embedded database's superuser password lives there too ({@link #embeddedDatabasePassword}).
 * Blocking (file I/O, first-time generation): call from a worker.
 */
public record ServerSecrets(byte[] kek, byte[] pepper, String adminToken, boolean generated) {
  private static final Logger log = LoggerFactory.getLogger(ServerSecrets.class);

  public static ServerSecrets resolve(GrantryConfig config) {
    byte[] kek = config.secrets().kek().orElse(null);
    byte[] pepper = config.secrets().pepper().orElse(null);
    String admin = config.secrets().adminToken().orElse(null);
    if (!config.embeddedDatabase()) {
      requireConfigured(config);
      if (admin == null) {
        log.warn("GRANTRY_ADMIN_TOKEN is not set: the admin API refuses every request");
      }
      return new ServerSecrets(kek, pepper, admin, false);
    }
    boolean needKek = kek == null;
    boolean needPepper = pepper == null;
    boolean needAdmin = admin == null;
    boolean[] generated = {false};
    JsonObject stored =
        update(
            config.database().dataDir(),
            file -> generated[0] = generateMissing(file, needKek, needPepper, needAdmin));
    if (generated[0]) {
      log.info(
          "Development secrets (key-encryption key, secret pepper, admin token) generated into {}",
          config.database().dataDir().resolve(FILE));
    }
    return new ServerSecrets(
        needKek ? Base64.getDecoder().decode(stored.getString("kek")) : kek,
        needPepper ? Base64.getDecoder().decode(stored.getString("pepper")) : pepper,
        needAdmin ? stored.getString("admin_token") : admin,
        true);
  }

  /**
   * With a configured database, the secrets that must be configured are: checked before anything
   * starts (the server calls it first), so that a missing one is said before the database is
   * contacted. Nothing to check in development mode, which generates what is missing.
   */
  public static void requireConfigured(GrantryConfig config) {
    if (config.embeddedDatabase()) {
      return;
    }
    if (config.secrets().kek().isEmpty()) {
      throw new ConfigException(
          "GRANTRY_KEK is required with GRANTRY_DB_URL: 32 random bytes, base64"
              + " (grantry secrets generate, or openssl rand -base64 32); it encrypts the private"
              + " signing keys");
    }
    if (config.secrets().pepper().isEmpty()) {
      throw new ConfigException(
          "GRANTRY_SECRET_PEPPER is required with GRANTRY_DB_URL: at least 32 random bytes, base64"
              + " (grantry secrets generate)");
    }
  }

  /**
   * The embedded PostgreSQL's superuser password, from {@code <data dir>/secrets.json} (key {@code
   * postgres_password}), generated there (32 random bytes, base64url) when it has none: initdb sets
   * it in a new data directory, and a data directory that still trusts local connections is
   * migrated to it on start (see {@code EmbeddedPostgres}). The CLI's database tools read it from
   * the same place to attach to the server's database. Blocking.
   */
  public static String embeddedDatabasePassword(Path dataDir) {
    return update(
            dataDir,
            stored -> {
              if (stored.getValue(PG_PASSWORD) instanceof String p && !p.isEmpty()) {
                return false;
              }
              byte[] b = new byte[32];
              new SecureRandom().nextBytes(b);
              stored.put(PG_PASSWORD, Base64.getUrlEncoder().withoutPadding().encodeToString(b));
              return true;
            })
        .getString(PG_PASSWORD);
  }

  private static final String FILE = "secrets.json";
  private static final String PG_PASSWORD = "postgres_password";

  /** Generates into {@code stored} the secrets asked for that it lacks; true if it did. */
  private static boolean generateMissing(
      JsonObject stored, boolean kek, boolean pepper, boolean adminToken) {
    SecureRandom random = new SecureRandom();
    boolean changed = false;
    if (kek && !stored.containsKey("kek")) {
      stored.put("kek", b64(random, 32));
      changed = true;
    }
    if (pepper && !stored.containsKey("pepper")) {
      stored.put("pepper", b64(random, 32));
      changed = true;
    }
    if (adminToken && !stored.containsKey("admin_token")) {
      byte[] t = new byte[32];
      random.nextBytes(t);
      stored.put("admin_token", Base64.getUrlEncoder().withoutPadding().encodeToString(t));
      changed = true;
    }
    return changed;
  }

  /**
   * Reads {@code secrets.json}, lets {@code change} fill it in, and writes it back if it did, all
   * under an exclusive lock on {@code secrets.json.lock}: the server and a CLI command may both
   * generate a secret at once, and one must not overwrite the other's.
   */
  private static synchronized JsonObject update(Path dataDir, Predicate<JsonObject> change) {
    Path file = dataDir.resolve(FILE);
    try {
      Files.createDirectories(dataDir);
      try (FileChannel channel =
              FileChannel.open(
                  dataDir.resolve(FILE + ".lock"),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock lock = channel.lock()) {
        JsonObject stored = read(file);
        if (change.test(stored)) {
          write(file, stored);
        }
        return stored;
      }
    } catch (IOException e) {
      throw new ConfigException("cannot lock " + file + ": " + e.getMessage());
    }
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
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ConfigException("cannot write " + file + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "ServerSecrets[redacted]";
  }
}
