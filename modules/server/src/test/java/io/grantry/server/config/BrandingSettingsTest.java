package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The branding settings are checked when the configuration is read at start: a colour is a CSS
 * colour and nothing else (never a way to write CSS into the pages' stylesheet), a logo an https
 * URL whose origin alone the policy lets in, a name a short line of text.
 */
class BrandingSettingsTest {

  static GrantryConfig config(String key, String value) {
    return GrantryConfig.from(
        new JsonObject().put("GRANTRY_ISSUER", "https://id.example").put(key, value));
  }

  @Test
  void theDefaultsAreGrantrysOwnLook() {
    BrandingSettings b = GrantryConfig.from(new JsonObject()).branding();
    assertThat(b.productName()).isEqualTo("Grantry");
    assertThat(b.logoUrl()).isEmpty();
    assertThat(b.color()).isEmpty();
    assertThat(b.cssFile()).isEmpty();
  }

  @Test
  void cssColoursAreTaken() {
    for (String c :
        List.of(
            "#2457d6",
            "#abc",
            "#abcd",
            "#0a7d4fcc",
            "rgb(36, 87, 214)",
            "rgba(36,87,214,0.9)",
            "rgb(36 87 214 / 90%)",
            "hsl(222deg 71% 49%)",
            "hsla(222, 71%, 49%, .5)",
            "teal",
            "RebeccaPurple")) {
      assertThat(config("GRANTRY_BRAND_COLOR", c).branding().color()).as(c).hasValue(c);
    }
  }

  @Test
  void aHostileColourStopsTheStart() {
    for (String c :
        List.of(
            "red; } body { display: none",
            "#fff;background:url(https://evil.example/x)",
            "red;background-image:url(javascript:alert(1))",
            "expression(alert(1))",
            "url(https://evil.example/x)",
            "</style><script>alert(1)</script>",
            "rgb(1,2,3) !important",
            "rgb(1,2,3)}body{color:red",
            "rgb(1,2,3\\)",
            "var(--x)",
            "#12345",
            "#gggggg",
            "redd",
            "transparent",
            "red\n} body {",
            "\"red\"",
            "rgb(" + "1,".repeat(40) + "1)")) {
      assertThatThrownBy(() -> config("GRANTRY_BRAND_COLOR", c))
          .as(c)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("GRANTRY_BRAND_COLOR must be a CSS colour");
    }
  }

  @Test
  void theLogoIsAnHttpsUrlAndOnlyItsOriginJoinsThePolicy() {
    BrandingSettings b =
        config("GRANTRY_BRAND_LOGO_URL", "https://cdn.example:8443/brand/logo.svg?v=2").branding();
    assertThat(b.logoOrigin()).hasValue("https://cdn.example:8443");
    for (String u :
        List.of(
            "javascript:alert(1)",
            "data:image/svg+xml,<svg/>",
            "/logo.png",
            "//cdn.example/logo.png",
            "https://user:pw@cdn.example/logo.png",
            "https://cdn.example/logo.png#x",
            "http://cdn.example/logo.png",
            "https://cdn.example/logo.png\"; script-src *",
            "https://cdn.example; script-src * /logo.png")) {
      assertThatThrownBy(() -> config("GRANTRY_BRAND_LOGO_URL", u))
          .as(u)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("GRANTRY_BRAND_LOGO_URL");
    }
  }

  @Test
  void anHttpLogoOnlyWhileTheIssuerIsHttp() {
    BrandingSettings b =
        GrantryConfig.from(
                new JsonObject()
                    .put("GRANTRY_ISSUER", "http://localhost:8080")
                    .put("GRANTRY_BRAND_LOGO_URL", "http://127.0.0.1:9999/logo.png"))
            .branding();
    assertThat(b.logoOrigin()).hasValue("http://127.0.0.1:9999");
  }

  @Test
  void theNameIsAShortLine() {
    assertThat(config("GRANTRY_BRAND_NAME", "Acme ID").branding().productName())
        .isEqualTo("Acme ID");
    assertThatThrownBy(() -> config("GRANTRY_BRAND_NAME", "x".repeat(61)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("GRANTRY_BRAND_NAME");
    assertThatThrownBy(() -> config("GRANTRY_BRAND_NAME", "Acme\nID"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("GRANTRY_BRAND_NAME");
  }
}
