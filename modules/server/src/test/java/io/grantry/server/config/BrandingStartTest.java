package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The brand stylesheet is read once at start, before the database is contacted: a file that is
 * missing, too large or not UTF-8 stops the start with one line naming the setting.
 */
class BrandingStartTest {

  /**
   * Production settings whose database nothing listens for: a start that got there would say so.
   */
  static JsonObject settings(Path css) throws Exception {
    return new JsonObject()
        .put("GRANTRY_DB_URL", "postgresql://grantry@127.0.0.1:" + TestServer.freePort() + "/g")
        .put("GRANTRY_HTTP_PORT", String.valueOf(TestServer.freePort()))
        .put("GRANTRY_KEK", TestServer.randomBase64(32))
        .put("GRANTRY_SECRET_PEPPER", TestServer.randomBase64(32))
        .put("GRANTRY_ADMIN_TOKEN", TestServer.ADMIN_TOKEN)
        .put("GRANTRY_BRAND_CSS_FILE", css.toString());
  }

  @Test
  void aMissingStylesheetIsAClearStartError(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("brand.css");
    Exception e = StartChecksTest.startFailure(settings(missing));
    assertThat(e).isInstanceOf(ConfigException.class);
    assertThat(e.getMessage())
        .isEqualTo("GRANTRY_BRAND_CSS_FILE names " + missing + ", which is not a readable file");
  }

  @Test
  void aDirectoryIsNoStylesheet(@TempDir Path dir) throws Exception {
    Exception e = StartChecksTest.startFailure(settings(dir));
    assertThat(e.getMessage())
        .isEqualTo("GRANTRY_BRAND_CSS_FILE names " + dir + ", which is not a readable file");
  }

  @Test
  void aStylesheetOverTheCapIsRefused(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("big.css");
    Files.writeString(big, "a{}".repeat(BrandingSettings.CSS_MAX_BYTES / 3 + 1));
    Exception e = StartChecksTest.startFailure(settings(big));
    assertThat(e).isInstanceOf(ConfigException.class);
    assertThat(e.getMessage())
        .isEqualTo("GRANTRY_BRAND_CSS_FILE names " + big + ", which is larger than 64 KB");
  }

  @Test
  void aStylesheetThatIsNotUtf8IsRefused(@TempDir Path dir) throws Exception {
    Path latin1 = dir.resolve("latin1.css");
    Files.write(latin1, new byte[] {'a', '{', 'c', 'o', 'n', 't', 'e', 'n', 't', ':', (byte) 0xe4});
    Exception e = StartChecksTest.startFailure(settings(latin1));
    assertThat(e.getMessage())
        .isEqualTo("GRANTRY_BRAND_CSS_FILE names " + latin1 + ", which is not UTF-8");
  }
}
