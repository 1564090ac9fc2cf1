package io.grantry.server.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
  static TestServer server;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_ISSUER", "https://id.example.test"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(server.url(path))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void bothMetadataDocumentsNameTheIssuerExactlyAndWhatTheServerSupports() throws Exception {
    for (String path :
        new String[] {
          "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"
        }) {
      HttpResponse<String> r = get(path);
      assertThat(r.statusCode()).isEqualTo(200);
      JsonObject m = new JsonObject(r.body());
      assertThat(m.getString("issuer")).isEqualTo("https://id.example.test");
      assertThat(m.getString("jwks_uri")).isEqualTo("https://id.example.test/jwks");
      assertThat(m.getString("token_endpoint")).isEqualTo("https://id.example.test/token");
      assertThat(m.getJsonArray("code_challenge_methods_supported").getList())
          .containsExactly("S256");
      assertThat(m.getJsonArray("response_types_supported").getList()).containsExactly("code");
      assertThat(m.getJsonArray("grant_types_supported").getList())
          .doesNotContain("password", "implicit");
      assertThat(m.getJsonArray("id_token_signing_alg_values_supported").getList())
          .contains("RS256");
      assertThat(m.getBoolean("authorization_response_iss_parameter_supported")).isTrue();
      assertThat(m.getString("pushed_authorization_request_endpoint"))
          .isEqualTo("https://id.example.test/par");
      assertThat(m.getBoolean("require_pushed_authorization_requests")).isFalse();
    }
  }

  @Test
  void theJwksPublishesAnEs256AndAnRs256PublicKeyWithKids() throws Exception {
    HttpResponse<String> r = get("/jwks");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control").orElse("")).contains("max-age");
    var keys = new JsonObject(r.body()).getJsonArray("keys");
    assertThat(keys.stream().map(k -> ((JsonObject) k).getString("alg")))
        .containsExactlyInAnyOrder("ES256", "RS256");
    assertThat(keys.stream().map(k -> (JsonObject) k))
        .allSatisfy(
            k -> {
              assertThat(k.getString("kid")).isNotBlank();
              assertThat(k.fieldNames()).doesNotContain("d", "p", "q");
            });
  }
}
