package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class GrantryConfigTest {
  @Test
  void defaultsAreThoseTheReadmeDocuments() {
    GrantryConfig c = GrantryConfig.from(new JsonObject());
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.issuer()).isEqualTo("http://localhost:8080");
    assertThat(c.embeddedDatabase()).isTrue();
    assertThat(c.dataDir().toString()).endsWith("data");
    assertThat(GrantryConfig.from(new JsonObject().put("GRANTRY_HTTP_PORT", "9000")).issuer())
        .isEqualTo("http://localhost:9000");
  }

  @Test
  void badValuesNameTheSetting() {
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_HTTP_PORT", "eighty")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GRANTRY_HTTP_PORT");
    assertThatThrownBy(() -> GrantryConfig.from(new JsonObject().put("GRANTRY_HTTP_PORT", "70000")))
        .hasMessageContaining("between 0 and 65535");
    assertThatThrownBy(() -> GrantryConfig.from(new JsonObject().put("GRANTRY_ISSUER", "ftp://x")))
        .hasMessageContaining("GRANTRY_ISSUER");
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_DB_URL", "mysql://x/y")))
        .hasMessageContaining("GRANTRY_DB_URL");
  }

  @Test
  void aTrailingSlashIsDroppedFromTheIssuer() {
    assertThat(
            GrantryConfig.from(new JsonObject().put("GRANTRY_ISSUER", "https://id.example.com/"))
                .issuer())
        .isEqualTo("https://id.example.com");
  }
}
