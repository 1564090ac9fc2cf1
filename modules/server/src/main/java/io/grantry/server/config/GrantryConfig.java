package io.grantry.server.config;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Set;

/**
 * Grantry's settings, read once at start from the environment (and an optional JSON file that
 * overrides it, see {@link ConfigLoader}) into typed records, every value checked before anything
 * starts: a bad one stops the start with one line that names the setting (exit code 2). Each part
 * of the server is handed the records it needs; nothing reads a setting by its name later. The
 * reference of every setting is {@code ops/configuration.md}.
 *
 * @param issuer GRANTRY_ISSUER: the URL clients see as the issuer, without a trailing slash ({@code
 *     http://localhost:<port>})
 * @param logLevel GRANTRY_LOG_LEVEL: TRACE, DEBUG, INFO, WARN, ERROR or OFF (INFO); applied by the
 *     launcher's logging configuration
 * @param logs GRANTRY_LOG_FORMAT and GRANTRY_ACCESS_LOG_SAMPLE
 * @param branding how the browser pages look (GRANTRY_BRAND_*)
 * @param unknown GRANTRY_* settings given that no part of the server reads (a typo, usually): the
 *     launcher warns about them
 * @param tracing GRANTRY_OTEL_* (or the standard OTEL_* variables): OpenTelemetry tracing, off by
 *     default
 */
public record GrantryConfig(
    String issuer,
    HttpSettings http,
    EndpointSettings endpoints,
    MetricsSettings metrics,
    DatabaseSettings database,
    TokenSettings tokens,
    DeviceSettings device,
    SessionSettings sessions,
    CacheSettings caches,
    ThrottleSettings throttles,
    PasswordHashingSettings passwordHashing,
    RetentionSettings retention,
    LedgerSettings ledger,
    ClientSettings clients,
    ParSettings par,
    DpopSettings dpop,
    BrandingSettings branding,
    SecretSettings secrets,
    String logLevel,
    LogSettings logs,
    TracingSettings tracing,
    Set<String> unknown) {

  static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  /**
   * Settings the server does not read but other parts of Grantry do (the CLI's admin API URL, the
   * loader's file name): not unknown.
   */
  private static final Set<String> READ_ELSEWHERE =
      Set.of("GRANTRY_ADMIN_URL", "GRANTRY_CONFIG_FILE");

  public boolean embeddedDatabase() {
    return database.embedded();
  }

  /** Builds and checks the settings from a flat object of GRANTRY_* keys. */
  public static GrantryConfig from(JsonObject in) {
    Settings s = new Settings(in);
    HttpSettings http = HttpSettings.read(s);
    String issuer = stripSlash(s.text("GRANTRY_ISSUER", "http://localhost:" + http.port()));
    validateIssuer(issuer);
    DatabaseSettings database = DatabaseSettings.read(s);
    GrantryConfig config =
        new GrantryConfig(
            issuer,
            http,
            EndpointSettings.read(s),
            MetricsSettings.read(s, http),
            database,
            TokenSettings.read(s, issuer),
            DeviceSettings.read(s),
            SessionSettings.read(s),
            CacheSettings.read(s),
            ThrottleSettings.read(s, database.timeout()),
            PasswordHashingSettings.read(s, database.timeout()),
            RetentionSettings.read(s),
            LedgerSettings.read(s, issuer),
            ClientSettings.read(s),
            ParSettings.read(s),
            DpopSettings.read(s),
            BrandingSettings.read(s, issuer),
            SecretSettings.read(s),
            s.oneOf("GRANTRY_LOG_LEVEL", "INFO", LOG_LEVELS),
            LogSettings.read(s),
            TracingSettings.read(s),
            Set.of());
    Set<String> unknown = s.unread();
    unknown.removeAll(READ_ELSEWHERE);
    return config.withUnknown(Set.copyOf(unknown));
  }

  private GrantryConfig withUnknown(Set<String> unknown) {
    return new GrantryConfig(
        issuer,
        http,
        endpoints,
        metrics,
        database,
        tokens,
        device,
        sessions,
        caches,
        throttles,
        passwordHashing,
        retention,
        ledger,
        clients,
        par,
        dpop,
        branding,
        secrets,
        logLevel,
        logs,
        tracing,
        unknown);
  }

  /** The same settings, listening on {@code port} (tests start servers on free ports). */
  public GrantryConfig withHttp(HttpSettings http) {
    return new GrantryConfig(
        issuer,
        http,
        endpoints,
        metrics,
        database,
        tokens,
        device,
        sessions,
        caches,
        throttles,
        passwordHashing,
        retention,
        ledger,
        clients,
        par,
        dpop,
        branding,
        secrets,
        logLevel,
        logs,
        tracing,
        unknown);
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
}
