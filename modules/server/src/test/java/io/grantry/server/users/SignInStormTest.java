package io.grantry.server.users;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * More sign-ins than the server's Argon2id slots and queue hold are turned away at once with a
 * clear 503 and Retry-After (a page for a browser, JSON for the admin API), instead of queueing
 * without bound on the shared worker pool; meanwhile the token endpoint, which needs no Argon2id,
 * keeps answering. One slot and no queue here, so that a burst of sign-ins overflows for sure.
 */
class SignInStormTest {
  static final String PASSWORD = "correct horse battery";
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_PASSWORD_HASH_CONCURRENCY", "1",
                "GRANTRY_PASSWORD_HASH_QUEUE", "0",
                "GRANTRY_LOGIN_FREE_PER_ACCOUNT", "100000",
                "GRANTRY_LOGIN_FREE_PER_ADDRESS", "100000"));
    fx = new OAuthFixtures(server);
    fx.user("stormy", PASSWORD);
    secret = fx.confidentialClient("machine", "https://app.example/cb", "api");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void aBurstOfSignInsOverflowsInto503WithRetryAfterWhileTokensAreServed() throws Exception {
    // 24 browsers, each with its own sign-in form and CSRF binding, post at once.
    List<OAuthFixtures.Browser> browsers = new ArrayList<>();
    List<HttpRequest> forms = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      browsers.add(fx.browser());
      forms.add(signIn(browsers.get(i)));
    }
    List<CompletableFuture<HttpResponse<String>>> storm = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      storm.add(browsers.get(i).http.sendAsync(forms.get(i), HttpResponse.BodyHandlers.ofString()));
    }
    HttpResponse<String> token =
        fx.token("machine", secret, Map.of("grant_type", "client_credentials", "scope", "api"));
    assertThat(token.statusCode()).as(token.body()).isEqualTo(200);

    int signedIn = 0;
    int busy = 0;
    for (CompletableFuture<HttpResponse<String>> f : storm) {
      HttpResponse<String> r = f.get();
      if (r.statusCode() == 303) {
        signedIn++;
      } else {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(r.body()).contains("Too busy").doesNotContain("Exception");
        busy++;
      }
    }
    assertThat(signedIn).isPositive();
    assertThat(busy).isPositive();

    // The admin API's password work is refused the same way, as JSON.
    List<CompletableFuture<HttpResponse<String>>> creations = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      creations.add(
          OAuthFixtures.HTTP.sendAsync(
              HttpRequest.newBuilder(URI.create(server.url("/admin/users")))
                  .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          new JsonObject()
                              .put("username", "burst-" + i)
                              .put("password", PASSWORD)
                              .encode()))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    int refused = 0;
    for (CompletableFuture<HttpResponse<String>> f : creations) {
      HttpResponse<String> r = f.get();
      if (r.statusCode() != 201) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(new JsonObject(r.body()).getString("error"))
            .isEqualTo("temporarily_unavailable");
        refused++;
      }
    }
    assertThat(refused).isPositive();
    // And once the burst is over, a sign-in goes through.
    OAuthFixtures.Browser later = fx.browser();
    assertThat(later.http.send(signIn(later), HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(303);
  }

  /** A browser's sign-in: the account page's form, filled in and posted as a browser posts it. */
  static HttpRequest signIn(OAuthFixtures.Browser browser) {
    Map<String, String> form = OAuthFixtures.hidden(browser.get("/account/login").body());
    form.put("username", "stormy");
    form.put("password", PASSWORD);
    return HttpRequest.newBuilder(URI.create(server.url("/account/login")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)))
        .build();
  }
}
