package io.grantry.server.throttle;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The throttles on {@code /metrics}: {@code grantry_throttled_keys{kind}}, how many usernames,
 * client ids and addresses are slowed down or refused right now (this process), and {@code
 * grantry_client_auth_refused_total}, requests answered 429.
 */
public final class ThrottleMetrics {
  private ThrottleMetrics() {}

  public static void register(
      MeterRegistry registry, LoginThrottle login, ClientAuthThrottle clients) {
    gauge(registry, "login_username", login, t -> t.slowedAccounts().size());
    gauge(registry, "login_address", login, t -> t.slowedAddresses().size());
    gauge(registry, "client_id", clients, t -> t.slowedClients().size());
    gauge(registry, "client_assertion", clients, t -> t.slowedAssertions().size());
    gauge(registry, "client_address", clients, t -> t.refusedAddresses().size());
  }

  private static <T> void gauge(
      MeterRegistry registry, String kind, T throttle, ToDoubleFunction<T> size) {
    Gauge.builder("grantry_throttled_keys", throttle, size)
        .tag("kind", kind)
        .description("usernames, client ids and addresses being throttled now (this process)")
        .register(registry);
  }

  public static Counter refused(MeterRegistry registry) {
    return Counter.builder("grantry_client_auth_refused")
        .description("client authentications answered 429")
        .register(registry);
  }
}
