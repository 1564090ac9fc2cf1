package io.grantry.server.config;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Grantry's settings, read once at start from environment variables (and an optional JSON file that
 * overrides them, see {@link ConfigLoader}) and validated here with a message that names the
 * setting. Secrets (database password, admin token, keys) are never printed.
 *
 * @param httpHost GRANTRY_HTTP_HOST, the address to listen on
 * @param httpPort GRANTRY_HTTP_PORT
 * @param issuer GRANTRY_ISSUER, the URL clients see as the issuer
 * @param httpInstances GRANTRY_HTTP_INSTANCES, HTTP verticles (each mounts every route group)
 * @param dbUrl GRANTRY_DB_URL, a postgresql:// URL; null means an embedded PostgreSQL
 * @param dbUser GRANTRY_DB_USER
 * @param dbPassword GRANTRY_DB_PASSWORD
 * @param dbPoolSize GRANTRY_DB_POOL_SIZE, connections per server
 * @param dbTimeout GRANTRY_DB_TIMEOUT_MS, how long a request waits for the database before 503
 * @param dataDir GRANTRY_DATA_DIR, embedded database and development keys
 * @param raw every GRANTRY_ setting as read, for the settings later features add
 *     <p>Settings read from {@code raw} by the feature they belong to (validated here at start
 *     too): GRANTRY_TOKEN_RETENTION_DAYS (default 30), GRANTRY_PRUNE_INTERVAL_MS (default one hour,
 *     0 off) and GRANTRY_PRUNE_BATCH_SIZE (default 1000) of the token-state retention job ({@code
 *     tokenstate.TokenStatePruner.Settings}).
 */
public record GrantryConfig(
    String httpHost,
    int httpPort,
    String issuer,
    int httpInstances,
    String dbUrl,
    String dbUser,
    String dbPassword,
    int dbPoolSize,
    Duration dbTimeout,
    Path dataDir,
    JsonObject raw) {

  public boolean embeddedDatabase() {
    return dbUrl == null;
  }

  /** Builds and validates the settings from a flat object of GRANTRY_* keys. */
  public static GrantryConfig from(JsonObject in) {
    int port = intSetting(in, "GRANTRY_HTTP_PORT", 8080, 0, 65535);
    String dbUrl = blankToNull(in.getString("GRANTRY_DB_URL"));
    String host = stringSetting(in, "GRANTRY_HTTP_HOST", "127.0.0.1");
    String issuer = stringSetting(in, "GRANTRY_ISSUER", "http://localhost:" + port);
    validateIssuer(issuer);
    int instances =
        intSetting(
            in, "GRANTRY_HTTP_INSTANCES", Runtime.getRuntime().availableProcessors(), 1, 256);
    int pool = intSetting(in, "GRANTRY_DB_POOL_SIZE", 16, 1, 1000);
    int timeoutMs = intSetting(in, "GRANTRY_DB_TIMEOUT_MS", 5000, 100, 600_000);
    Path dataDir =
        Path.of(stringSetting(in, "GRANTRY_DATA_DIR", "./data")).toAbsolutePath().normalize();
    String user = blankToNull(in.getString("GRANTRY_DB_USER"));
    String password = in.getString("GRANTRY_DB_PASSWORD");
    if (dbUrl != null
        && !(dbUrl.startsWith("postgresql://")
            || dbUrl.startsWith("postgres://")
            || dbUrl.startsWith("jdbc:postgresql://"))) {
      throw new ConfigException(
          "GRANTRY_DB_URL must be a postgresql:// URL, e.g. postgresql://db.example:5432/grantry");
    }
    validateHardening(in);
    GrantryConfig config =
        new GrantryConfig(
            host,
            port,
            stripSlash(issuer),
            instances,
            dbUrl,
            user,
            password,
            pool,
            Duration.ofMillis(timeoutMs),
            dataDir,
            in.copy());
    // Validated now so that a bad value stops the start with one line naming it.
    io.grantry.server.tokenstate.TokenStatePruner.Settings.from(config);
    io.grantry.server.oauth.OAuthServices.snapshotEvery(in);
    return config;
  }

  public GrantryConfig withHttpPort(int port) {
    JsonObject r = raw.copy().put("GRANTRY_HTTP_PORT", String.valueOf(port));
    return from(r);
  }

  /**
   * Slow-client deadlines, trusted proxies, HSTS and the throttles are read where used; checked
   * here at start.
   */
  private static void validateHardening(JsonObject in) {
    longSetting(in, "GRANTRY_HTTP_HEADER_TIMEOUT_MS", 10_000, 100, 600_000);
    longSetting(in, "GRANTRY_HTTP_BODY_TIMEOUT_MS", 10_000, 100, 600_000);
    longSetting(in, "GRANTRY_HSTS_MAX_AGE_SECONDS", 31_536_000L, 0, 630_720_000L);
    longSetting(in, "GRANTRY_SESSION_IDLE_SECONDS", 3600, 60, 30L * 24 * 3600);
    longSetting(in, "GRANTRY_SESSION_MAX_SECONDS", 43_200, 60, 366L * 24 * 3600);
    io.grantry.server.http.TrustedProxies.parse(stringSetting(in, "GRANTRY_TRUSTED_PROXIES", ""));
    io.grantry.server.browser.LoginThrottle.fromConfig(in);
    io.grantry.server.throttle.ClientAuthThrottle.fromConfig(in);
    io.grantry.server.health.MetricsSettings.from(in);
  }

  static void validateIssuer(String issuer) {
    try {
      URI u = new URI(issuer);
      if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme())
          || u.getHost() == null
          || u.getQuery() != null
          || u.getFragment() != null) {
        throw new ConfigException(
            "GRANTRY_ISSUER must be an http(s) URL with a host and no query or fragment, got '"
                + issuer
                + "'");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException("GRANTRY_ISSUER is not a URL: '" + issuer + "'");
    }
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  public static String stringSetting(JsonObject in, String key, String dflt) {
    String v = blankToNull(in.getValue(key) == null ? null : String.valueOf(in.getValue(key)));
    return v == null ? dflt : v;
  }

  public static int intSetting(JsonObject in, String key, int dflt, int min, int max) {
    Object v = in.getValue(key);
    if (v == null || String.valueOf(v).isBlank()) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(String.valueOf(v).trim());
      if (i < min || i > max) {
        throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + i);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + " must be a whole number, got '" + v + "'");
    }
  }

  public static long longSetting(JsonObject in, String key, long dflt, long min, long max) {
    Object v = in.getValue(key);
    if (v == null || String.valueOf(v).isBlank()) {
      return dflt;
    }
    try {
      long i = Long.parseLong(String.valueOf(v).trim());
      if (i < min || i > max) {
        throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + i);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + " must be a whole number, got '" + v + "'");
    }
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
