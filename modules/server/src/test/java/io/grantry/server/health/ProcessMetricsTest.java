package io.grantry.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics} beyond Grantry's own meters: the JVM (memory, garbage collection, threads,
 * classes) and the process (CPU, uptime, open files), the PostgreSQL pool and its size, {@code
 * grantry_build_info}; route labels that name one route each (no {@code /admin/>/clients>/admin/}
 * as a failing admin request used to get, no empty label for a request no route matched); and no
 * meter refused as a duplicate while the server starts.
 */
class ProcessMetricsTest {

  @Test
  void theScrapeHasJvmProcessPoolAndBuildMetersAndOneRoutePerLabel() throws Exception {
    Logger micrometer = (Logger) LoggerFactory.getLogger("io.micrometer");
    ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    warnings.start();
    micrometer.addAppender(warnings);
    String scrape;
    try (TestServer server = TestServer.start()) {
      AdminHttp admin = new AdminHttp(server);
      assertThat(admin.get("/admin/clients").status()).isEqualTo(200);
      assertThat(admin.get("/admin/clients/nobody-here").status()).isEqualTo(404);
      assertThat(admin.post("/admin/clients", new JsonObject().put("client_id", "")).status())
          .isEqualTo(400);
      assertThat(admin.get("/admin/no-such-resource").status()).isEqualTo(404);
      OAuthFixtures fx = new OAuthFixtures(server);
      assertThat(fx.browser().get("/no-such-page").statusCode()).isEqualTo(404);
      scrape =
          OAuthFixtures.HTTP
              .send(
                  HttpRequest.newBuilder(URI.create(server.url("/metrics"))).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
    } finally {
      micrometer.detachAppender(warnings);
    }

    assertThat(warnings.list.stream().map(ILoggingEvent::getFormattedMessage))
        .as("Micrometer's warnings while the server ran")
        .noneMatch(m -> m.contains("already been registered") || m.contains("already registered"));

    assertThat(scrape)
        .containsPattern("(?m)^jvm_memory_used_bytes\\{.*area=\"heap\"")
        .containsPattern("(?m)^jvm_gc_memory_allocated_bytes_total ")
        .containsPattern("(?m)^jvm_threads_live_threads ")
        .containsPattern("(?m)^jvm_classes_loaded_classes ")
        .containsPattern("(?m)^process_cpu_usage ")
        .containsPattern("(?m)^process_uptime_seconds ")
        .containsPattern("(?m)^process_files_open_files ")
        .containsPattern("(?m)^vertx_pool_in_use\\{.*pool_type=\"sql\"")
        .containsPattern("(?m)^vertx_pool_queue_pending\\{.*pool_type=\"sql\"")
        .containsPattern("(?m)^grantry_db_pool_max_connections 6\\.0$")
        .containsPattern(
            "(?m)^grantry_build_info\\{java_version=\"[^\"]+\",version=\"\\d+\\.\\d+\\.\\d+[^\"]*\",?\\} 1(\\.0)?$")
        .doesNotContain("vertx_net_client_active_connections");

    List<String> routes = new ArrayList<>();
    Matcher m = Pattern.compile("route=\"([^\"]*)\"").matcher(scrape);
    while (m.find()) {
      routes.add(m.group(1));
    }
    assertThat(routes).isNotEmpty().noneMatch(String::isEmpty).noneMatch(r -> r.contains(">"));
    assertThat(scrape)
        .containsPattern(
            "(?m)^vertx_http_server_requests_total\\{code=\"200\",method=\"GET\",route=\"/admin/clients\",?\\} 1\\.0$")
        .containsPattern(
            "(?m)^vertx_http_server_requests_total\\{code=\"404\",method=\"GET\",route=\"/admin/clients/:client_id\",?\\} 1\\.0$")
        .containsPattern(
            "(?m)^vertx_http_server_requests_total\\{code=\"400\",method=\"POST\",route=\"/admin/clients\",?\\} 1\\.0$")
        .containsPattern(
            "(?m)^vertx_http_server_requests_total\\{code=\"404\",method=\"GET\",route=\"unmatched\",?\\} 1\\.0$");
  }
}
