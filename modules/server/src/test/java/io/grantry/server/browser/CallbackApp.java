package io.grantry.server.browser;

import io.grantry.server.browser.BrowserFlowTest.Browser;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * A test server and, beside it on 127.0.0.1, the app its browser flows go back to: the app's {@code
 * /callback} page shows what came back by id ({@code error}, {@code state}, {@code iss}, and {@code
 * code}: "a code" or "no code"); the app is a confidential client of the authorization code grant
 * for {@code scope}. One per test class, started in its {@code @BeforeAll}.
 */
final class CallbackApp implements AutoCloseable {
  final TestServer server;
  final OAuthFixtures fixtures;
  final String clientId;
  final String scope;
  private final HttpServer app;

  private CallbackApp(TestServer server, HttpServer app, String clientId, String scope) {
    this.server = server;
    this.fixtures = new OAuthFixtures(server);
    this.app = app;
    this.clientId = clientId;
    this.scope = scope;
  }

  static CallbackApp start(String clientId, String scope) throws Exception {
    TestServer server = TestServer.start();
    Router router = Router.router(server.vertx);
    router.get("/callback").handler(CallbackApp::callback);
    HttpServer http =
        TestServer.await(
            server.vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    CallbackApp app = new CallbackApp(server, http, clientId, scope);
    app.fixtures.confidentialClient(clientId, app.url("/callback"), scope, "authorization_code");
    return app;
  }

  private static void callback(RoutingContext ctx) {
    var q = ctx.queryParams();
    ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end(
            "<!doctype html><html><head><title>App</title></head><body>"
                + "<h1 id=\"callback\">callback</h1>"
                + "<p id=\"error\">"
                + LogoutBrowserTest.esc(q.get("error"))
                + "</p><p id=\"state\">"
                + LogoutBrowserTest.esc(q.get("state"))
                + "</p><p id=\"iss\">"
                + LogoutBrowserTest.esc(q.get("iss"))
                + "</p><p id=\"code\">"
                + (q.get("code") == null ? "no code" : "a code")
                + "</p></body></html>");
  }

  /** The app's URL of {@code path}. */
  String url(String path) {
    return "http://127.0.0.1:" + app.actualPort() + path;
  }

  /**
   * Opens the authorization request of the app in {@code b}: the code flow with PKCE, the app's
   * scope, {@code state}, and the query parameters {@code extra} ("&name=value...", or "").
   */
  void authorize(Browser b, String state, String extra) {
    b.driver.get(
        server.url("/authorize")
            + "?response_type=code&client_id="
            + clientId
            + "&redirect_uri="
            + OAuthFixtures.enc(url("/callback"))
            + "&scope="
            + scope.replace(" ", "%20")
            + "&state="
            + state
            + "&code_challenge="
            + OAuthFixtures.Pkce.create().challenge()
            + "&code_challenge_method=S256"
            + extra);
  }

  @Override
  public void close() throws Exception {
    try {
      TestServer.await(app.close());
    } finally {
      server.close();
    }
  }
}
