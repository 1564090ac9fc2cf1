package io.grantry.server.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.browser.BrowserFlowTest.Browser;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * RP-initiated logout in real Chromium: a sign-out request without an ID token hint asks the person
 * on a confirmation page ("Stay signed in" keeps the session), and confirming ends the session on
 * the server, so the next authorization request asks to sign in again; with the hint of the
 * signed-in user and a registered URI the browser goes straight back to the app with its state.
 */
class LogoutBrowserTest {
  static final String CLIENT_ID = "logout-app";
  static final String PASSWORD = "logout's long passphrase";
  static TestServer server;
  static OAuthFixtures fixtures;
  static HttpServer app;
  static String secret;

  /** The code the app's callback received, by state. */
  static final Map<String, String> codes = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fixtures = new OAuthFixtures(server);
    Router router = Router.router(server.vertx);
    router
        .get("/callback")
        .handler(
            ctx -> {
              codes.put(
                  ctx.queryParams().get("state"), String.valueOf(ctx.queryParams().get("code")));
              page(ctx, "<h1 id=\"callback\">" + esc(ctx.queryParams().get("state")) + "</h1>");
            });
    router
        .get("/bye")
        .handler(
            ctx -> page(ctx, "<h1 id=\"bye\">" + esc(ctx.queryParams().get("state")) + "</h1>"));
    app =
        TestServer.await(
            server.vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    secret =
        fixtures
            .admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", CLIENT_ID)
                    .put("client_name", "Logout app")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("redirect_uris", new JsonArray().add(url("/callback")))
                    .put("post_logout_redirect_uris", new JsonArray().add(url("/bye")))
                    .put("grant_types", new JsonArray().add("authorization_code"))
                    .put("scope", "openid")
                    .put("skip_consent", true))
            .getString("client_secret");
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      TestServer.await(app.close());
    }
    if (server != null) {
      server.close();
    }
  }

  static String url(String path) {
    return "http://127.0.0.1:" + app.actualPort() + path;
  }

  static void page(io.vertx.ext.web.RoutingContext ctx, String body) {
    ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end(
            "<!doctype html><html><head><title>App</title></head><body>" + body + "</body></html>");
  }

  static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Connects the browser (signing in when asked); returns the ID token the app gets. */
  static String connect(Browser b, String state, OAuthFixtures.Pkce pkce) {
    b.driver.get(
        server.url("/authorize")
            + "?response_type=code&client_id="
            + CLIENT_ID
            + "&redirect_uri="
            + OAuthFixtures.enc(url("/callback"))
            + "&scope=openid&state="
            + state
            + "&code_challenge="
            + pkce.challenge()
            + "&code_challenge_method=S256");
    b.waitFor(By.cssSelector("#sign-in, #callback"));
    if (!b.driver.findElements(By.id("sign-in")).isEmpty()) {
      b.driver.findElement(By.id("username")).sendKeys("lou");
      b.driver.findElement(By.id("password")).sendKeys(PASSWORD);
      b.driver.findElement(By.id("sign-in")).click();
      b.waitFor(By.id("callback"));
    }
    var r = fixtures.redeem(CLIENT_ID, secret, codes.get(state), url("/callback"), pkce);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("id_token");
  }

  @Test
  void withoutAHintThePersonConfirmsAndTheSessionEndsOnTheServer() throws Exception {
    fixtures.user("lou", PASSWORD);
    try (Browser b = Browser.open()) {
      connect(b, "s1", OAuthFixtures.Pkce.create());

      // A sign-out request with no hint: the confirmation page. Staying keeps the session.
      b.driver.get(server.url("/logout"));
      b.waitFor(By.id("sign-out"));
      assertThat(b.driver.getTitle()).isEqualTo("Sign out · Grantry");
      assertThat(b.text(By.tagName("h1"))).isEqualTo("Sign out of Grantry?");
      b.driver.findElement(By.id("stay")).click();
      b.waitFor(By.id("sessions"));
      connect(b, "s2", OAuthFixtures.Pkce.create()); // no sign-in page: still signed in

      // Confirming signs out; the next Connect asks to sign in again.
      b.driver.get(server.url("/logout"));
      b.waitFor(By.id("sign-out")).click();
      b.waitFor(By.id("signed-out"));
      b.driver.get(
          server.url("/authorize")
              + "?response_type=code&client_id="
              + CLIENT_ID
              + "&redirect_uri="
              + OAuthFixtures.enc(url("/callback"))
              + "&scope=openid&state=s3&code_challenge="
              + OAuthFixtures.Pkce.create().challenge()
              + "&code_challenge_method=S256");
      b.waitFor(By.id("sign-in"));
    }
  }

  @Test
  void withTheHintOfTheSignedInUserTheBrowserGoesBackToTheApp() throws Exception {
    fixtures.user("lou2", PASSWORD);
    try (Browser b = Browser.open()) {
      b.driver.get(server.url("/account/login"));
      b.waitFor(By.id("sign-in"));
      b.driver.findElement(By.id("username")).sendKeys("lou2");
      b.driver.findElement(By.id("password")).sendKeys(PASSWORD);
      b.driver.findElement(By.id("sign-in")).click();
      b.waitFor(By.id("sessions"));
      String idToken = connect(b, "h1", OAuthFixtures.Pkce.create());
      assertThat(
              new JsonObject(new String(Base64.getUrlDecoder().decode(idToken.split("\\.")[1])))
                  .getString("sid"))
          .isNotBlank();

      b.driver.get(
          server.url("/logout")
              + "?id_token_hint="
              + idToken
              + "&post_logout_redirect_uri="
              + OAuthFixtures.enc(url("/bye"))
              + "&state=back-1");
      b.waitFor(By.id("bye"));
      assertThat(b.driver.getCurrentUrl()).isEqualTo(url("/bye?state=back-1"));
    }
  }
}
