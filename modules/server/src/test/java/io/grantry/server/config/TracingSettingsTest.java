package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * GRANTRY_OTEL_*: tracing is off unless an OTLP endpoint is given, by Grantry's setting or the
 * standard OTEL_EXPORTER_OTLP_ENDPOINT, which the loader passes on from the environment.
 */
class TracingSettingsTest {
  static TracingSettings tracing(Object... keysAndValues) {
    JsonObject in = new JsonObject();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      in.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return GrantryConfig.from(in).tracing();
  }

  @Test
  void offByDefault() {
    TracingSettings off = tracing();
    assertThat(off.on()).isFalse();
    assertThat(off).isEqualTo(TracingSettings.off());
    assertThat(tracing("GRANTRY_OTEL_SERVICE_NAME", "idp", "GRANTRY_OTEL_SAMPLE", "0.5").on())
        .isFalse();
  }

  @Test
  void anEndpointTurnsItOnGrantrysOverTheStandardOne() {
    TracingSettings standard =
        tracing(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/", "OTEL_SERVICE_NAME", "idp-eu");
    assertThat(standard.on()).isTrue();
    assertThat(standard.tracesUrl()).isEqualTo("http://collector:4318/v1/traces");
    assertThat(standard.serviceName()).isEqualTo("idp-eu");
    assertThat(standard.sample()).isEqualTo(1);

    TracingSettings ours =
        tracing(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
            "GRANTRY_OTEL_ENDPOINT", "https://otel.internal:4318/base",
            "OTEL_SERVICE_NAME", "idp-eu",
            "GRANTRY_OTEL_SERVICE_NAME", "grantry-eu",
            "GRANTRY_OTEL_SAMPLE", "0.1");
    assertThat(ours.endpoint()).contains("https://otel.internal:4318/base");
    assertThat(ours.tracesUrl()).isEqualTo("https://otel.internal:4318/base/v1/traces");
    assertThat(ours.serviceName()).isEqualTo("grantry-eu");
    assertThat(ours.sample()).isEqualTo(0.1);
    assertThat(GrantryConfig.from(new JsonObject().put("GRANTRY_OTEL_ENDPOINT", "http://c:4318")))
        .extracting(GrantryConfig::unknown)
        .isEqualTo(java.util.Set.of());
  }

  @Test
  void badValuesStopTheStartNamingTheSetting() {
    for (String bad :
        new String[] {"collector:4318", "ftp://c:21", "http://user:pw@c:4318", "http://c?x=1"}) {
      assertThatThrownBy(() -> tracing("GRANTRY_OTEL_ENDPOINT", bad))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("GRANTRY_OTEL_ENDPOINT must be the http(s) URL of an OTLP/HTTP")
          .hasMessageNotContaining("pw");
    }
    assertThatThrownBy(() -> tracing("OTEL_EXPORTER_OTLP_ENDPOINT", "nowhere"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("OTEL_EXPORTER_OTLP_ENDPOINT must be");
    for (String bad : new String[] {"2", "-0.5", "all", "NaN"}) {
      assertThatThrownBy(() -> tracing("GRANTRY_OTEL_SAMPLE", bad))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("GRANTRY_OTEL_SAMPLE must be a number from 0");
    }
    assertThatThrownBy(() -> tracing("GRANTRY_OTEL_SERVICE_NAME", "my service"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("GRANTRY_OTEL_SERVICE_NAME (or OTEL_SERVICE_NAME) must be");
  }

  @Test
  void theLoaderPassesTheStandardVariablesOn() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      GrantryConfig config =
          ConfigLoader.load(
                  vertx,
                  Map.of(
                      "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                      "OTEL_SERVICE_NAME", "from-env",
                      "OTEL_TRACES_SAMPLER", "always_off"))
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      assertThat(config.tracing().endpoint()).isEqualTo(Optional.of("http://collector:4318"));
      assertThat(config.tracing().serviceName()).isEqualTo("from-env");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
