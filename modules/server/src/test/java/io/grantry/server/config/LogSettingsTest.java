package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** GRANTRY_LOG_FORMAT and GRANTRY_ACCESS_LOG_SAMPLE, checked at start like every setting. */
class LogSettingsTest {
  static GrantryConfig config(String key, String value) {
    return GrantryConfig.from(new JsonObject().put(key, value));
  }

  @Test
  void defaultsAreTextWithoutAnAccessLog() {
    LogSettings logs = GrantryConfig.from(new JsonObject()).logs();
    assertThat(logs.json()).isFalse();
    assertThat(logs.accessLogSample()).isZero();
  }

  @Test
  void jsonAndAShareAreAccepted() {
    assertThat(config("GRANTRY_LOG_FORMAT", "JSON").logs().json()).isTrue();
    assertThat(config("GRANTRY_ACCESS_LOG_SAMPLE", "0.25").logs().accessLogSample())
        .isEqualTo(0.25);
    assertThat(config("GRANTRY_ACCESS_LOG_SAMPLE", "1").logs().accessLogSample()).isEqualTo(1);
  }

  @Test
  void badValuesStopTheStartNamingTheSetting() {
    assertThatThrownBy(() -> config("GRANTRY_LOG_FORMAT", "xml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("GRANTRY_LOG_FORMAT must be one of json, text, got 'xml'");
    for (String bad : new String[] {"1.5", "-0.1", "half", "NaN"}) {
      assertThatThrownBy(() -> config("GRANTRY_ACCESS_LOG_SAMPLE", bad))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("GRANTRY_ACCESS_LOG_SAMPLE must be a number from 0");
    }
  }
}
