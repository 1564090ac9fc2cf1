package io.grantry.server.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An address past its allowance of failed client authentications (a NAT or a proxy that many
 * clients share, one of them broken or hostile) has its <em>failures</em> refused, not its clients:
 * a correct secret from it is still served at /token, /introspect and /revoke, a wrong one is
 * answered 429 after the address's delay, and a flood of parallel guesses from it is not checked at
 * full speed (most are refused without their credentials being looked at), so a right guess cannot
 * be found by sending guesses faster than the wrong answers come back.
 *
 * <p>The "addresses" are X-Forwarded-For values from a trusted proxy (127.0.0.1).
 */
class PenalizedAddressTest {
  static final String NAT = "198.51.100.20";
  static TestServer server;
  static OAuthFixtures fx;
  static String goodSecret;
  static String rsSecret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS", "3",
                "GRANTRY_THROTTLE_STEP_MS", "1000",
                "GRANTRY_THROTTLE_MAX_DELAY_MS", "2000",
                "GRANTRY_TRUSTED_PROXIES", "127.0.0.1/32, ::1"));
    fx = new OAuthFixtures(server);
    goodSecret = fx.confidentialClient("good", "https://app.example/cb", "api");
    fx.confidentialClient("broken", "https://app.example/cb", "api");
    // Four failures from the NAT by the broken client: the address is past its allowance of 3.
    for (int i = 0; i < 4; i++) {
      assertThat(post("/token", "broken", "stale-secret-" + i).statusCode()).isEqualTo(401);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpRequest request(String path, String clientId, String secret) {
    String basic = clientId + ":" + secret;
    return HttpRequest.newBuilder(URI.create(server.url(path)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Forwarded-For", NAT)
        .header(
            "Authorization",
            "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)))
        .POST(
            HttpRequest.BodyPublishers.ofString(
                "grant_type=client_credentials&scope=api&token=whatever"))
        .build();
  }

  static HttpResponse<String> post(String path, String clientId, String secret) throws Exception {
    return OAuthFixtures.HTTP.send(
        request(path, clientId, secret), HttpResponse.BodyHandlers.ofString());
  }

  static int natFailures() {
    return new AdminHttp(server)
        .get("/admin/lockouts").items().stream()
            .map(JsonObject.class::cast)
            .filter(o -> o.getString("kind").equals("client_address"))
            .filter(o -> o.getString("key").equals(NAT))
            .mapToInt(o -> o.getInteger("failures"))
            .findFirst()
            .orElse(0);
  }

  @Test
  void aCorrectSecretFromAPenalizedAddressIsServedAtEveryEndpoint() throws Exception {
    assertThat(natFailures()).isGreaterThan(3);
    for (String path : new String[] {"/token", "/introspect", "/revoke"}) {
      HttpResponse<String> ok = post(path, "good", goodSecret);
      assertThat(ok.statusCode()).as(path + ": " + ok.body()).isEqualTo(200);
    }
  }

  @Test
  void aWrongSecretFromThereIsCheckedAndAnswered429() throws Exception {
    int before = natFailures();
    HttpResponse<String> wrong = post("/token", "good", "a-guess");
    assertThat(wrong.statusCode()).isEqualTo(429);
    assertThat(new JsonObject(wrong.body()).getString("error")).isEqualTo("invalid_client");
    assertThat(Long.parseLong(wrong.headers().firstValue("Retry-After").orElseThrow()))
        .isBetween(1L, 900L);
    assertThat(natFailures()).isEqualTo(before + 1);
  }

  @Test
  void aFloodOfGuessesIsNotCheckedAtFullSpeedAndTheRightClientIsServedAfterIt() throws Exception {
    int before = natFailures();
    int guesses = 40;
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < guesses; i++) {
      sent.add(
          OAuthFixtures.HTTP.sendAsync(
              request("/token", "good", "guess-" + i), HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> f : sent) {
      HttpResponse<String> r = f.get();
      assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    }
    // Each wrong guess holds one of the address's few places for its delay (2 s here): the rest
    // waited at most a second and were refused unchecked. Only the checked ones count as failures.
    int checked = natFailures() - before;
    assertThat(checked).isBetween(1, guesses - 1);
    // Every answer is in, so no guess holds a place any more: the right client is served.
    assertThat(post("/token", "good", goodSecret).statusCode()).isEqualTo(200);
  }
}
