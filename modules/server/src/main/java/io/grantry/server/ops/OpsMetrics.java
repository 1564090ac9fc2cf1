package io.grantry.server.ops;

import io.grantry.domain.client.GrantType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;

/**
 * The meters operators chart and alert on (ops/grafana, ops/prometheus), beyond what Vert.x and the
 * event store record by themselves:
 *
 * <ul>
 *   <li>{@code grantry_tokens_issued_total{grant_type}}: token responses per grant type;
 *   <li>{@code grantry_refresh_reuse_detected_total}: rotated refresh tokens presented again (each
 *       revokes its grant);
 *   <li>{@code grantry_client_auth_failures_total{endpoint}}: 401 answers of /token, /revoke and
 *       /introspect (invalid_client);
 *   <li>histogram buckets ({@code _bucket}) on the HTTP server response time and on the event
 *       store's batch size and batch time, so that Prometheus can compute a p99 over any window and
 *       over several instances (the summaries' quantiles cannot be aggregated).
 * </ul>
 */
public final class OpsMetrics {
  public static final String TOKENS_ISSUED = "grantry.tokens.issued";
  public static final String REUSE_DETECTED = "grantry.refresh.reuse.detected";
  public static final String CLIENT_AUTH_FAILURES = "grantry.client.auth.failures";
  static final String HTTP_RESPONSE_TIME = "vertx.http.server.response.time";
  static final String BATCH_SIZE = "grantry.eventstore.append.batch.size";
  static final String BATCH_TIME = "grantry.eventstore.append.batch";

  /**
   * Latency buckets, 1 ms to 10 s: around the token endpoint's p99 targets (10-60 ms) they are
   * close together.
   */
  static final Duration[] LATENCY_BUCKETS = {
    ms(1),
    ms(2),
    ms(5),
    ms(10),
    ms(25),
    ms(50),
    ms(100),
    ms(250),
    ms(500),
    ms(1000),
    ms(2500),
    ms(5000),
    ms(10_000)
  };

  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

  private OpsMetrics() {}

  private static Duration ms(long n) {
    return Duration.ofMillis(n);
  }

  public static Counter tokensIssued(MeterRegistry registry, GrantType type) {
    return Counter.builder(TOKENS_ISSUED)
        .tag("grant_type", type.wire())
        .description("Token responses, per grant type")
        .register(registry);
  }

  public static Counter reuseDetected(MeterRegistry registry) {
    return Counter.builder(REUSE_DETECTED)
        .description("Rotated refresh tokens presented again (each revokes its grant)")
        .register(registry);
  }

  public static Counter clientAuthFailures(MeterRegistry registry, String endpoint) {
    return Counter.builder(CLIENT_AUTH_FAILURES)
        .tag("endpoint", endpoint)
        .description("Failed client authentications (401 invalid_client), per endpoint")
        .register(registry);
  }

  /** Histogram buckets for the latency and batch meters; call before any meter is registered. */
  public static void configure(MeterRegistry registry) {
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public DistributionStatisticConfig configure(
                  Meter.Id id, DistributionStatisticConfig config) {
                if (HTTP_RESPONSE_TIME.equals(id.getName()) || BATCH_TIME.equals(id.getName())) {
                  double[] nanos = new double[LATENCY_BUCKETS.length];
                  for (int i = 0; i < nanos.length; i++) {
                    nanos[i] = LATENCY_BUCKETS[i].toNanos();
                  }
                  return DistributionStatisticConfig.builder()
                      .serviceLevelObjectives(nanos)
                      .build()
                      .merge(config);
                }
                if (BATCH_SIZE.equals(id.getName())) {
                  return DistributionStatisticConfig.builder()
                      .serviceLevelObjectives(BATCH_BUCKETS)
                      .build()
                      .merge(config);
                }
                return config;
              }
            });
  }
}
