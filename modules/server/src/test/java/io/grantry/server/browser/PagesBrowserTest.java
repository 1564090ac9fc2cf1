package io.grantry.server.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.browser.BrowserFlowTest.Browser;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;

/**
 * The newcomer's ways out, in real Chromium: "Cancel and return to the app" on the sign-in and
 * consent pages lands on the app's callback with access_denied, the state and the issuer; "Not you?
 * Switch account" shows the sign-in page of the same request and the other person's consent
 * finishes it; revoking an app on the account page asks first ("Keep access" keeps it); a mistyped
 * address is a page with the request id. Each page is also shot at 1280 and 390 px wide into
 * target/screenshots (looked at by a person, kept out of git).
 */
class PagesBrowserTest {
  static final String CLIENT_ID = "pages-browser-app";
  static final String PASSWORD = "pages' long passphrase";
  static CallbackApp app;
  static TestServer server;
  static OAuthFixtures fixtures;

  @BeforeAll
  static void start() throws Exception {
    app = CallbackApp.start(CLIENT_ID, "openid profile");
    server = app.server;
    fixtures = app.fixtures;
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

  static void open(Browser b, String state) {
    app.authorize(b, state, "");
  }

  static void signIn(Browser b, String username) {
    b.waitFor(By.id("sign-in"));
    b.driver.findElement(By.id("username")).sendKeys(username);
    b.driver.findElement(By.id("password")).sendKeys(PASSWORD);
    b.driver.findElement(By.id("sign-in")).click();
  }

  /** The page at 1280 and at 390 px wide, as NAME-1280.png and NAME-390.png. */
  static void shoot(Browser b, String name) throws Exception {
    Files.createDirectories(BrowserFlowTest.SCREENSHOTS);
    for (int width : new int[] {1280, 390}) {
      b.driver.manage().window().setSize(new Dimension(width, 900));
      File shot = b.driver.getScreenshotAs(OutputType.FILE);
      Files.copy(
          shot.toPath(),
          BrowserFlowTest.SCREENSHOTS.resolve(name + "-" + width + ".png"),
          StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static void assertDenied(Browser b, String state) {
    b.waitFor(By.id("callback"));
    assertThat(b.driver.getCurrentUrl()).startsWith(url("/callback?error=access_denied&"));
    assertThat(b.text(By.id("error"))).isEqualTo("access_denied");
    assertThat(b.text(By.id("state"))).isEqualTo(state);
    assertThat(b.text(By.id("iss"))).isEqualTo(server.url(""));
    assertThat(b.text(By.id("code"))).isEqualTo("no code");
  }

  @Test
  void cancelOnTheSignInPageReturnsToTheAppAsADenial() throws Exception {
    try (Browser b = Browser.open()) {
      open(b, "cancel-login");
      b.waitFor(By.id("sign-in"));
      assertThat(b.text(By.id("cancel"))).isEqualTo("Cancel and return to the app");
      shoot(b, "login-cancel");
      b.driver.findElement(By.id("cancel")).click();
      assertDenied(b, "cancel-login");
    }
  }

  @Test
  void notYouSwitchesAccountForTheSameRequestAndCancelOnConsentDenies() throws Exception {
    fixtures.user("ann", PASSWORD);
    fixtures.user("ben", PASSWORD);
    try (Browser b = Browser.open()) {
      open(b, "switch-1");
      signIn(b, "ann");
      b.waitFor(By.id("allow"));
      assertThat(b.text(By.cssSelector("header.client .lead"))).startsWith("Signed in as ann.");
      assertThat(b.text(By.id("switch-account"))).isEqualTo("Not ann? Switch account");
      shoot(b, "consent-leave");

      b.driver.findElement(By.id("switch-account")).click();
      b.waitFor(By.id("sign-in"));
      assertThat(b.text(By.cssSelector("header.client .lead")))
          .isEqualTo("to continue to Test " + CLIENT_ID);
      signIn(b, "ben");
      b.waitFor(By.id("allow"));
      assertThat(b.text(By.cssSelector("header.client .lead"))).startsWith("Signed in as ben.");

      // ben cancels: the app hears access_denied for the request ann's page was for.
      b.driver.findElement(By.id("cancel")).click();
      assertDenied(b, "switch-1");

      // ann's session ended at the switch; ben's is the browser's now.
      open(b, "switch-2");
      b.waitFor(By.id("allow"));
      assertThat(b.text(By.cssSelector("header.client .lead"))).startsWith("Signed in as ben.");
    }
  }

  @Test
  void revokingAnAppAsksFirstAndKeepAccessKeepsIt() throws Exception {
    fixtures.user("cyd", PASSWORD);
    try (Browser b = Browser.open()) {
      open(b, "revoke-1");
      signIn(b, "cyd");
      b.waitFor(By.id("allow")).click();
      b.waitFor(By.id("callback"));
      assertThat(b.text(By.id("code"))).isEqualTo("a code");

      b.driver.get(server.url("/account/apps"));
      b.waitFor(By.id("revoke-" + CLIENT_ID)).click();
      b.waitFor(By.id("confirm-revoke"));
      assertThat(b.driver.getTitle()).isEqualTo("Revoke access · Grantry");
      assertThat(b.text(By.tagName("h1"))).isEqualTo("Revoke access for Test " + CLIENT_ID + "?");
      shoot(b, "revoke-confirm");

      b.driver.findElement(By.id("keep")).click();
      b.waitFor(By.id("app-" + CLIENT_ID));

      b.driver.findElement(By.id("revoke-" + CLIENT_ID)).click();
      b.waitFor(By.id("confirm-revoke")).click();
      b.waitFor(By.cssSelector("p.notice"));
      assertThat(b.text(By.cssSelector("p.notice"))).isEqualTo("Access revoked.");
      assertThat(b.driver.findElements(By.id("app-" + CLIENT_ID))).isEmpty();
    }
  }

  @Test
  void aMistypedAddressIsAPageWithTheRequestId() throws Exception {
    try (Browser b = Browser.open()) {
      b.driver.get(server.url("/acount/apps"));
      b.waitFor(By.id("request-id"));
      assertThat(b.driver.getTitle()).isEqualTo("Page not found · Grantry");
      assertThat(b.text(By.tagName("h1"))).isEqualTo("Page not found");
      assertThat(b.text(By.id("request-id"))).matches("[0-9a-f-]{36}");
      shoot(b, "not-found");
    }
  }
}
