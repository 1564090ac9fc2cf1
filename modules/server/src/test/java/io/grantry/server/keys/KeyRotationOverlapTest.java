package io.grantry.server.keys;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A key rotation never strands a token the retiring key signed: an overlap shorter than the longest
 * lifetime of a token the key signs (plus a minute for the other instances to stop signing with it)
 * is refused, and a rotation with a long enough overlap keeps the old key in /jwks until its last
 * token has expired. Resource servers verify against /jwks; introspection against the same keys.
 */
class KeyRotationOverlapTest {
  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static AdminHttp admin;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_ACCESS_TOKEN_TTL_SECONDS", "600", "GRANTRY_ID_TOKEN_TTL_SECONDS", "300"),
            clock);
    fx = new OAuthFixtures(server);
    admin = new AdminHttp(server);
    secret = fx.confidentialClient("machine", "https://app.example/cb", "api");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String token() {
    HttpResponse<String> r =
        fx.token("machine", secret, Map.of("grant_type", "client_credentials", "scope", "api"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  static String kidOf(String jws) throws Exception {
    String header = jws.substring(0, jws.indexOf('.'));
    return new JsonObject(new String(Base64.getUrlDecoder().decode(header))).getString("kid");
  }

  static String jwks() throws Exception {
    return OAuthFixtures.HTTP
        .send(
            HttpRequest.newBuilder(URI.create(server.url("/jwks"))).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Moves the server's time and has it rebuild its key snapshot (its timer does every 5 s). */
  static void advance(Duration by) throws Exception {
    clock.advance(by);
    TestServer.await(server.server.resources().keys().refresh());
  }

  static void assertUsable(String token, String when) throws Exception {
    assertThat(fx.introspect("machine", secret, token).getBoolean("active")).as(when).isTrue();
    assertThat(jwks()).as(when).contains(kidOf(token));
  }

  @Test
  void aShortOverlapIsRefusedAndTheTokensOfTheOldKeyStayUsable() throws Exception {
    String token = token();
    AdminHttp.Response refused =
        admin.post(
            "/admin/keys/rotate", new JsonObject().put("alg", "ES256").put("overlap_seconds", 90));
    advance(Duration.ofSeconds(91));
    assertUsable(token, "91 s after asking for a rotation with a 90 s overlap");

    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    assertThat(refused.json().getString("field")).isEqualTo("overlap_seconds");
    // The minimum is named: the access token lifetime (600 s, the longest here) plus 60 s.
    assertThat(refused.json().getString("error_description")).contains("660");
  }

  @Test
  void aRotationKeepsTheOldKeyPublishedUntilItsLastTokenHasExpired() throws Exception {
    String token = token();
    AdminHttp.Response rotated =
        admin.post(
            "/admin/keys/rotate", new JsonObject().put("alg", "ES256").put("overlap_seconds", 660));
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    assertThat(kidOf(token())).isNotEqualTo(kidOf(token));

    advance(Duration.ofSeconds(599));
    assertUsable(token, "just before the token expires");
    advance(Duration.ofSeconds(62));
    assertThat(jwks()).doesNotContain(kidOf(token));
  }

  @Test
  void withoutAnOverlapTheDefaultCoversTheLongestLifetime() throws Exception {
    String token = token();
    AdminHttp.Response rotated =
        admin.post("/admin/keys/rotate", new JsonObject().put("alg", "ES256"));
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    advance(Duration.ofSeconds(599));
    assertUsable(token, "just before the token expires");
  }
}
