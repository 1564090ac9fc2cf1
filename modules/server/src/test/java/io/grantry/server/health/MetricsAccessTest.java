package io.grantry.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} tells anyone who can reach it how busy the server is, which clients fail to
 * authenticate and which keys sign: it can be moved to a management port of its own
 * (GRANTRY_METRICS_PORT) and/or require a bearer token (GRANTRY_METRICS_TOKEN). Without either it
 * is served on the HTTP port to anyone, as before.
 */
class MetricsAccessTest {
  static final String TOKEN = "metrics-scrape-token-0123456789";

  static HttpResponse<String> get(String url, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return OAuthFixtures.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void byDefaultTheMetricsAreOnTheHttpPortWithoutAToken() throws Exception {
    try (TestServer server = TestServer.start()) {
      HttpResponse<String> r = get(server.url("/metrics"), null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("grantry_");
    }
  }

  @Test
  void withATokenOnlyItsBearerGetsTheMetrics() throws Exception {
    try (TestServer server = TestServer.start(Map.of("GRANTRY_METRICS_TOKEN", TOKEN))) {
      for (String wrong : new String[] {null, "not-the-token", TOKEN + "x"}) {
        HttpResponse<String> r = get(server.url("/metrics"), wrong);
        assertThat(r.statusCode()).as(String.valueOf(wrong)).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate"))
            .hasValueSatisfying(h -> assertThat(h).startsWith("Bearer"));
        assertThat(r.body()).doesNotContain("grantry_");
      }
      HttpResponse<String> ok = get(server.url("/metrics"), TOKEN);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("grantry_");
      // The rest of the server does not need it.
      assertThat(get(server.url("/health/live"), null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void onAManagementPortTheMetricsLeaveTheHttpPort() throws Exception {
    int management = TestServer.freePort();
    try (TestServer server =
        TestServer.start(
            Map.of(
                "GRANTRY_METRICS_PORT",
                String.valueOf(management),
                "GRANTRY_METRICS_TOKEN",
                TOKEN))) {
      assertThat(get(server.url("/metrics"), TOKEN).statusCode()).isEqualTo(404);
      String there = "http://127.0.0.1:" + management;
      assertThat(get(there + "/metrics", null).statusCode()).isEqualTo(401);
      HttpResponse<String> ok = get(there + "/metrics", TOKEN);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("grantry_");
      // Nothing else is served there.
      assertThat(get(there + "/token", TOKEN).statusCode()).isEqualTo(404);
      assertThat(get(there + "/admin/clients", TOKEN).statusCode()).isEqualTo(404);
    }
  }
}
