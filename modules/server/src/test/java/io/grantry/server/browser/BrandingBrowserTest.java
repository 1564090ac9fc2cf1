package io.grantry.server.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.browser.BrowserFlowTest.Browser;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A server branded by configuration, in real Chromium: its name in the title and the footer, its
 * logo from another origin (which the Content Security Policy lets in by that origin alone), its
 * colour on the buttons and its stylesheet applied, while the policy keeps {@code style-src 'self'}
 * and no {@code unsafe-inline}. The sign-in page is shot at 1280 and 390 px wide into
 * target/screenshots (kept out of git).
 */
class BrandingBrowserTest {
  static final String CLIENT_ID = "branded-app";
  static final String LOGO =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"40\">"
          + "<rect width=\"160\" height=\"40\" rx=\"8\" fill=\"#0a7d4f\"/></svg>";
  static final String CSS =
      "main.card { border-top: 6px solid rgb(10, 125, 79); }\nfooter { letter-spacing: 3px; }\n";
  static TestServer server;
  static OAuthFixtures fixtures;
  static io.vertx.core.Vertx cdnVertx;
  static HttpServer cdn;
  static Path css;

  @BeforeAll
  static void start() throws Exception {
    css = Files.createTempFile("grantry-brand-", ".css");
    Files.writeString(css, CSS);
    // The logo's own origin: another port of 127.0.0.1, as a CDN would be.
    cdnVertx = io.vertx.core.Vertx.vertx();
    Router router = Router.router(cdnVertx);
    router
        .get("/logo.svg")
        .handler(ctx -> ctx.response().putHeader("Content-Type", "image/svg+xml").end(LOGO));
    cdn =
        TestServer.await(cdnVertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_BRAND_NAME",
                "Acme ID",
                "GRANTRY_BRAND_LOGO_URL",
                cdn() + "/logo.svg",
                "GRANTRY_BRAND_COLOR",
                "#0a7d4f",
                "GRANTRY_BRAND_CSS_FILE",
                css.toString()));
    fixtures = new OAuthFixtures(server);
    fixtures.confidentialClient(
        CLIENT_ID, "https://app.example/callback", "openid profile", "authorization_code");
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (cdnVertx != null) {
      TestServer.await(cdnVertx.close());
    }
    Files.deleteIfExists(css);
  }

  static String cdn() {
    return "http://127.0.0.1:" + cdn.actualPort();
  }

  static String authorize(String extra) {
    return server.url("/authorize")
        + "?response_type=code&client_id="
        + CLIENT_ID
        + "&redirect_uri="
        + OAuthFixtures.enc("https://app.example/callback")
        + "&scope=openid&state=b-1&code_challenge="
        + OAuthFixtures.Pkce.create().challenge()
        + "&code_challenge_method=S256"
        + extra;
  }

  @Test
  void thePolicyStaysStrictAndLetsInTheLogosOriginOnly() throws Exception {
    HttpResponse<String> page = fixtures.browser().get(authorize(""));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .isEqualTo(
            "default-src 'none'; style-src 'self'; img-src 'self' https: data: "
                + cdn()
                + "; frame-ancestors 'none'; base-uri 'none'");
    assertThat(page.body())
        .contains("<title>Sign in · Acme ID</title>", "<footer>Secured by Acme ID</footer>")
        .contains("<img id=\"brand-logo\" src=\"" + cdn() + "/logo.svg\" alt=\"Acme ID\">")
        .containsPattern("<link rel=\"stylesheet\" href=\"/assets/brand.css\\?v=[0-9a-f]{16}\">")
        .doesNotContain("style=");

    HttpResponse<String> sheet = fixtures.browser().get("/assets/brand.css");
    assertThat(sheet.statusCode()).isEqualTo(200);
    assertThat(sheet.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
    assertThat(sheet.body()).isEqualTo(":root { --accent: #0a7d4f; }\n" + CSS);

    // The brand in the other language, and on an error page of any route.
    assertThat(fixtures.browser().get(authorize("&ui_locales=de")).body())
        .contains("<title>Anmelden · Acme ID</title>", "Geschützt durch Acme ID");
    OAuthFixtures.Browser b = fixtures.browser();
    HttpResponse<String> missing =
        b.http.send(
            HttpRequest.newBuilder(URI.create(server.url("/nothing/here")))
                .header("Accept", "text/html")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body())
        .contains("<title>Page not found · Acme ID</title>", "id=\"brand-logo\"");
    assertThat(missing.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("img-src 'self' https: data: " + cdn() + ";");
  }

  @Test
  void theLogoColourAndStylesheetAppearInChromium() throws Exception {
    try (Browser b = Browser.open()) {
      b.driver.get(authorize(""));
      b.waitFor(By.id("sign-in"));
      assertThat(b.driver.getTitle()).isEqualTo("Sign in · Acme ID");
      assertThat(b.text(By.tagName("footer"))).isEqualTo("Secured by Acme ID");
      WebElement logo = b.waitFor(By.id("brand-logo"));
      // Loaded, not blocked by the policy: an image the browser refused has no natural width.
      Object width =
          new WebDriverWait(b.driver, BrowserFlowTest.WAIT)
              .until(
                  d ->
                      b.driver.executeScript(
                          "return arguments[0].complete && arguments[0].naturalWidth > 0"
                              + " ? arguments[0].naturalWidth : null",
                          logo));
      assertThat(((Number) width).intValue()).isEqualTo(160);
      assertThat(b.driver.findElement(By.id("sign-in")).getCssValue("background-color"))
          .isEqualTo("rgba(10, 125, 79, 1)");
      assertThat(b.driver.findElement(By.cssSelector("main.card")).getCssValue("border-top-width"))
          .isEqualTo("6px");
      assertThat(b.driver.findElement(By.tagName("footer")).getCssValue("letter-spacing"))
          .isEqualTo("3px");
      PagesBrowserTest.shoot(b, "login-branded");
    }
  }
}
