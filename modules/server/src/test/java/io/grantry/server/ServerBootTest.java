package io.grantry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ServerBootTest {
  static final HttpClient http = HttpClient.newHttpClient();

  static HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void bootsOnAConfiguredDatabaseAndAnswersHealthAndMetrics() throws Exception {
    try (TestServer s = TestServer.start()) {
      HttpResponse<String> live = get(s.url("/health/live"));
      assertThat(live.statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(s.url("/health/ready"));
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(ready.body()).getJsonObject("checks").getString("migrations"))
          .isEqualTo("UP");

      HttpResponse<String> missing = get(s.url("/no/such/path"));
      assertThat(missing.statusCode()).isEqualTo(404);
      assertThat(new JsonObject(missing.body()).getString("error")).isEqualTo("not_found");

      HttpResponse<String> metrics = get(s.url("/metrics"));
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      assertThat(metrics.body())
          .contains("vertx_http_server_requests_total")
          .contains("route=\"/health/ready\"")
          .contains("grantry_eventstore_append_batch_size")
          .contains("grantry_projection_lag_events{projection=\"token_state\"}");
      // Which provider signs each algorithm: the one the active signers really use.
      for (SigningAlgorithm alg : SigningAlgorithm.values()) {
        String provider = s.server.resources().keys().signer(alg).provider();
        assertThat(metrics.body())
            .contains(
                "grantry_signing_provider_info{alg=\""
                    + alg.wire()
                    + "\",native=\""
                    + provider.equals("AmazonCorrettoCryptoProvider")
                    + "\",provider=\""
                    + provider
                    + "\"} 1");
      }
      if (AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError() == null) {
        assertThat(metrics.body())
            .contains(
                "grantry_signing_provider_info{alg=\"ES256\",native=\"true\","
                    + "provider=\"AmazonCorrettoCryptoProvider\"} 1");
      }
    }
  }

  @Test
  void bootsOnItsOwnEmbeddedDatabaseWhenNoneIsConfigured() throws Exception {
    Path dataDir =
        Path.of(
            System.getProperty("grantry.test.dir", "target"), "embedded-boot-" + System.nanoTime());
    int port = TestServer.freePort();
    GrantryConfig config =
        GrantryConfig.from(
            new JsonObject()
                .put("GRANTRY_HTTP_PORT", String.valueOf(port))
                .put("GRANTRY_HTTP_INSTANCES", "1")
                .put("GRANTRY_DATA_DIR", dataDir.toString()));
    assertThat(config.embeddedDatabase()).isTrue();
    var registry = GrantryServer.newRegistry();
    var vertx = GrantryServer.createVertx(registry);
    GrantryServer server = TestServer.await(GrantryServer.start(vertx, config, registry));
    try {
      assertThat(get("http://127.0.0.1:" + port + "/health/ready").statusCode()).isEqualTo(200);
      assertThat(server.database().embedded()).isTrue();
      assertThat(dataDir.resolve("postgres").resolve("PG_VERSION")).exists();
      // Development mode seeds the demo clients and user and says how to try them.
      assertThat(dataDir.resolve("demo.json")).exists();
      assertThat(String.join("\n", server.devNotes()))
          .contains("demo-web", "demo-native", "/authorize?response_type=code");
    } finally {
      TestServer.await(server.stop());
      TestServer.await(vertx.close());
    }
  }

  @Test
  void anUnreachableDatabaseFailsTheStartWithAClearMessage() throws Exception {
    int port = TestServer.freePort();
    int deadDb = TestServer.freePort();
    GrantryConfig config =
        GrantryConfig.from(
            new JsonObject()
                .put("GRANTRY_HTTP_PORT", String.valueOf(port))
                .put("GRANTRY_DB_URL", "postgresql://127.0.0.1:" + deadDb + "/grantry")
                .put("GRANTRY_DB_USER", "grantry")
                .put("GRANTRY_DB_PASSWORD", "s3cret-never-printed")
                .put("GRANTRY_KEK", TestServer.randomBase64(32))
                .put("GRANTRY_SECRET_PEPPER", TestServer.randomBase64(32)));
    var registry = GrantryServer.newRegistry();
    var vertx = GrantryServer.createVertx(registry);
    try {
      Throwable failure =
          GrantryServer.start(vertx, config, registry)
              .toCompletionStage()
              .toCompletableFuture()
              .handle((ok, err) -> err)
              .get();
      assertThat(failure).isNotNull();
      assertThat(failure.getMessage())
          .contains("127.0.0.1:" + deadDb)
          .doesNotContain("s3cret-never-printed");
    } finally {
      TestServer.await(vertx.close());
    }
  }
}
