package io.grantry.server.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failed client authentications at /token, /revoke and /introspect are throttled per client id
 * (slowed down, never refused) and per source address (its failures answered 429 with Retry-After),
 * and operators see who is throttled at /admin/lockouts and on /metrics. The address is the
 * forwarded one only from a trusted proxy (127.0.0.1 here); the test's "addresses" are
 * X-Forwarded-For values.
 */
class ClientAuthThrottleTest {
  static TestServer server;
  static OAuthFixtures oauth;
  static String secret;
  static String signerSecret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_CLIENT_AUTH_FREE_PER_CLIENT", "2",
                "GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS", "3",
                "GRANTRY_THROTTLE_STEP_MS", "50",
                "GRANTRY_THROTTLE_MAX_DELAY_MS", "200",
                "GRANTRY_TRUSTED_PROXIES", "127.0.0.1/32, ::1"));
    oauth = new OAuthFixtures(server);
    secret = oauth.confidentialClient("guarded", "https://app.example.test/cb", "api");
    oauth.confidentialClient("bystander", "https://app.example.test/cb", "api");
    signerSecret =
        oauth
            .admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "signer")
                    .put("client_name", "Signs its assertions")
                    .put("token_endpoint_auth_method", "client_secret_jwt")
                    .put("grant_types", new JsonArray().add("client_credentials"))
                    .put("scope", "api"))
            .getString("client_secret");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> post(
      String path, String from, String clientId, String clientSecret, Map<String, String> form)
      throws Exception {
    String basic = clientId + ":" + clientSecret;
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(server.url(path)))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", from)
            .header(
                "Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes()))
            .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)))
            .build();
    return OAuthFixtures.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
  }

  static final Map<String, String> CC = Map.of("grant_type", "client_credentials", "scope", "api");

  @Test
  void anAddressPastItsAllowanceHasItsFailuresRefusedWith429AtEveryClientEndpoint()
      throws Exception {
    String attacker = "203.0.113.66";
    assertThat(post("/token", attacker, "bystander", "wrong-1", CC).statusCode()).isEqualTo(401);
    assertThat(
            post("/revoke", attacker, "nobody-here", "wrong-2", Map.of("token", "x")).statusCode())
        .isEqualTo(401);
    assertThat(
            post("/introspect", attacker, "someone-else", "wrong-3", Map.of("token", "x"))
                .statusCode())
        .isEqualTo(401);
    assertThat(post("/token", attacker, "bystander", "wrong-4", CC).statusCode()).isEqualTo(401);

    for (String path : new String[] {"/token", "/revoke", "/introspect"}) {
      HttpResponse<String> refused =
          post(
              path,
              attacker,
              "bystander",
              "wrong-5",
              Map.of("token", "x", "grant_type", "client_credentials"));
      assertThat(refused.statusCode()).as(path).isEqualTo(429);
      assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow()))
          .isBetween(1L, 900L);
      assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("invalid_client");
      assertThat(refused.headers().firstValue("Cache-Control")).contains("no-store");
    }
    // What is refused is failing: a right secret from there is still served (PenalizedAddressTest).
    assertThat(post("/token", attacker, "guarded", secret, CC).statusCode()).isEqualTo(200);
    // Another address is not affected.
    assertThat(post("/token", "198.51.100.7", "guarded", secret, CC).statusCode()).isEqualTo(200);

    JsonArray items = new AdminHttp(server).get("/admin/lockouts").items();
    assertThat(
            items.stream()
                .map(JsonObject.class::cast)
                .filter(
                    o ->
                        o.getString("kind").equals("client_address")
                            && o.getString("key").equals(attacker)))
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getString("effect")).isEqualTo("refuse");
              // The three refused attempts were checked (and failed) too.
              assertThat(o.getInteger("failures")).isEqualTo(7);
              assertThat(Instant.parse(o.getString("until"))).isAfter(Instant.now());
            });
    assertThat(metrics())
        .containsPattern("grantry_throttled_keys\\{kind=\"client_address\"[^}]*\\} [1-9]")
        .containsPattern("grantry_client_auth_refused_total(\\{[^}]*\\})? [3-9]");
  }

  @Test
  void aClientIdPastItsAllowanceIsSlowedButNotLockedOut() throws Exception {
    // Each guess from a different address: the per-address allowance never trips.
    for (int i = 0; i < 4; i++) {
      assertThat(post("/token", "192.0.2." + (10 + i), "guarded", "guess-" + i, CC).statusCode())
          .isEqualTo(401);
    }
    JsonArray items = new AdminHttp(server).get("/admin/lockouts").items();
    assertThat(
            items.stream()
                .map(JsonObject.class::cast)
                .filter(o -> o.getString("kind").equals("client_id"))
                .map(o -> o.getString("key") + "/" + o.getString("effect"))
                .collect(Collectors.toList()))
        .containsExactly("guarded/delay");
    assertThat(metrics()).containsPattern("grantry_throttled_keys\\{kind=\"client_id\"[^}]*\\} 1");

    // The real client still gets its token (after the delay), and that clears the count.
    HttpResponse<String> ok = post("/token", "192.0.2.99", "guarded", secret, CC);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(
            new AdminHttp(server)
                .get("/admin/lockouts").items().stream()
                    .map(JsonObject.class::cast)
                    .anyMatch(o -> o.getString("kind").equals("client_id")))
        .isFalse();
  }

  /** A client_secret_jwt assertion naming {@code iss}, MACed with {@code key}. */
  static String assertion(String iss, byte[] key) throws Exception {
    Instant now = Instant.now();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader(JWSAlgorithm.HS256),
            new JWTClaimsSet.Builder()
                .issuer(iss)
                .subject(iss)
                .audience(server.url(""))
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(60)))
                .jwtID(UUID.randomUUID().toString())
                .build());
    jwt.sign(new MACSigner(key));
    return jwt.serialize();
  }

  static HttpResponse<String> postAssertion(String from, String assertion) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(server.url("/token")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", from)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    OAuthFixtures.formBody(
                        Map.of(
                            "grant_type", "client_credentials",
                            "scope", "api",
                            "client_assertion_type",
                                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                            "client_assertion", assertion))))
            .build();
    return OAuthFixtures.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
  }

  static List<String> lockouts(String kind) {
    return new AdminHttp(server)
        .get("/admin/lockouts").items().stream()
            .map(JsonObject.class::cast)
            .filter(o -> o.getString("kind").equals(kind))
            .map(o -> o.getString("key") + "/" + o.getString("effect"))
            .collect(Collectors.toList());
  }

  /**
   * The review's L3: an assertion's iss is read before its signature is checked, so the per-client
   * count of failures was anyone's to fill: forged assertions naming a client, sent from one
   * address, slowed that client down wherever it authenticated from. They count against the client
   * from that address only; and naming other clients does not get a guesser out of its address's
   * throttle.
   */
  @Test
  void forgedAssertionsNamingAClientSlowItDownOnlyFromTheAddressTheyCameFrom() throws Exception {
    String forger = "203.0.113.77";
    byte[] guess = new byte[32];
    for (int i = 0; i < 4; i++) {
      new SecureRandom().nextBytes(guess);
      assertThat(postAssertion(forger, assertion("signer", guess)).statusCode()).isEqualTo(401);
    }
    assertThat(lockouts("client_assertion")).containsExactly("signer@" + forger + "/delay");
    assertThat(lockouts("client_id")).doesNotContain("signer/delay");
    assertThat(metrics())
        .containsPattern("grantry_throttled_keys\\{kind=\"client_assertion\"[^}]*\\} 1");

    // The client itself, from its own address, is not held back and leaves nothing counted there.
    HttpResponse<String> ok =
        postAssertion(
            "198.51.100.20",
            assertion("signer", signerSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(lockouts("client_assertion")).containsExactly("signer@" + forger + "/delay");

    // The forger's failures count against its address whatever client it names: past the
    // address's allowance, a failure naming a client nobody has seen is refused as well.
    HttpResponse<String> elsewhere = postAssertion(forger, assertion("someone-new", guess));
    assertThat(elsewhere.statusCode()).as(elsewhere.body()).isEqualTo(429);
    assertThat(lockouts("client_address")).contains(forger + "/refuse");
  }

  @Test
  void theLockoutListNeedsTheAdminToken() {
    assertThat(new AdminHttp(server).send("GET", "/admin/lockouts", null, null).status())
        .isEqualTo(401);
  }

  static String metrics() throws Exception {
    return OAuthFixtures.HTTP
        .send(
            HttpRequest.newBuilder(URI.create(server.url("/metrics"))).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
