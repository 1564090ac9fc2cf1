package io.grantry.server.aliases;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The endpoint path profiles themselves (GRANTRY_ENDPOINT_ALIASES, GRANTRY_ENDPOINT_PRIMARY): off
 * by default (every aliased path 404), each aliased path the same endpoint as its canonical one,
 * counted in the metrics under the canonical route, and discovery advertising the canonical paths
 * unless a profile is primary. The paths are written out here as the providers' documents write
 * them, not taken from the server's table.
 */
class EndpointAliasesTest {
  static final List<String> DUENDE =
      List.of(
          "/connect/authorize",
          "/connect/token",
          "/connect/revocation",
          "/connect/introspect",
          "/connect/userinfo",
          "/.well-known/openid-configuration/jwks",
          "/connect/endsession",
          "/connect/deviceauthorization");
  static final List<String> OKTA =
      List.of(
          "/v1/authorize",
          "/v1/token",
          "/v1/revoke",
          "/v1/introspect",
          "/v1/userinfo",
          "/v1/keys",
          "/v1/logout",
          "/v1/device/authorize");

  static HttpResponse<String> get(TestServer server, String path) throws Exception {
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create(server.url(path))).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(TestServer server, String path, String form) throws Exception {
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create(server.url(path)))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void withNoProfileConfiguredTheAliasedPathsAre404() throws Exception {
    try (TestServer server = TestServer.start()) {
      for (String path : concat(DUENDE, OKTA)) {
        for (HttpResponse<String> r :
            List.of(get(server, path), post(server, path, "grant_type=client_credentials"))) {
          assertThat(r.statusCode()).as(r.request().method() + " " + path).isEqualTo(404);
          assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("not_found");
        }
      }
      assertThat(get(server, "/jwks").statusCode()).isEqualTo(200);
      JsonObject meta = new JsonObject(get(server, "/.well-known/openid-configuration").body());
      assertThat(meta.getString("token_endpoint")).isEqualTo(server.url("/token"));
    }
  }

  @Test
  void everyAliasIsItsCanonicalEndpointAndIsCountedUnderIt() throws Exception {
    try (TestServer server = TestServer.start(Map.of("GRANTRY_ENDPOINT_ALIASES", "duende,okta"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret =
          fx.confidentialClient("svc", "https://svc.example/cb", "api", "client_credentials");

      // Keys: the same set at every path.
      String jwks = get(server, "/jwks").body();
      assertThat(get(server, "/.well-known/openid-configuration/jwks").body()).isEqualTo(jwks);
      assertThat(get(server, "/v1/keys").body()).isEqualTo(jwks);

      // A token from each profile's token path, introspected and revoked through the others'.
      String fromDuende = tokenAt(fx, "/connect/token", secret);
      String fromOkta = tokenAt(fx, "/v1/token", secret);
      assertThat(introspectAt(fx, "/v1/introspect", secret, fromDuende).getBoolean("active"))
          .isTrue();
      assertThat(introspectAt(fx, "/connect/introspect", secret, fromOkta).getBoolean("active"))
          .isTrue();
      assertThat(
              fx.postForm("/connect/revocation", "svc", secret, Map.of("token", fromOkta))
                  .statusCode())
          .isEqualTo(200);
      assertThat(fx.postForm("/v1/revoke", "svc", secret, Map.of("token", fromDuende)).statusCode())
          .isEqualTo(200);
      assertThat(introspectAt(fx, "/introspect", secret, fromDuende).getBoolean("active"))
          .isFalse();
      assertThat(introspectAt(fx, "/introspect", secret, fromOkta).getBoolean("active")).isFalse();

      // A failed client authentication at an alias is one at its endpoint.
      assertThat(
              fx.postForm(
                      "/connect/token", "svc", "wrong", Map.of("grant_type", "client_credentials"))
                  .statusCode())
          .isEqualTo(401);
      assertThat(
              fx.postForm("/v1/introspect", "svc", "wrong", Map.of("token", fromOkta)).statusCode())
          .isEqualTo(401);

      // The device authorization endpoint (RFC 8628 §3.1) at each profile's path: a device code
      // from either, polled at the other's token path.
      String tvSecret =
          fx.admin(
                  "POST",
                  "/admin/clients",
                  new JsonObject()
                      .put("client_id", "tv")
                      .put("client_name", "TV")
                      .put("token_endpoint_auth_method", "client_secret_basic")
                      .put(
                          "grant_types",
                          new io.vertx.core.json.JsonArray()
                              .add("urn:ietf:params:oauth:grant-type:device_code"))
                      .put("response_types", new io.vertx.core.json.JsonArray())
                      .put("scope", "openid"))
              .getString("client_secret");
      for (String[] at :
          new String[][] {
            {"/connect/deviceauthorization", "/v1/token"},
            {"/v1/device/authorize", "/connect/token"}
          }) {
        HttpResponse<String> device = fx.postForm(at[0], "tv", tvSecret, Map.of("scope", "openid"));
        assertThat(device.statusCode()).as(at[0] + ": " + device.body()).isEqualTo(200);
        JsonObject d = new JsonObject(device.body());
        assertThat(d.getString("verification_uri")).isEqualTo(server.url("/device"));
        HttpResponse<String> poll =
            fx.postForm(
                at[1],
                "tv",
                tvSecret,
                Map.of(
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code",
                    "device_code",
                    d.getString("device_code")));
        assertThat(poll.statusCode()).as(poll.body()).isEqualTo(400);
        assertThat(new JsonObject(poll.body()).getString("error"))
            .isEqualTo("authorization_pending");
      }

      // Discovery keeps the canonical paths when no profile is primary.
      JsonObject meta = new JsonObject(get(server, "/.well-known/openid-configuration").body());
      assertThat(meta.getString("authorization_endpoint")).isEqualTo(server.url("/authorize"));
      assertThat(meta.getString("token_endpoint")).isEqualTo(server.url("/token"));
      assertThat(meta.getString("jwks_uri")).isEqualTo(server.url("/jwks"));
      assertThat(meta.getString("end_session_endpoint")).isEqualTo(server.url("/logout"));
      assertThat(meta.getString("device_authorization_endpoint"))
          .isEqualTo(server.url("/device_authorization"));

      String metrics = get(server, "/metrics").body();
      assertThat(metrics)
          .containsPattern(
              "(?m)^vertx_http_server_requests_total\\{code=\"200\",method=\"POST\",route=\"/token\",?\\} 2\\.0$")
          .containsPattern(
              "(?m)^vertx_http_server_requests_total\\{code=\"401\",method=\"POST\",route=\"/token\",?\\} 1\\.0$")
          .containsPattern(
              "(?m)^vertx_http_server_requests_total\\{code=\"200\",method=\"POST\",route=\"/introspect\",?\\} 4\\.0$")
          .containsPattern(
              "(?m)^vertx_http_server_requests_total\\{code=\"200\",method=\"POST\",route=\"/revoke\",?\\} 2\\.0$")
          .containsPattern(
              "(?m)^vertx_http_server_requests_total\\{code=\"200\",method=\"GET\",route=\"/jwks\",?\\} 3\\.0$")
          .containsPattern(
              "(?m)^vertx_http_server_requests_total\\{code=\"200\",method=\"POST\",route=\"/device_authorization\",?\\} 2\\.0$")
          .containsPattern(
              "(?m)^grantry_client_auth_failures_total\\{endpoint=\"token\",?\\} 1\\.0$")
          .containsPattern(
              "(?m)^grantry_client_auth_failures_total\\{endpoint=\"introspect\",?\\} 1\\.0$")
          .doesNotContain("route=\"/connect")
          .doesNotContain("route=\"/v1")
          .doesNotContain("route=\"/.well-known/openid-configuration/jwks");
    }
  }

  @Test
  void aPrimaryProfileIsWhatDiscoveryAdvertisesAndTheCanonicalPathsStayServed() throws Exception {
    try (TestServer server =
        TestServer.start(
            Map.of(
                "GRANTRY_ENDPOINT_ALIASES", "okta,duende", "GRANTRY_ENDPOINT_PRIMARY", "duende"))) {
      for (String doc :
          List.of("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")) {
        JsonObject meta = new JsonObject(get(server, doc).body());
        assertThat(meta.getString("issuer")).isEqualTo(server.url(""));
        assertThat(meta.getString("authorization_endpoint"))
            .isEqualTo(server.url("/connect/authorize"));
        assertThat(meta.getString("token_endpoint")).isEqualTo(server.url("/connect/token"));
        assertThat(meta.getString("revocation_endpoint"))
            .isEqualTo(server.url("/connect/revocation"));
        assertThat(meta.getString("introspection_endpoint"))
            .isEqualTo(server.url("/connect/introspect"));
        assertThat(meta.getString("userinfo_endpoint")).isEqualTo(server.url("/connect/userinfo"));
        assertThat(meta.getString("jwks_uri"))
            .isEqualTo(server.url("/.well-known/openid-configuration/jwks"));
        assertThat(meta.getString("end_session_endpoint"))
            .isEqualTo(server.url("/connect/endsession"));
        assertThat(meta.getString("device_authorization_endpoint"))
            .isEqualTo(server.url("/connect/deviceauthorization"));
      }
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret =
          fx.confidentialClient("svc", "https://svc.example/cb", "api", "client_credentials");
      String token = tokenAt(fx, "/token", secret);
      assertThat(introspectAt(fx, "/v1/introspect", secret, token).getBoolean("active")).isTrue();
    }
  }

  static String tokenAt(OAuthFixtures fx, String path, String secret) {
    HttpResponse<String> r =
        fx.postForm(path, "svc", secret, Map.of("grant_type", "client_credentials"));
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  static JsonObject introspectAt(OAuthFixtures fx, String path, String secret, String token) {
    HttpResponse<String> r = fx.postForm(path, "svc", secret, Map.of("token", token));
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static List<String> concat(List<String> a, List<String> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }
}
