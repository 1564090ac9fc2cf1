package io.grantry.server.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * X-Forwarded-Proto and X-Forwarded-For count only from GRANTRY_TRUSTED_PROXIES: behind a trusted
 * proxy that says https every response carries Strict-Transport-Security; from anyone else the
 * headers change nothing (no HSTS, and the address the throttles count is the peer's).
 */
class ForwardedHeadersTest {
  static TestServer trusting;
  static TestServer distrusting;

  @BeforeAll
  static void start() throws Exception {
    trusting =
        TestServer.start(
            Map.of(
                "GRANTRY_TRUSTED_PROXIES",
                "127.0.0.0/8",
                "GRANTRY_HSTS_MAX_AGE_SECONDS",
                "600",
                "GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS",
                "2",
                "GRANTRY_LOGIN_FREE_PER_ADDRESS",
                "1",
                "GRANTRY_THROTTLE_STEP_MS",
                "10"));
    distrusting =
        TestServer.start(
            Map.of(
                "GRANTRY_TRUSTED_PROXIES",
                "10.0.0.0/8, fd00::/8",
                "GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS",
                "2"));
  }

  @AfterAll
  static void stop() throws Exception {
    trusting.close();
    distrusting.close();
  }

  static HttpResponse<String> get(TestServer s, String path, String proto) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url(path)));
    if (proto != null) {
      b.header("X-Forwarded-Proto", proto);
    }
    return OAuthFixtures.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Optional<String> hsts(HttpResponse<String> r) {
    return r.headers().firstValue("Strict-Transport-Security");
  }

  @Test
  void aTrustedProxySayingHttpsGetsHstsOnEveryResponse() throws Exception {
    for (String path :
        new String[] {
          "/health/live", "/jwks", "/authorize?client_id=nope", "/no-such-page", "/admin/keys"
        }) {
      assertThat(hsts(get(trusting, path, "https"))).as(path).contains("max-age=600");
    }
    assertThat(hsts(get(trusting, "/jwks", "http"))).isEmpty();
    assertThat(hsts(get(trusting, "/jwks", null))).isEmpty();
  }

  @Test
  void fromAnUntrustedAddressTheForwardedProtoIsIgnored() throws Exception {
    assertThat(hsts(get(distrusting, "/jwks", "https"))).isEmpty();
    assertThat(hsts(get(distrusting, "/health/live", "https"))).isEmpty();
  }

  @Test
  void failedSignInsCountAgainstTheForwardedAddressBehindATrustedProxy() throws Exception {
    OAuthFixtures fx = new OAuthFixtures(trusting);
    fx.confidentialClient("web", "https://app.example.test/cb", "openid");
    OAuthFixtures.Browser browser = fx.browser();
    HttpResponse<String> page =
        browser.get(
            "/authorize?response_type=code&client_id=web&redirect_uri="
                + OAuthFixtures.enc("https://app.example.test/cb")
                + "&scope=openid&state=s&code_challenge="
                + OAuthFixtures.Pkce.create().challenge()
                + "&code_challenge_method=S256");
    Map<String, String> form = new LinkedHashMap<>(OAuthFixtures.hidden(page.body()));
    form.put("username", "nobody");
    form.put("password", "not the password");
    for (int i = 0; i < 2; i++) {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(trusting.url("/login")))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .header("X-Forwarded-For", "203.0.113.77")
              .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)))
              .build();
      assertThat(browser.http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(401);
    }
    var lockouts = new AdminHttp(trusting).get("/admin/lockouts").items();
    assertThat(
            lockouts.stream()
                .map(JsonObject.class::cast)
                .filter(o -> o.getString("kind").equals("login_address"))
                .map(o -> o.getString("key")))
        .containsExactly("203.0.113.77");
  }

  static int failAuth(TestServer s, String forwardedFor) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(s.url("/token")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", forwardedFor)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "grant_type=client_credentials&client_id=x&client_secret=y"))
            .build();
    return OAuthFixtures.HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void anUntrustedPeerCannotPickTheAddressItsFailuresCountAgainst() throws Exception {
    // Distrusted: every failure counts against 127.0.0.1, whatever X-Forwarded-For says.
    for (int i = 0; i < 3; i++) {
      assertThat(failAuth(distrusting, "198.51.100." + i)).isEqualTo(401);
    }
    assertThat(failAuth(distrusting, "198.51.100.200")).isEqualTo(429);

    // Trusted: the forwarded address counts, and a client-written entry left of it does not.
    for (int i = 0; i < 3; i++) {
      assertThat(failAuth(trusting, "6.6.6." + i + ", 203.0.113.9")).isEqualTo(401);
    }
    assertThat(failAuth(trusting, "7.7.7.7, 203.0.113.9")).isEqualTo(429);
    assertThat(failAuth(trusting, "203.0.113.10")).isEqualTo(401);
  }
}
