package io.grantry.server.config;

import io.grantry.eventstore.pg.PgSettings;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The database and the ledger's writers.
 *
 * @param url GRANTRY_DB_URL, a postgresql:// URL; empty: an embedded PostgreSQL in {@code dataDir}
 * @param user GRANTRY_DB_USER (else from the URL)
 * @param password GRANTRY_DB_PASSWORD (else from the URL)
 * @param poolSize GRANTRY_DB_POOL_SIZE, connections per server process (16)
 * @param timeout GRANTRY_DB_TIMEOUT_MS: how long a request waits for the database before 503, and
 *     the longest any request lives (5 s)
 * @param dataDir GRANTRY_DATA_DIR: the embedded database and the development secrets (./data)
 * @param embeddedSettings GRANTRY_EMBEDDED_PG_SETTINGS: settings of the embedded PostgreSQL
 * @param appendMaxBatch GRANTRY_APPEND_MAX_BATCH: most appends one group commit writes (512)
 * @param appendMaxInFlight GRANTRY_APPEND_MAX_IN_FLIGHT: group commits written at once per event
 *     loop (1)
 * @param analyzeInterval GRANTRY_ANALYZE_INTERVAL_MS: how often growing tables are checked for an
 *     ANALYZE their plans need (5 s; 0: never)
 */
public record DatabaseSettings(
    Optional<String> url,
    Optional<String> user,
    Optional<String> password,
    int poolSize,
    Duration timeout,
    Path dataDir,
    Map<String, String> embeddedSettings,
    int appendMaxBatch,
    int appendMaxInFlight,
    Duration analyzeInterval) {

  public boolean embedded() {
    return url.isEmpty();
  }

  static DatabaseSettings read(Settings s) {
    Optional<String> url = s.text("GRANTRY_DB_URL");
    if (url.isPresent()
        && !(url.get().startsWith("postgresql://")
            || url.get().startsWith("postgres://")
            || url.get().startsWith("jdbc:postgresql://"))) {
      throw new ConfigException(
          "GRANTRY_DB_URL must be a postgresql:// URL, e.g. postgresql://db.example:5432/grantry");
    }
    Map<String, String> embedded = embeddedSettings(s.text("GRANTRY_EMBEDDED_PG_SETTINGS", ""));
    DatabaseSettings settings =
        new DatabaseSettings(
            url,
            s.text("GRANTRY_DB_USER"),
            s.text("GRANTRY_DB_PASSWORD"),
            s.integer("GRANTRY_DB_POOL_SIZE", 16, 1, 1000),
            s.millis("GRANTRY_DB_TIMEOUT_MS", 5000, 100, 600_000),
            Path.of(s.text("GRANTRY_DATA_DIR", "./data")).toAbsolutePath().normalize(),
            embedded,
            s.integer("GRANTRY_APPEND_MAX_BATCH", 512, 1, 10_000),
            s.integer("GRANTRY_APPEND_MAX_IN_FLIGHT", 1, 1, 64),
            s.millis("GRANTRY_ANALYZE_INTERVAL_MS", 5_000, 0, 3_600_000));
    settings.configured(); // checks the URL now, before anything starts
    return settings;
  }

  /**
   * Where the configured database is: the URL, with GRANTRY_DB_USER and GRANTRY_DB_PASSWORD over
   * what it says; empty for the embedded database.
   */
  public Optional<PgSettings> configured() {
    if (url.isEmpty()) {
      return Optional.empty();
    }
    PgSettings s;
    try {
      s = PgSettings.parse(withUser(url.get(), user.orElse(null)));
    } catch (IllegalArgumentException e) {
      if (e.getMessage().contains("(missing user name)")) {
        throw new ConfigException(
            "GRANTRY_DB_URL names no user: set GRANTRY_DB_USER, or put the user in the URL"
                + " (postgresql://user@host:port/database)");
      }
      throw new ConfigException("GRANTRY_DB_URL: " + e.getMessage());
    }
    return Optional.of(
        new PgSettings(
            s.host(),
            s.port(),
            s.database(),
            user.orElse(s.user()),
            password.orElse(s.password()),
            s.parameters()));
  }

  /** A URL without user info takes GRANTRY_DB_USER as its user. */
  private static String withUser(String url, String user) {
    int scheme = url.indexOf("://");
    int slash = url.indexOf('/', scheme + 3);
    String authority = url.substring(scheme + 3, slash < 0 ? url.length() : slash);
    if (user == null || authority.contains("@")) {
      return url;
    }
    return url.substring(0, scheme + 3)
        + URLEncoder.encode(user, StandardCharsets.UTF_8)
        + "@"
        + url.substring(scheme + 3);
  }

  /** Settings that would let a commit be acknowledged before it is on disk: never accepted. */
  private static final Set<String> DURABILITY =
      Set.of("fsync", "synchronous_commit", "full_page_writes", "wal_level", "data_sync_retry");

  /**
   * GRANTRY_EMBEDDED_PG_SETTINGS: {@code name=value} pairs separated by ';' or ',' passed to the
   * embedded PostgreSQL (e.g. {@code max_wal_size=4GB;wal_compression=lz4}), for tuning and
   * benchmarks; the durability settings are refused.
   */
  static Map<String, String> embeddedSettings(String value) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : value.split("[;,]")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair.trim() : pair.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      if (eq < 0 || !name.matches("[a-z_][a-z0-9_.]*") || pair.substring(eq + 1).isBlank()) {
        throw new ConfigException(
            "GRANTRY_EMBEDDED_PG_SETTINGS: expected name=value pairs separated by ';', got '"
                + pair.trim()
                + "'");
      }
      if (DURABILITY.contains(name)) {
        throw new ConfigException(
            "GRANTRY_EMBEDDED_PG_SETTINGS: "
                + name
                + " cannot be changed (every token's event is committed to disk before its answer)");
      }
      out.put(name, pair.substring(eq + 1).trim());
    }
    return Collections.unmodifiableMap(out);
  }
}
