package io.grantry.server;

import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.server.config.ConfigException;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ServerSecrets;
import java.nio.file.Path;

/**
 * Where the database is: the configured one, or an embedded PostgreSQL whose data lives in {@code
 * <GRANTRY_DATA_DIR>/postgres} so that a restart keeps it. Blocking: call from a worker.
 */
public final class Database implements AutoCloseable {
  private final PgSettings settings;
  private final EmbeddedPostgres embedded;

  private Database(PgSettings settings, EmbeddedPostgres embedded) {
    this.settings = settings;
    this.embedded = embedded;
  }

  public static Path embeddedDataDir(GrantryConfig config) {
    return config.dataDir().resolve("postgres");
  }

  public static Database open(GrantryConfig config) {
    if (!config.embeddedDatabase()) {
      PgSettings s;
      try {
        s = PgSettings.parse(withUser(config.dbUrl(), config.dbUser()));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("GRANTRY_DB_URL: " + e.getMessage());
      }
      if (config.dbUser() != null || config.dbPassword() != null) {
        s =
            new PgSettings(
                s.host(),
                s.port(),
                s.database(),
                config.dbUser() != null ? config.dbUser() : s.user(),
                config.dbPassword() != null ? config.dbPassword() : s.password(),
                s.parameters());
      }
      return new Database(s, null);
    }
    // The superuser's password, kept with the other development secrets: the embedded server
    // requires it of every connection, so no other local account can use the database.
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .password(ServerSecrets.embeddedDatabasePassword(config.dataDir()));
    embeddedSettings(config.raw().getString("GRANTRY_EMBEDDED_PG_SETTINGS"))
        .forEach(builder::setting);
    EmbeddedPostgres pg = builder.build().start(embeddedDataDir(config), 0);
    return new Database(pg.settings("postgres"), pg);
  }

  /** Settings that would let a commit be acknowledged before it is on disk: never accepted. */
  private static final java.util.Set<String> DURABILITY =
      java.util.Set.of(
          "fsync", "synchronous_commit", "full_page_writes", "wal_level", "data_sync_retry");

  /**
   * GRANTRY_EMBEDDED_PG_SETTINGS: {@code name=value} pairs separated by ';' or ',' passed to the
   * embedded PostgreSQL (e.g. {@code max_wal_size=4GB;wal_compression=lz4}), for tuning and
   * benchmarks; the durability settings are refused.
   */
  static java.util.Map<String, String> embeddedSettings(String value) {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    if (value == null || value.isBlank()) {
      return out;
    }
    for (String pair : value.split("[;,]")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name =
          eq < 0 ? pair.trim() : pair.substring(0, eq).trim().toLowerCase(java.util.Locale.ROOT);
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
    return out;
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
        + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8)
        + "@"
        + url.substring(scheme + 3);
  }

  public PgSettings settings() {
    return settings;
  }

  public boolean embedded() {
    return embedded != null;
  }

  public String describe() {
    return embedded != null
        ? "embedded PostgreSQL at "
            + settings.host()
            + ":"
            + settings.port()
            + ", data in "
            + embedded.dataDir()
        : "PostgreSQL at " + settings.host() + ":" + settings.port() + "/" + settings.database();
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.stop();
    }
  }
}
