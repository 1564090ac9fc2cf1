package io.grantry.server.config;

import io.grantry.eventstore.pg.PgSettings;
import java.nio.file.Path;
import java.time.Duration;
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
    if (url.isPresent()) {
      try {
        PgSettings.parse(url.get());
      } catch (IllegalArgumentException e) {
        throw new ConfigException("GRANTRY_DB_URL: " + e.getMessage());
      }
    }
    Map<String, String> embedded = embeddedSettings(s.text("GRANTRY_EMBEDDED_PG_SETTINGS", ""));
    return new DatabaseSettings(
        url,
        s.text("GRANTRY_DB_USER"),
        // A password may be blank on purpose; only absence means "from the URL".
        s.text("GRANTRY_DB_PASSWORD"),
        s.integer("GRANTRY_DB_POOL_SIZE", 16, 1, 1000),
        s.millis("GRANTRY_DB_TIMEOUT_MS", 5000, 100, 600_000),
        Path.of(s.text("GRANTRY_DATA_DIR", "./data")).toAbsolutePath().normalize(),
        embedded,
        s.integer("GRANTRY_APPEND_MAX_BATCH", 512, 1, 10_000),
        s.integer("GRANTRY_APPEND_MAX_IN_FLIGHT", 1, 1, 64),
        s.millis("GRANTRY_ANALYZE_INTERVAL_MS", 5_000, 0, 3_600_000));
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
    return Map.copyOf(out);
  }
}
