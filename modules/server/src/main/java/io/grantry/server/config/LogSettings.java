package io.grantry.server.config;

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
    double share =
        s.share("GRANTRY_ACCESS_LOG_SAMPLE", 0, "no access log", "every request", "0.01");
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
