package io.grantry.server.config;

import java.util.Optional;

/**
 * Where {@code /metrics} is served and who may read it.
 *
 * @param port GRANTRY_METRICS_PORT: a management port of its own (then the HTTP port serves no
 *     metrics); empty for the HTTP port
 * @param host GRANTRY_METRICS_HOST: the address the management port listens on (default: the HTTP
 *     port's, GRANTRY_HTTP_HOST)
 * @param token GRANTRY_METRICS_TOKEN: when set (at least 24 characters), a scrape must send {@code
 *     Authorization: Bearer <token>}; empty: anyone who reaches the port may scrape
 */
public record MetricsSettings(Optional<Integer> port, String host, Optional<String> token) {
  /** As short as the admin token may be: a scrape token is a credential too. */
  static final int MIN_TOKEN_LENGTH = 24;

  static MetricsSettings read(Settings s, HttpSettings http) {
    Optional<Integer> port = s.optionalWhole("GRANTRY_METRICS_PORT", 1, 65535).map(Long::intValue);
    if (port.isPresent() && port.get() == http.port()) {
      throw new ConfigException(
          "GRANTRY_METRICS_PORT must differ from GRANTRY_HTTP_PORT (" + http.port() + ")");
    }
    String host = s.text("GRANTRY_METRICS_HOST", http.host());
    if (!host.matches("[A-Za-z0-9.:\\-\\[\\]]+")) {
      throw new ConfigException(
          "GRANTRY_METRICS_HOST must be an address or host name, e.g. 127.0.0.1 or 0.0.0.0");
    }
    Optional<String> token = s.text("GRANTRY_METRICS_TOKEN");
    if (token.isPresent() && token.get().length() < MIN_TOKEN_LENGTH) {
      throw new ConfigException(
          "GRANTRY_METRICS_TOKEN must be at least " + MIN_TOKEN_LENGTH + " characters");
    }
    return new MetricsSettings(port, host, token);
  }

  public boolean separatePort() {
    return port.isPresent();
  }

  @Override
  public String toString() {
    return "MetricsSettings[port="
        + port.map(String::valueOf).orElse("http")
        + ", host="
        + host
        + ", token="
        + (token.isEmpty() ? "none" : "<redacted>")
        + "]";
  }
}
