package io.grantry.server.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.MultiMap;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.WebClient;
import java.io.File;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * "Connect" in a real browser: Debian's Chromium, driven by Selenium through Debian's chromedriver,
 * goes from a small client web app to Grantry's sign-in and consent pages and back to the app's
 * callback, which checks the state and exchanges the code at /token.
 *
 * <p>Chromium is required, never skipped: without it the test fails and says what to install.
 */
class BrowserFlowTest {
  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  static final String CLIENT_ID = "demo-app";
  static final String CLIENT_NAME = "Test " + CLIENT_ID;
  static final String SCOPE = "openid profile offline_access";
  static final Duration WAIT = Duration.ofSeconds(10);
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  /**
   * The test uses WebDriver only, never DevTools: quiet Selenium's warning that no CDP version
   * matches.
   */
  static final List<Logger> QUIET =
      Stream.of("org.openqa.selenium.devtools", "org.openqa.selenium.chromium")
          .map(Logger::getLogger)
          .peek(l -> l.setLevel(Level.SEVERE))
          .toList();

  static TestServer server;
  static OAuthFixtures fixtures;
  static ClientApp app;
  static String issuer;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fixtures = new OAuthFixtures(server);
    HttpResponse<String> discovery = fixtures.browser().get("/.well-known/openid-configuration");
    assertThat(discovery.statusCode()).isEqualTo(200);
    issuer = new JsonObject(discovery.body()).getString("issuer");
    app = new ClientApp();
    app.secret =
        fixtures.confidentialClient(
            CLIENT_ID, app.url("/callback"), SCOPE, "authorization_code", "refresh_token");
  }

  @AfterAll
  static void stop() throws Exception {
    if (app != null) {
      TestServer.await(app.http.close());
    }
    if (server != null) {
      server.close();
    }
  }

  // ---------------------------------------------------------------- the scenarios

  @Test
  void connectSignsInAsksConsentAndReturnsWithTokensThenTheSecondConnectSkipsBothPages()
      throws Exception {
    String alice = fixtures.user("alice", "correct horse battery staple");
    try (Browser b = Browser.open()) {
      // (1) First Connect: sign-in page, consent page, callback.
      String state = b.connect();
      b.waitFor(By.id("sign-in"));
      assertThat(b.driver.getCurrentUrl()).startsWith(server.url("/authorize?"));
      assertThat(b.driver.getTitle()).isEqualTo("Sign in · Grantry");
      assertThat(b.text(By.cssSelector("header.client .lead")))
          .isEqualTo("to continue to " + CLIENT_NAME);
      b.screenshot("login.png");

      b.driver.findElement(By.id("username")).sendKeys("alice");
      b.driver.findElement(By.id("password")).sendKeys("correct horse battery staple");
      b.driver.findElement(By.id("sign-in")).click();

      b.waitFor(By.id("allow"));
      assertThat(b.driver.getTitle()).isEqualTo("Allow access · Grantry");
      assertThat(b.text(By.tagName("h1"))).isEqualTo(CLIENT_NAME + " wants access");
      assertThat(b.text(By.cssSelector("header.client .lead"))).startsWith("Signed in as alice.");
      assertThat(
              b.driver.findElements(By.cssSelector("ul.scopes li strong")).stream()
                  .map(WebElement::getText))
          .containsExactly("Sign you in", "See your profile", "Stay connected");
      b.screenshot("consent.png");
      b.driver.findElement(By.id("allow")).click();

      b.waitFor(By.id("result"));
      assertSignedIn(b, state, alice);

      // (2) Second Connect in the same browser: the session and the remembered consent skip both
      // pages, so the browser lands on the callback with nothing clicked.
      String second = b.connect();
      assertThat(second).isNotEqualTo(state);
      b.waitFor(By.id("result"));
      assertSignedIn(b, second, alice);
    }
  }

  @Test
  void denyingConsentSendsAccessDeniedWithTheStateAndTheIssuerToTheCallback() throws Exception {
    fixtures.user("bob", "bob's long passphrase");
    try (Browser b = Browser.open()) {
      String state = b.connect();
      b.waitFor(By.id("sign-in"));
      b.driver.findElement(By.id("username")).sendKeys("bob");
      b.driver.findElement(By.id("password")).sendKeys("bob's long passphrase");
      b.driver.findElement(By.id("sign-in")).click();
      b.waitFor(By.id("deny")).click();

      b.waitFor(By.id("result"));
      assertThat(b.driver.getCurrentUrl()).startsWith(app.url("/callback?error=access_denied&"));
      assertThat(b.text(By.id("result"))).isEqualTo("Access was not granted");
      assertThat(b.text(By.id("error"))).isEqualTo("access_denied");
      assertThat(b.text(By.id("state"))).isEqualTo(state);
      assertThat(b.text(By.id("state-check"))).isEqualTo("state matched");
      assertThat(b.text(By.id("iss"))).isEqualTo(issuer);
      assertThat(b.driver.findElements(By.id("exchange"))).isEmpty();
    }
  }

  @Test
  void theAccountPageListsSessionsAndSigningOutEndsThemOnTheServer() throws Exception {
    fixtures.user("carol", "carol's long passphrase");
    try (Browser laptop = Browser.open();
        Browser phone = Browser.open()) {
      for (Browser b : List.of(laptop, phone)) {
        b.connect();
        b.waitFor(By.id("sign-in"));
        b.driver.findElement(By.id("username")).sendKeys("carol");
        b.driver.findElement(By.id("password")).sendKeys("carol's long passphrase");
        b.driver.findElement(By.id("sign-in")).click();
        b.waitFor(By.cssSelector("#allow, #result"));
        if (!b.driver.findElements(By.id("allow")).isEmpty()) {
          b.driver.findElement(By.id("allow")).click();
        }
        b.waitFor(By.id("result"));
      }
      // The laptop sees both sessions, marks its own, and signs the phone out.
      laptop.driver.get(server.url("/account/apps"));
      laptop.waitFor(By.id("sessions"));
      assertThat(laptop.driver.findElements(By.cssSelector("li.session"))).hasSize(2);
      assertThat(laptop.text(By.cssSelector("li.session .current"))).isEqualTo("(this browser)");
      laptop.screenshot("account-sessions.png");
      laptop.driver.findElement(By.id("sign-out-others")).click();
      laptop.waitFor(By.cssSelector("p.notice"));
      assertThat(laptop.driver.findElements(By.cssSelector("li.session"))).hasSize(1);

      // The phone's cookie is still there, but the server ended its session: Connect asks to
      // sign in again.
      phone.connect();
      phone.waitFor(By.id("sign-in"));

      // Signing out on the laptop ends its session too.
      laptop.driver.get(server.url("/account/apps"));
      laptop.waitFor(By.id("sign-out")).click();
      laptop.waitFor(By.id("sign-in"));
      laptop.connect();
      laptop.waitFor(By.id("sign-in"));
    }
  }

  @Test
  void theSignInPageForbidsFramingAndReferrers() {
    OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
    HttpResponse<String> r =
        fixtures
            .browser()
            .get(
                "/authorize?response_type=code&client_id="
                    + CLIENT_ID
                    + "&redirect_uri="
                    + OAuthFixtures.enc(app.url("/callback"))
                    + "&scope="
                    + OAuthFixtures.enc(SCOPE)
                    + "&state=s1&code_challenge="
                    + pkce.challenge()
                    + "&code_challenge_method=S256");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("action=\"/login\"");
    assertThat(r.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("frame-ancestors 'none'");
    assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
  }

  /** The callback page after a successful exchange, for {@code state} and the user {@code sub}. */
  private static void assertSignedIn(Browser b, String state, String sub) {
    assertThat(b.driver.getCurrentUrl()).startsWith(app.url("/callback?code="));
    assertThat(b.text(By.id("result"))).isEqualTo("Signed in as " + sub);
    assertThat(b.text(By.id("state"))).isEqualTo(state);
    assertThat(b.text(By.id("state-check"))).isEqualTo("state matched");
    assertThat(b.text(By.id("iss"))).isEqualTo(issuer);
    assertThat(b.text(By.id("exchange"))).isEqualTo("code exchanged: 200 Bearer");
    assertThat(b.text(By.id("scope")).split(" ")).containsExactlyInAnyOrder(SCOPE.split(" "));
    assertThat(b.text(By.id("refresh"))).isEqualTo("refresh token: yes");
  }

  // ---------------------------------------------------------------- the browser

  /** One Chromium with a fresh profile. */
  static final class Browser implements AutoCloseable {
    final ChromeDriver driver;
    final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
      this.driver = driver;
      this.profile = profile;
    }

    static Browser open() throws Exception {
      return open(null);
    }

    /**
     * A Chromium whose Accept-Language is {@code acceptLanguages} (e.g. {@code de-DE,de}); null:
     * its own (English).
     */
    static Browser open(String acceptLanguages) throws Exception {
      for (String exe : new String[] {CHROMIUM, CHROMEDRIVER}) {
        if (!Files.isExecutable(Path.of(exe))) {
          throw new AssertionError(
              "BrowserFlowTest needs Chromium and its driver, but "
                  + exe
                  + " is missing. "
                  + "Install them with: sudo apt-get install -y chromium chromium-driver");
        }
      }
      // An explicit driver: Selenium Manager (which would download drivers) is never consulted.
      System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
      ChromeDriverService service =
          new ChromeDriverService.Builder()
              .usingDriverExecutable(new File(CHROMEDRIVER))
              .usingAnyFreePort()
              .build();
      Path profile = Files.createTempDirectory("grantry-chromium-");
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM);
      options.addArguments(
          "--headless=new",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + profile,
          "--window-size=1024,900");
      Map<String, Object> prefs = new java.util.HashMap<>();
      prefs.put("credentials_enable_service", false);
      prefs.put("profile.password_manager_enabled", false);
      if (acceptLanguages != null) {
        prefs.put("intl.accept_languages", acceptLanguages);
        options.addArguments(
            "--lang=" + acceptLanguages.split(",")[0], "--accept-lang=" + acceptLanguages);
      }
      options.setExperimentalOption("prefs", prefs);
      try {
        return new Browser(new ChromeDriver(service, options), profile);
      } catch (RuntimeException e) {
        deleteTree(profile);
        throw e;
      }
    }

    /** Opens the app, clicks Connect; returns the state the link carries. */
    String connect() {
      driver.get(app.url("/"));
      WebElement link = waitFor(By.id("connect"));
      String href = link.getDomAttribute("href");
      assertThat(href).startsWith(server.url("/authorize?"));
      Map<String, String> q = OAuthFixtures.queryOf(href);
      assertThat(q)
          .containsEntry("response_type", "code")
          .containsEntry("client_id", CLIENT_ID)
          .containsEntry("redirect_uri", app.url("/callback"))
          .containsEntry("scope", SCOPE)
          .containsEntry("code_challenge_method", "S256")
          .containsKey("code_challenge");
      link.click();
      return q.get("state");
    }

    WebElement waitFor(By by) {
      return new WebDriverWait(driver, WAIT)
          .until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    String text(By by) {
      return driver.findElement(by).getText();
    }

    void screenshot(String name) throws Exception {
      Files.createDirectories(SCREENSHOTS);
      File shot = driver.getScreenshotAs(OutputType.FILE);
      Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() throws Exception {
      try {
        driver.quit();
      } finally {
        deleteTree(profile);
      }
    }

    private static void deleteTree(Path root) throws Exception {
      try (Stream<Path> paths = Files.walk(root)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  // ---------------------------------------------------------------- the client web app

  /**
   * The application a person connects to Grantry: a home page with a Connect link (state and a PKCE
   * S256 challenge made fresh for each visit; the state also kept in a cookie of this browser) and
   * a callback that checks the state and the issuer, exchanges the code with client_secret_basic,
   * and shows what came back.
   */
  static final class ClientApp {
    static final String STATE_COOKIE = "demo_app_state";
    final HttpServer http;
    final WebClient web;
    final Map<String, String> verifiers = new ConcurrentHashMap<>();
    volatile String secret;

    ClientApp() throws Exception {
      Router router = Router.router(server.vertx);
      router.get("/").handler(this::home);
      router.get("/callback").handler(this::callback);
      web = WebClient.create(server.vertx);
      http =
          TestServer.await(
              server.vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    }

    String url(String path) {
      return "http://127.0.0.1:" + http.actualPort() + path;
    }

    private void home(RoutingContext ctx) {
      String state =
          TestServer.randomBase64(16).replace('+', '-').replace('/', '_').replace("=", "");
      OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
      verifiers.put(state, pkce.verifier());
      String authorize =
          server.url("/authorize")
              + "?response_type=code&client_id="
              + OAuthFixtures.enc(CLIENT_ID)
              + "&redirect_uri="
              + OAuthFixtures.enc(url("/callback"))
              + "&scope="
              + OAuthFixtures.enc(SCOPE)
              + "&state="
              + OAuthFixtures.enc(state)
              + "&code_challenge="
              + pkce.challenge()
              + "&code_challenge_method=S256";
      ctx.response()
          .addCookie(
              Cookie.cookie(STATE_COOKIE, state)
                  .setPath("/")
                  .setHttpOnly(true)
                  .setSameSite(CookieSameSite.LAX));
      page(
          ctx,
          "Demo app",
          "<h1>Demo app</h1><p><a id=\"connect\" href=\""
              + esc(authorize)
              + "\">Connect with Grantry</a></p>");
    }

    private void callback(RoutingContext ctx) {
      MultiMap q = ctx.queryParams();
      String state = q.get("state");
      Cookie cookie = ctx.request().getCookie(STATE_COOKIE);
      String verifier = state == null ? null : verifiers.remove(state);
      boolean stateOk = verifier != null && cookie != null && cookie.getValue().equals(state);
      StringBuilder facts =
          new StringBuilder()
              .append("<p>State: <code id=\"state\">")
              .append(esc(state))
              .append("</code> (<span id=\"state-check\">")
              .append(stateOk ? "state matched" : "state mismatch")
              .append("</span>)</p>")
              .append("<p>Issuer: <code id=\"iss\">")
              .append(esc(q.get("iss")))
              .append("</code></p>");
      if (!stateOk || !issuer.equals(q.get("iss"))) {
        page(ctx, "Refused", "<h1 id=\"result\">Refused: state or issuer mismatch</h1>" + facts);
        return;
      }
      if (q.get("error") != null) {
        page(
            ctx,
            "Not connected",
            "<h1 id=\"result\">Access was not granted</h1><p>Error: <code id=\"error\">"
                + esc(q.get("error"))
                + "</code></p>"
                + facts);
        return;
      }
      String basic =
          Base64.getEncoder()
              .encodeToString(
                  (OAuthFixtures.enc(CLIENT_ID) + ":" + OAuthFixtures.enc(secret))
                      .getBytes(StandardCharsets.UTF_8));
      MultiMap form =
          MultiMap.caseInsensitiveMultiMap()
              .add("grant_type", "authorization_code")
              .add("code", q.get("code"))
              .add("redirect_uri", url("/callback"))
              .add("code_verifier", verifier);
      web.postAbs(server.url("/token"))
          .putHeader("Authorization", "Basic " + basic)
          .sendForm(form)
          .onFailure(ctx::fail)
          .onSuccess(
              r -> {
                JsonObject tokens = r.statusCode() == 200 ? r.bodyAsJsonObject() : new JsonObject();
                String idToken = tokens.getString("id_token");
                String sub =
                    idToken == null
                        ? "nobody"
                        : new JsonObject(
                                new String(
                                    Base64.getUrlDecoder().decode(idToken.split("\\.")[1]),
                                    StandardCharsets.UTF_8))
                            .getString("sub");
                page(
                    ctx,
                    "Connected",
                    "<h1 id=\"result\">Signed in as "
                        + esc(sub)
                        + "</h1>"
                        + facts
                        + "<p id=\"exchange\">code exchanged: "
                        + r.statusCode()
                        + " "
                        + esc(tokens.getString("token_type"))
                        + "</p><p>Scope: <code id=\"scope\">"
                        + esc(tokens.getString("scope"))
                        + "</code></p>"
                        + "<p id=\"refresh\">refresh token: "
                        + (tokens.containsKey("refresh_token") ? "yes" : "no")
                        + "</p>");
              });
    }

    private static void page(RoutingContext ctx, String title, String body) {
      ctx.response()
          .putHeader("Content-Type", "text/html; charset=utf-8")
          .end(
              "<!doctype html><html><head><title>"
                  + esc(title)
                  + "</title></head><body>"
                  + body
                  + "</body></html>");
    }

    private static String esc(String s) {
      return s == null
          ? ""
          : s.replace("&", "&amp;")
              .replace("<", "&lt;")
              .replace(">", "&gt;")
              .replace("\"", "&quot;")
              .replace("'", "&#39;");
    }
  }
}
