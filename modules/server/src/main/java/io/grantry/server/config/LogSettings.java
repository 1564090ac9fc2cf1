package io.grantry.server.config;

import java.util.Optional;
import java.util.Set;

/**
 * How the server logs.
 *
 * @param format GRANTRY_LOG_FORMAT: {@code text} (one line per event: ISO-8601 time with its zone,
 *     level, logger, message, and the request's id, client and route when it is about one) or
 *     {@code json} (one JSON object per line, the same fields as keys, for a log shipper); applied
 *     by the launcher's logging configuration
 * @param accessLogSample GRANTRY_ACCESS_LOG_SAMPLE: the share of requests the access log names, 0
 *     (none, the default) to 1 (every one); a 5xx answer is always named while it is above 0
 */
public record LogSettings(String format, double accessLogSample) {
  static final Set<String> FORMATS = Set.of("text", "json");

  static LogSettings read(Settings s) {
    String format = s.oneOf("GRANTRY_LOG_FORMAT", "text", FORMATS);
    Optional<String> sample = s.text("GRANTRY_ACCESS_LOG_SAMPLE");
    double share = 0;
    if (sample.isPresent()) {
      try {
        share = Double.parseDouble(sample.get());
      } catch (NumberFormatException e) {
        share = Double.NaN;
      }
      if (!(share >= 0 && share <= 1)) {
        throw new ConfigException(
            "GRANTRY_ACCESS_LOG_SAMPLE must be a number from 0 (no access log) to 1 (every"
                + " request), e.g. 0.01, got '"
                + sample.get()
                + "'");
      }
    }
    return new LogSettings(format, share);
  }

  public boolean json() {
    return "json".equals(format);
  }

  /** The default: text, no access log. */
  public static LogSettings defaults() {
    return new LogSettings("text", 0);
  }
}
