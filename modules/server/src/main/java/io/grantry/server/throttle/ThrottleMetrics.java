package io.grantry.server.throttle;

import io.grantry.server.ServerResources;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The throttles on {@code /metrics}: {@code grantry_throttled_keys{kind}}, how many usernames,
 * client ids and addresses are slowed down or refused right now (this process), and {@code
 * grantry_client_auth_refused_total}, requests answered 429.
 */
public final class ThrottleMetrics {
  private ThrottleMetrics() {}

  public static void register(MeterRegistry registry, ServerResources r) {
    Gauge.builder("grantry_throttled_keys", r, x -> x.loginThrottle().slowedAccounts().size())
        .tag("kind", "login_username")
        .description("usernames, client ids and addresses being throttled now (this process)")
        .register(registry);
    Gauge.builder("grantry_throttled_keys", r, x -> x.loginThrottle().slowedAddresses().size())
        .tag("kind", "login_address")
        .description("usernames, client ids and addresses being throttled now (this process)")
        .register(registry);
    Gauge.builder("grantry_throttled_keys", r, x -> x.clientAuthThrottle().slowedClients().size())
        .tag("kind", "client_id")
        .description("usernames, client ids and addresses being throttled now (this process)")
        .register(registry);
    Gauge.builder(
            "grantry_throttled_keys", r, x -> x.clientAuthThrottle().refusedAddresses().size())
        .tag("kind", "client_address")
        .description("usernames, client ids and addresses being throttled now (this process)")
        .register(registry);
  }

  public static Counter refused(MeterRegistry registry) {
    return Counter.builder("grantry_client_auth_refused")
        .description("client authentications answered 429")
        .register(registry);
  }
}
