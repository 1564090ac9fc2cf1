package io.grantry.server.health;

import io.grantry.server.config.ConfigException;
import io.grantry.server.config.GrantryConfig;
import io.vertx.core.json.JsonObject;

/**
 * Where {@code /metrics} is served and who may read it.
 *
 * @param port GRANTRY_METRICS_PORT: a management port of its own (then the HTTP port serves no
 *     metrics), or null for the HTTP port
 * @param host GRANTRY_METRICS_HOST: the address the management port listens on (default: the HTTP
 *     port's, GRANTRY_HTTP_HOST)
 * @param token GRANTRY_METRICS_TOKEN: when set, a scrape must send {@code Authorization: Bearer
 *     <token>}; null: anyone who reaches the port may scrape
 */
public record MetricsSettings(Integer port, String host, String token) {
  /** As short as the admin token may be: a scrape token is a credential too. */
  static final int MIN_TOKEN_LENGTH = 24;

  /** Read and checked at start ({@link GrantryConfig#from}): a bad value names the setting. */
  public static MetricsSettings from(JsonObject raw) {
    int httpPort = GrantryConfig.intSetting(raw, "GRANTRY_HTTP_PORT", 8080, 0, 65535);
    String httpHost = GrantryConfig.stringSetting(raw, "GRANTRY_HTTP_HOST", "127.0.0.1");
    Integer port = null;
    if (!GrantryConfig.stringSetting(raw, "GRANTRY_METRICS_PORT", "").isEmpty()) {
      port = GrantryConfig.intSetting(raw, "GRANTRY_METRICS_PORT", 0, 1, 65535);
      if (port == httpPort) {
        throw new ConfigException(
            "GRANTRY_METRICS_PORT must differ from GRANTRY_HTTP_PORT (" + httpPort + ")");
      }
    }
    String host = GrantryConfig.stringSetting(raw, "GRANTRY_METRICS_HOST", httpHost);
    if (!host.matches("[A-Za-z0-9.:\\-\\[\\]]+")) {
      throw new ConfigException(
          "GRANTRY_METRICS_HOST must be an address or host name, e.g. 127.0.0.1 or 0.0.0.0");
    }
    String token = GrantryConfig.stringSetting(raw, "GRANTRY_METRICS_TOKEN", "");
    if (!token.isEmpty() && token.length() < MIN_TOKEN_LENGTH) {
      throw new ConfigException(
          "GRANTRY_METRICS_TOKEN must be at least " + MIN_TOKEN_LENGTH + " characters");
    }
    return new MetricsSettings(port, host, token.isEmpty() ? null : token);
  }

  public boolean separatePort() {
    return port != null;
  }

  @Override
  public String toString() {
    return "MetricsSettings[port="
        + port
        + ", host="
        + host
        + ", token="
        + (token == null ? "none" : "<redacted>")
        + "]";
  }
}
