package io.grantry.server.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.browser.BrowserFlowTest.Browser;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * OAuth 2.0 Form Post Response Mode in real Chromium: the authorization response arrives at the
 * client's callback as a POST that the browser made by itself (the page's one script runs under the
 * page's Content Security Policy), with code, state and iss; an error arrives the same way; and the
 * client may redirect after it, as clients do.
 */
class FormPostBrowserTest {
  static final String CLIENT_ID = "form-post-app";
  static TestServer server;
  static OAuthFixtures fixtures;
  static HttpServer app;

  /** What the callback received, by state. */
  static final Map<String, MultiMap> received = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fixtures = new OAuthFixtures(server);
    Router router = Router.router(server.vertx);
    router.post("/callback").handler(BodyHandler.create()).handler(FormPostBrowserTest::callback);
    router
        .get("/done")
        .handler(
            ctx -> page(ctx, "<h1 id=\"done\">" + esc(ctx.queryParams().get("state")) + "</h1>"));
    app =
        TestServer.await(
            server.vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    fixtures.confidentialClient(CLIENT_ID, url("/callback"), "openid", "authorization_code");
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

  /** Keeps the posted form and sends the browser on to /done, as a client's callback does. */
  static void callback(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    received.put(
        String.valueOf(form.get("state")), MultiMap.caseInsensitiveMultiMap().addAll(form));
    ctx.response()
        .setStatusCode(303)
        .putHeader(
            "Location", "/done?state=" + OAuthFixtures.enc(String.valueOf(form.get("state"))))
        .end();
  }

  static void page(RoutingContext ctx, String body) {
    ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end(
            "<!doctype html><html><head><title>App</title></head><body>" + body + "</body></html>");
  }

  static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  static String authorize(String state) {
    return server.url("/authorize")
        + "?response_type=code&response_mode=form_post&client_id="
        + CLIENT_ID
        + "&redirect_uri="
        + OAuthFixtures.enc(url("/callback"))
        + "&scope=openid&state="
        + state
        + "&code_challenge="
        + OAuthFixtures.Pkce.create().challenge()
        + "&code_challenge_method=S256";
  }

  static void signIn(Browser b, String username, String password) {
    b.waitFor(By.id("sign-in"));
    b.driver.findElement(By.id("username")).sendKeys(username);
    b.driver.findElement(By.id("password")).sendKeys(password);
    b.driver.findElement(By.id("sign-in")).click();
  }

  @Test
  void theCodeStateAndIssuerArePostedToTheCallbackWhichMayRedirectAfter() throws Exception {
    fixtures.user("fay", "fay's long passphrase");
    try (Browser b = Browser.open()) {
      b.driver.get(authorize("st-1"));
      signIn(b, "fay", "fay's long passphrase");
      b.waitFor(By.id("allow")).click();

      b.waitFor(By.id("done"));
      assertThat(b.driver.getCurrentUrl()).isEqualTo(url("/done?state=st-1"));
      MultiMap form = received.get("st-1");
      assertThat(form).as("the callback was posted the response").isNotNull();
      assertThat(form.get("code")).isNotBlank();
      assertThat(form.get("iss")).isEqualTo(server.url(""));
      assertThat(form.names()).containsExactlyInAnyOrder("code", "state", "iss");
    }
  }

  @Test
  void aDenialIsPostedToTheCallbackToo() throws Exception {
    fixtures.user("gus", "gus's long passphrase");
    try (Browser b = Browser.open()) {
      b.driver.get(authorize("st-2"));
      signIn(b, "gus", "gus's long passphrase");
      b.waitFor(By.id("deny")).click();

      b.waitFor(By.id("done"));
      MultiMap form = received.get("st-2");
      assertThat(form).isNotNull();
      assertThat(form.get("error")).isEqualTo("access_denied");
      assertThat(form.get("iss")).isEqualTo(server.url(""));
      assertThat(form.get("code")).isNull();
    }
  }
}
