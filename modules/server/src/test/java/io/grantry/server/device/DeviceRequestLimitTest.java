package io.grantry.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A public device client needs no secret, so the device authorization endpoint bounds what one
 * address may make it write: past GRANTRY_DEVICE_REQUESTS_PER_ADDRESS requests in a device code's
 * lifetime, 429 with {@code Retry-After}, and nothing appended to the ledger.
 */
class DeviceRequestLimitTest {
  static TestServer server;
  static OAuthFixtures fx;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_DEVICE_REQUESTS_PER_ADDRESS", "3"));
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

  @Test
  void anAddressPastItsAllowanceIsRefusedAndWritesNothing() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r =
          fx.postForm("/device_authorization", "tv", null, Map.of("client_id", "tv"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    long before = requested();
    assertThat(before).isEqualTo(3);
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
