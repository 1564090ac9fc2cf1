package io.grantry.server.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.browser.BrowserFlowTest.Browser;
import io.grantry.server.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The pages in German, in real Chromium: asked for by the application ({@code ui_locales=de}, the
 * browser itself English) and by the browser ({@code Accept-Language: de-DE,de}); either way the
 * sign-in page, its error, and after the sign-in the consent page speak German, and the code comes
 * back. Pages shot at 1280 and 390 px wide into target/screenshots (kept out of git).
 *
 * <p>Chromium is required, never skipped ({@link Browser#open}).
 */
class LanguagesBrowserTest {
  static final String CLIENT_ID = "languages-app";
  static final String CLIENT_NAME = "Test " + CLIENT_ID;
  static final String PASSWORD = "greta's long passphrase";
  static CallbackApp app;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    app = CallbackApp.start(CLIENT_ID, "openid profile offline_access");
    server = app.server;
    app.fixtures.user("greta", PASSWORD);
    app.fixtures.user("hanna", PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  static String url(String path) {
    return app.url(path);
  }

  static void open(Browser b, String state, String extra) {
    app.authorize(b, state, extra);
  }

  static void signIn(Browser b, String username, String password) {
    b.waitFor(By.id("sign-in"));
    b.driver.findElement(By.id("username")).clear();
    b.driver.findElement(By.id("username")).sendKeys(username);
    b.driver.findElement(By.id("password")).sendKeys(password);
    b.driver.findElement(By.id("sign-in")).click();
  }

  /** The sign-in page in German, a wrong password's error in German, then the right one. */
  static void signInInGerman(Browser b, String username) throws Exception {
    b.waitFor(By.id("sign-in"));
    assertThat(b.driver.findElement(By.tagName("html")).getDomAttribute("lang")).isEqualTo("de");
    assertThat(b.driver.getTitle()).isEqualTo("Anmelden · Grantry");
    assertThat(b.text(By.tagName("h1"))).isEqualTo("Anmelden");
    assertThat(b.text(By.cssSelector("header.client .lead"))).isEqualTo("weiter zu " + CLIENT_NAME);
    assertThat(b.text(By.cssSelector("label[for=username]"))).isEqualTo("Benutzername");
    assertThat(b.text(By.cssSelector("label[for=password]"))).isEqualTo("Passwort");
    assertThat(b.text(By.id("cancel"))).isEqualTo("Abbrechen und zur App zurückkehren");
    assertThat(b.text(By.tagName("footer"))).isEqualTo("Geschützt durch Grantry");
    PagesBrowserTest.shoot(b, "login-de");

    signIn(b, username, "not the passphrase");
    assertThat(b.waitFor(By.cssSelector("p.error")).getText())
        .isEqualTo("Benutzername oder Passwort ist falsch.");
    assertThat(b.driver.findElement(By.tagName("html")).getDomAttribute("lang")).isEqualTo("de");
    signIn(b, username, PASSWORD);
  }

  /** The consent page after the sign-in, still in German. */
  static void consentInGerman(Browser b, String username) throws Exception {
    b.waitFor(By.id("allow"));
    assertThat(b.driver.findElement(By.tagName("html")).getDomAttribute("lang")).isEqualTo("de");
    assertThat(b.driver.getTitle()).isEqualTo("Zugriff erlauben · Grantry");
    assertThat(b.text(By.tagName("h1"))).isEqualTo(CLIENT_NAME + " möchte Zugriff");
    assertThat(b.text(By.cssSelector("header.client .lead")))
        .startsWith("Angemeldet als " + username + ".");
    assertThat(
            b.driver.findElements(By.cssSelector("ul.scopes li strong")).stream()
                .map(WebElement::getText))
        .containsExactly("Sie anmelden", "Ihr Profil sehen", "Verbunden bleiben");
    assertThat(b.text(By.id("allow"))).isEqualTo("Erlauben");
    assertThat(b.text(By.id("deny"))).isEqualTo("Ablehnen");
    assertThat(b.text(By.id("switch-account"))).isEqualTo("Nicht " + username + "? Konto wechseln");
    PagesBrowserTest.shoot(b, "consent-de");
  }

  @Test
  void anApplicationAsksForGermanWithUiLocalesAndTheConsentAfterTheSignInKeepsIt()
      throws Exception {
    try (Browser b = Browser.open()) {
      open(b, "ui-1", "&ui_locales=fr-CA%20de");
      signInInGerman(b, "greta");
      consentInGerman(b, "greta");
      b.driver.findElement(By.id("allow")).click();
      b.waitFor(By.id("callback"));
      assertThat(b.driver.getCurrentUrl()).startsWith(url("/callback?code="));
      assertThat(b.text(By.id("state"))).isEqualTo("ui-1");

      // Without ui_locales, this English browser's own pages are English again.
      b.driver.get(server.url("/account/apps"));
      b.waitFor(By.id("sessions"));
      assertThat(b.driver.findElement(By.tagName("html")).getDomAttribute("lang")).isEqualTo("en");
      assertThat(b.text(By.tagName("h1"))).isEqualTo("Apps with access");
    }
  }

  @Test
  void aGermanBrowserGetsGermanPagesWithoutUiLocales() throws Exception {
    try (Browser b = Browser.open("de-DE,de")) {
      open(b, "al-1", "");
      signInInGerman(b, "hanna");
      consentInGerman(b, "hanna");
      b.driver.findElement(By.id("deny")).click();
      b.waitFor(By.id("callback"));
      assertThat(b.text(By.id("error"))).isEqualTo("access_denied");
      assertThat(b.text(By.id("state"))).isEqualTo("al-1");

      // The account pages follow the browser too.
      b.driver.get(server.url("/account/apps"));
      b.waitFor(By.id("sessions"));
      assertThat(b.driver.getTitle()).isEqualTo("Apps mit Zugriff · Grantry");
      assertThat(b.text(By.id("no-apps"))).isEqualTo("Keine App hat Zugriff auf Ihr Konto.");
      assertThat(b.text(By.cssSelector("li.session .current"))).isEqualTo("(dieser Browser)");
      assertThat(b.text(By.cssSelector("li.session strong"))).isEqualTo("Chrome unter Linux");
      assertThat(b.text(By.cssSelector("li.session .granted"))).startsWith("Angemeldet am ");
      PagesBrowserTest.shoot(b, "apps-de");
    }
  }
}
