package io.grantry.server.aliases;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The third document's provider offers only client credentials: a client registered for nothing
 * else that asks for the authorization code grant, at /authorize or at /token, gets {@code
 * unauthorized_client}, through either profile's paths.
 */
class ClientCredentialsOnlyTest {
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;
  static String withRedirectSecret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_ENDPOINT_ALIASES", "duende,okta"));
    fx = new OAuthFixtures(server);
    // As such a provider registers them: no redirect URI.
    secret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "reporting-job")
                    .put("client_name", "Reporting job")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("grant_types", new JsonArray().add("client_credentials"))
                    .put("scope", "reports.read"))
            .getString("client_secret");
    withRedirectSecret =
        fx.confidentialClient(
            "job-with-cb", "https://job.example.com/cb", "reports.read", "client_credentials");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/connect", "/v1"})
  void authorizeShowsUnauthorizedClientAndRedirectsNowhere(String prefix) {
    HttpResponse<String> r =
        fx.browser()
            .get(
                prefix
                    + "/authorize?client_id=reporting-job&response_type=code&scope=reports.read"
                    + "&redirect_uri=https%3A%2F%2Fjob.example.com%2Fcb&state=abc");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Location")).isEmpty();
    assertThat(r.body()).contains("unauthorized_client");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/connect", "/v1"})
  void authorizeRedirectsUnauthorizedClientToARegisteredRedirectUri(String prefix) {
    HttpResponse<String> r =
        fx.browser()
            .get(
                prefix
                    + "/authorize?client_id=job-with-cb&response_type=code&scope=reports.read"
                    + "&redirect_uri=https%3A%2F%2Fjob.example.com%2Fcb&state=abc");
    assertThat(r.statusCode()).isEqualTo(303);
    Map<String, String> q = OAuthFixtures.queryOf(r.headers().firstValue("Location").orElseThrow());
    assertThat(q)
        .containsEntry("error", "unauthorized_client")
        .containsEntry("state", "abc")
        .containsEntry("iss", server.url(""));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/connect", "/v1"})
  void theTokenEndpointRefusesTheCodeGrantAndServesClientCredentials(String prefix) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("code", "SplxlOBeZQQYbYS6WxSbIA");
    form.put("redirect_uri", "https://job.example.com/cb");
    HttpResponse<String> refused = fx.postForm(prefix + "/token", "reporting-job", secret, form);
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
    assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("unauthorized_client");

    HttpResponse<String> served =
        fx.postForm(
            prefix + "/token", "reporting-job", secret, Map.of("grant_type", "client_credentials"));
    assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
    assertThat(new JsonObject(served.body()).getString("scope")).isEqualTo("reports.read");
  }
}
