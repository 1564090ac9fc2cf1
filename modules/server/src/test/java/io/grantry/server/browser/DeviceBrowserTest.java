package io.grantry.server.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.browser.BrowserFlowTest.Browser;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The device verification page (RFC 8628 §3.3) in real Chromium: a person opens the address a TV
 * shows, signs in, types the code, reads which application asks for what, and allows or denies; the
 * TV's next poll gets tokens or {@code access_denied}. Like {@link BrowserFlowTest}, it fails
 * (never skips) without Chromium.
 */
class DeviceBrowserTest {
  static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
  static final String PASSWORD = "a long enough passphrase";

  static TestServer server;
  static OAuthFixtures fx;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    fx.admin(
        "POST",
        "/admin/clients",
        new JsonObject()
            .put("client_id", "tv")
            .put("client_name", "Living Room TV")
            .put("token_endpoint_auth_method", "none")
            .put("grant_types", new JsonArray().add(DEVICE_GRANT).add("refresh_token"))
            .put("response_types", new JsonArray())
            .put("scope", "openid profile offline_access"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /** The TV asks for a code: the device authorization response. */
  static JsonObject deviceAuthorization() {
    HttpResponse<String> r =
        fx.postForm(
            "/device_authorization",
            "tv",
            null,
            Map.of("client_id", "tv", "scope", "openid profile offline_access"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** The TV's poll. */
  static HttpResponse<String> poll(JsonObject device) {
    return fx.token(
        "tv",
        null,
        Map.of(
            "grant_type",
            DEVICE_GRANT,
            "client_id",
            "tv",
            "device_code",
            device.getString("device_code")));
  }

  static void signIn(Browser b, String username) {
    b.waitFor(By.id("sign-in"));
    assertThat(b.driver.getCurrentUrl()).startsWith(server.url("/account/login?next="));
    b.driver.findElement(By.id("username")).sendKeys(username);
    b.driver.findElement(By.id("password")).sendKeys(PASSWORD);
    b.driver.findElement(By.id("sign-in")).click();
  }

  @Test
  void thePersonTypesTheCodeSeesTheAppAndAllowsAndTheTvGetsTokens() throws Exception {
    String una = fx.user("una", PASSWORD);
    JsonObject device = deviceAuthorization();
    String userCode = device.getString("user_code");
    assertThat(new JsonObject(poll(device).body()).getString("error"))
        .isEqualTo("authorization_pending");
    try (Browser b = Browser.open()) {
      b.driver.get(device.getString("verification_uri"));
      signIn(b, "una");

      // Back on the device page: typed in lower case, without the dash.
      WebElement code = b.waitFor(By.id("user_code"));
      assertThat(b.driver.getCurrentUrl()).isEqualTo(server.url("/device"));
      assertThat(b.driver.getTitle()).isEqualTo("Connect a device · Grantry");
      code.sendKeys(userCode.replace("-", "").toLowerCase());
      b.screenshot("device-entry.png");
      b.driver.findElement(By.id("continue")).click();

      b.waitFor(By.id("allow"));
      assertThat(b.driver.getTitle()).isEqualTo("Allow access · Grantry");
      assertThat(b.text(By.tagName("h1"))).isEqualTo("Living Room TV wants access");
      assertThat(b.text(By.id("user-code"))).isEqualTo(userCode);
      assertThat(
              b.driver.findElements(By.cssSelector("ul.scopes li strong")).stream()
                  .map(WebElement::getText))
          .containsExactly("Sign you in", "See your profile", "Stay connected");
      b.screenshot("device-consent.png");
      b.driver.findElement(By.id("allow")).click();

      b.waitFor(By.id("result"));
      assertThat(b.text(By.id("result"))).isEqualTo("Device connected");
      b.screenshot("device-done.png");
    }
    HttpResponse<String> tokens = poll(device);
    assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
    JsonObject t = new JsonObject(tokens.body());
    assertThat(t.getString("refresh_token")).isNotBlank();
    assertThat(OAuthFixtures.claims(t.getString("id_token")).getString("sub")).isEqualTo(una);
  }

  @Test
  void thePersonOpensTheCompleteUriDeniesAndTheTvIsRefused() throws Exception {
    fx.user("vic", PASSWORD);
    JsonObject device = deviceAuthorization();
    try (Browser b = Browser.open()) {
      b.driver.get(device.getString("verification_uri_complete"));
      signIn(b, "vic");
      // The code comes prefilled; nothing is looked up before the person continues.
      WebElement code = b.waitFor(By.id("user_code"));
      assertThat(code.getDomProperty("value")).isEqualTo(device.getString("user_code"));
      b.driver.findElement(By.id("continue")).click();
      b.waitFor(By.id("deny")).click();
      b.waitFor(By.id("result"));
      assertThat(b.text(By.id("result"))).isEqualTo("Device not connected");
    }
    HttpResponse<String> refused = poll(device);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("access_denied");
  }

  @Test
  void aWrongCodeIsShownAsAnErrorOnThePage() throws Exception {
    fx.user("wes", PASSWORD);
    try (Browser b = Browser.open()) {
      b.driver.get(server.url("/device"));
      signIn(b, "wes");
      b.waitFor(By.id("user_code")).sendKeys("BCDF-GHJK");
      b.driver.findElement(By.id("continue")).click();
      WebElement error = b.waitFor(By.id("code-error"));
      assertThat(error.getText()).contains("not known");
      assertThat(b.driver.findElements(By.id("allow"))).isEmpty();
    }
  }
}
