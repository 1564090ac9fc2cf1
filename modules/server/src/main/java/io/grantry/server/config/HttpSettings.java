package io.grantry.server.config;

import java.time.Duration;

/**
 * The HTTP server.
 *
 * @param host GRANTRY_HTTP_HOST, the address to listen on (127.0.0.1)
 * @param port GRANTRY_HTTP_PORT (8080; 0: any free port)
 * @param instances GRANTRY_HTTP_INSTANCES, HTTP verticles, each mounting every route group (one per
 *     core)
 * @param headerTimeout GRANTRY_HTTP_HEADER_TIMEOUT_MS: a request's head must be complete within
 *     this time of the connection's opening or the previous response (10 s)
 * @param bodyTimeout GRANTRY_HTTP_BODY_TIMEOUT_MS: its body within this time of the head (10 s)
 * @param trustedProxies GRANTRY_TRUSTED_PROXIES: the peers whose X-Forwarded-For and
 *     X-Forwarded-Proto are believed
 * @param hstsMaxAge GRANTRY_HSTS_MAX_AGE_SECONDS: Strict-Transport-Security over https (one year;
 *     0: none)
 */
public record HttpSettings(
    String host,
    int port,
    int instances,
    Duration headerTimeout,
    Duration bodyTimeout,
    ProxyRanges trustedProxies,
    Duration hstsMaxAge) {

  static HttpSettings read(Settings s) {
    return new HttpSettings(
        s.text("GRANTRY_HTTP_HOST", "127.0.0.1"),
        s.integer("GRANTRY_HTTP_PORT", 8080, 0, 65535),
        s.integer("GRANTRY_HTTP_INSTANCES", Runtime.getRuntime().availableProcessors(), 1, 256),
        s.millis("GRANTRY_HTTP_HEADER_TIMEOUT_MS", 10_000, 100, 600_000),
        s.millis("GRANTRY_HTTP_BODY_TIMEOUT_MS", 10_000, 100, 600_000),
        ProxyRanges.parse(s.text("GRANTRY_TRUSTED_PROXIES", "")),
        s.seconds("GRANTRY_HSTS_MAX_AGE_SECONDS", 31_536_000L, 0, 630_720_000L));
  }

  /** The same with another port (tests start servers on free ports). */
  public HttpSettings withPort(int port) {
    return new HttpSettings(
        host, port, instances, headerTimeout, bodyTimeout, trustedProxies, hstsMaxAge);
  }
}
