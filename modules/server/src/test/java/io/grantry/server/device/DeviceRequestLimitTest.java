package io.grantry.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A public device client needs no secret, so the device authorization endpoint bounds what one
 * address may make it write: past GRANTRY_DEVICE_REQUESTS_PER_ADDRESS requests in a device code's
 * lifetime, 429 with {@code Retry-After}, and nothing appended to the ledger. The address is asked
 * before a DPoP proof is checked: past the allowance, no proof's jti is stored; a refused proof
 * counts. (127.0.0.1 is a trusted proxy here, so that a test can speak for an address of its own
 * with X-Forwarded-For.)
 */
class DeviceRequestLimitTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static TestServer server;
  static OAuthFixtures fx;
  static DPoPProofFactory proofs;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_DEVICE_REQUESTS_PER_ADDRESS",
                "3",
                "GRANTRY_TRUSTED_PROXIES",
                "127.0.0.1"));
    proofs =
        new DefaultDPoPProofFactory(new ECKeyGenerator(Curve.P_256).generate(), JWSAlgorithm.ES256);
    fx = new OAuthFixtures(server);
    fx.admin(
        "POST",
        "/admin/clients",
        new JsonObject()
            .put("client_id", "tv")
            .put("client_name", "TV")
            .put("token_endpoint_auth_method", "none")
            .put("grant_types", new JsonArray().add("urn:ietf:params:oauth:grant-type:device_code"))
            .put("scope", "openid"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static long requested() throws Exception {
    return server
        .query("SELECT count(*) FROM events WHERE type = 'grant.device_authorization_requested.v1'")
        .get(0)
        .getLong(0);
  }

  static long usedJtis() throws Exception {
    return server.query("SELECT count(*) FROM used_jtis").get(0).getLong(0);
  }

  /** The TV's request from {@code address}, with a DPoP proof for {@code htuPath} if not null. */
  static HttpResponse<String> request(String address, String htuPath) throws Exception {
    return request(address, htuPath, "client_id=tv");
  }

  static HttpResponse<String> request(String address, String htuPath, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url("/device_authorization")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", address);
    if (htuPath != null) {
      b.header("DPoP", proofs.createDPoPJWT("POST", URI.create(server.url(htuPath))).serialize());
    }
    return HTTP.send(
        b.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anAddressPastItsAllowanceIsRefusedBeforeItsProofIsCheckedAndNoJtiIsStored()
      throws Exception {
    String address = "192.0.2.10";
    long jtis = usedJtis();
    HttpResponse<String> bound = request(address, "/device_authorization");
    assertThat(bound.statusCode()).as(bound.body()).isEqualTo(200);
    assertThat(usedJtis()).as("an accepted proof's jti is stored").isEqualTo(jtis + 1);
    for (int i = 0; i < 2; i++) {
      assertThat(request(address, null).statusCode()).isEqualTo(200);
    }
    long requested = requested();
    jtis = usedJtis();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = request(address, "/device_authorization");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("slow_down");
    }
    assertThat(usedJtis()).as("no jti of a proof refused with 429").isEqualTo(jtis);
    assertThat(requested()).isEqualTo(requested);
  }

  @Test
  void aRefusedProofCounts() throws Exception {
    String address = "192.0.2.20";
    // A proof made for the token endpoint is not one for this endpoint (htu): refused, and
    // counted (it cost a signature check), so the fourth request is 429 whatever it carries.
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = request(address, "/token");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_dpop_proof");
    }
    assertThat(request(address, "/token").statusCode()).isEqualTo(429);
    assertThat(request(address, "/device_authorization").statusCode()).isEqualTo(429);
  }

  @Test
  void proofsRefusedForAnotherDpopJktStoreNoMoreJtisThanTheAllowance() throws Exception {
    // Review 5, M1: a fresh valid proof with a dpop_jkt of another key is refused after its jti is
    // stored; had it taken its attempt back, one address could store jtis without bound.
    String address = "192.0.2.30";
    String otherKey = new ECKeyGenerator(Curve.P_256).generate().computeThumbprint().toString();
    long jtis = usedJtis();
    int throttled = 0;
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r =
          request(address, "/device_authorization", "client_id=tv&dpop_jkt=" + otherKey);
      if (r.statusCode() == 429) {
        throttled++;
      } else {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      }
    }
    assertThat(throttled).isEqualTo(7);
    assertThat(usedJtis() - jtis).isLessThanOrEqualTo(3);
  }

  @Test
  void anAddressPastItsAllowanceIsRefusedAndWritesNothing() throws Exception {
    // The other tests write from addresses of their own.
    long start = requested();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r =
          fx.postForm("/device_authorization", "tv", null, Map.of("client_id", "tv"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    long before = requested();
    assertThat(before).isEqualTo(start + 3);
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r =
          fx.postForm("/device_authorization", "tv", null, Map.of("client_id", "tv"));
      assertThat(r.statusCode()).isEqualTo(429);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("slow_down");
      assertThat(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()))
          .isBetween(1L, 600L);
    }
    assertThat(requested()).isEqualTo(before);
    // A bad request from there is still told what is wrong with it, and writes nothing either.
    HttpResponse<String> unknown =
        fx.postForm("/device_authorization", "nobody", null, Map.of("client_id", "nobody"));
    assertThat(unknown.statusCode()).isEqualTo(401);
  }
}
