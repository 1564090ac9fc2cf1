package io.grantry.server.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.Set;

/**
 * OpenTelemetry tracing: off unless an OTLP endpoint is given. Off means no tracer at all (no
 * OpenTelemetry SDK is built and Vert.x gets no tracer), so the token path pays nothing.
 *
 * @param endpoint GRANTRY_OTEL_ENDPOINT, else the standard OTEL_EXPORTER_OTLP_ENDPOINT: the base
 *     URL of an OTLP/HTTP collector ({@code http://collector:4318}); spans are posted to {@code
 *     <endpoint>/v1/traces} as protobuf. Empty: tracing is off
 * @param serviceName GRANTRY_OTEL_SERVICE_NAME, else the standard OTEL_SERVICE_NAME: the {@code
 *     service.name} of the spans ({@code grantry})
 * @param sample GRANTRY_OTEL_SAMPLE: the share of requests recorded, 0 to 1 (1); one that continues
 *     a caller's trace too: the caller's sampled flag is not followed, so no caller can have more
 *     of its traffic recorded than this share
 */
public record TracingSettings(Optional<String> endpoint, String serviceName, double sample) {
  /**
   * The standard variables read besides GRANTRY_* ones (the loader passes them on from the
   * environment).
   */
  public static final Set<String> STANDARD =
      Set.of("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME");

  static TracingSettings read(Settings s) {
    Optional<String> endpoint = s.text("GRANTRY_OTEL_ENDPOINT");
    String endpointKey = "GRANTRY_OTEL_ENDPOINT";
    if (endpoint.isEmpty()) {
      endpoint = s.text("OTEL_EXPORTER_OTLP_ENDPOINT");
      endpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    }
    if (endpoint.isPresent()) {
      endpoint = Optional.of(checkedEndpoint(endpointKey, endpoint.get()));
    }
    String name =
        s.text("GRANTRY_OTEL_SERVICE_NAME").or(() -> s.text("OTEL_SERVICE_NAME")).orElse("grantry");
    if (!name.matches("[\\x21-\\x7E]{1,128}")) {
      throw new ConfigException(
          "GRANTRY_OTEL_SERVICE_NAME (or OTEL_SERVICE_NAME) must be 1 to 128 printable characters"
              + " without spaces");
    }
    double share = s.share("GRANTRY_OTEL_SAMPLE", 1, "no new trace", "every one", "0.1");
    return new TracingSettings(endpoint, name, share);
  }

  /**
   * An http(s) URL with a host and nothing a collector's base URL does not have; no user
   * information, so that no credential sits in a setting that is logged or shown.
   */
  private static String checkedEndpoint(String key, String url) {
    try {
      URI u = new URI(url);
      if (("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
          && u.getHost() != null
          && u.getRawUserInfo() == null
          && u.getRawQuery() == null
          && u.getRawFragment() == null) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      }
    } catch (URISyntaxException e) {
      // the message below
    }
    throw new ConfigException(
        key
            + " must be the http(s) URL of an OTLP/HTTP collector, without user, query or"
            + " fragment, e.g. http://collector:4318");
  }

  public boolean on() {
    return endpoint.isPresent();
  }

  /** Where spans are posted: the OTLP/HTTP traces path under the endpoint. */
  public String tracesUrl() {
    return endpoint.orElseThrow() + "/v1/traces";
  }

  /** The default: off. */
  public static TracingSettings off() {
    return new TracingSettings(Optional.empty(), "grantry", 1);
  }
}
