package io.grantry.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Grafana dashboard and the Prometheus alert rules in {@code ops/} only name metrics that
 * {@code /metrics} exposes: a server is scraped after traffic of every kind, every PromQL
 * expression of both files is reduced to the metric names it selects, and each must be there.
 * Renaming a meter without the dashboard (or the reverse) fails here.
 */
class OpsDashboardTest {
  static final String CB = "https://app.example/cb";

  /** Series Prometheus makes itself rather than scraping them. */
  static final Set<String> PROMETHEUS_OWN = Set.of("up");

  static TestServer server;
  static Set<String> exposed;
  static String scrape;

  @BeforeAll
  static void trafficThenScrape() throws Exception {
    server = TestServer.start();
    OAuthFixtures fx = new OAuthFixtures(server);
    String secret = fx.confidentialClient("dash-web", CB, "openid offline_access");
    fx.user("dash", "correct horse battery");
    JsonObject t =
        fx.tokens(
            fx.browser(),
            "dash-web",
            secret,
            CB,
            "openid offline_access",
            "dash",
            "correct horse battery");
    fx.refresh("dash-web", secret, t.getString("refresh_token"), null);
    fx.refresh("dash-web", secret, t.getString("refresh_token"), null);
    fx.token("dash-web", secret, Map.of("grant_type", "client_credentials"));
    fx.token("dash-web", "wrong", Map.of("grant_type", "client_credentials"));
    fx.introspect("dash-web", secret, t.getString("access_token"));
    assertThat(
            OAuthFixtures.HTTP
                .send(
                    HttpRequest.newBuilder(URI.create(server.url("/no-such-page"))).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(404);
    HttpResponse<String> r =
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url("/metrics"))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    scrape = r.body();
    exposed = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        exposed.add(line.split("[{ ]", 2)[0]);
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static Path ops() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("ops/grafana"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("the repository's ops/ directory").isNotNull();
    return dir.resolve("ops");
  }

  @Test
  void theDashboardNamesOnlyExposedMetricsAndCoversWhatOperatorsWatch() throws Exception {
    JsonObject dashboard =
        new JsonObject(Files.readString(ops().resolve("grafana/grantry-dashboard.json")));
    List<String> exprs = new ArrayList<>();
    for (Object p : dashboard.getJsonArray("panels")) {
      for (Object t : ((JsonObject) p).getJsonArray("targets", new JsonArray())) {
        exprs.add(((JsonObject) t).getString("expr"));
      }
    }
    for (Object v : dashboard.getJsonObject("templating").getJsonArray("list")) {
      String q = ((JsonObject) v).getString("query");
      Matcher m = Pattern.compile("label_values\\((.*),\\s*[a-z_]+\\)").matcher(q);
      if (m.matches()) {
        exprs.add(m.group(1));
      }
    }
    assertThat(exprs).hasSizeGreaterThan(10);
    Set<String> named = namesIn(exprs);
    assertThat(named)
        .containsAll(
            List.of(
                "grantry_tokens_issued_total",
                "vertx_http_server_response_time_seconds_bucket",
                "grantry_eventstore_append_batch_size_appends_bucket",
                "grantry_projection_lag_seconds",
                "grantry_refresh_reuse_detected_total",
                "grantry_client_auth_failures_total",
                "grantry_ready"));
    assertExposed(named);
  }

  @Test
  void theAlertRulesNameOnlyExposedMetrics() throws Exception {
    Map<String, Object> doc =
        new Yaml().load(Files.readString(ops().resolve("prometheus/grantry-alerts.yml")));
    List<String> exprs = new ArrayList<>();
    List<String> alerts = new ArrayList<>();
    for (Object g : (List<?>) doc.get("groups")) {
      for (Object rule : (List<?>) ((Map<?, ?>) g).get("rules")) {
        Map<?, ?> r = (Map<?, ?>) rule;
        alerts.add((String) r.get("alert"));
        exprs.add((String) r.get("expr"));
      }
    }
    assertThat(alerts)
        .contains(
            "GrantryDown",
            "GrantryNotReady",
            "GrantryTokenLatencyHigh",
            "GrantryProjectionLagging",
            "GrantryRefreshTokenReuseSpike",
            "GrantryClientAuthFailureSpike");
    assertExposed(namesIn(exprs));
  }

  @Test
  void theCountersCountWhatHappened() {
    assertThat(scrape)
        .containsPattern(
            "(?m)^grantry_tokens_issued_total\\{grant_type=\"refresh_token\",?\\} 1\\.0$")
        .containsPattern(
            "(?m)^grantry_tokens_issued_total\\{grant_type=\"client_credentials\",?\\} 1\\.0$")
        .containsPattern("(?m)^grantry_refresh_reuse_detected_total 1\\.0$")
        .containsPattern("(?m)^grantry_client_auth_failures_total\\{endpoint=\"token\",?\\} 1\\.0$")
        .containsPattern("(?m)^grantry_ready 1\\.0$")
        .containsPattern(
            "(?m)^vertx_http_server_response_time_seconds_bucket\\{.*route=\"/token\".*le=\"0\\.025\".*\\} ");
  }

  /**
   * The request meters (io.grantry.server.ops.HttpServerMeters): each request counted once, by
   * route, method and status.
   */
  @Test
  void theHttpMetersCountEachRequestOnceByRouteMethodAndStatus() {
    assertThat(scrape)
        .containsPattern(
            "(?m)^vertx_http_server_requests_total\\{code=\"401\",method=\"POST\",route=\"/token\",?\\} 1\\.0$")
        .containsPattern(
            "(?m)^vertx_http_server_response_time_seconds_count\\{code=\"401\",method=\"POST\",route=\"/token\",?\\} 1$")
        .containsPattern(
            "(?m)^vertx_http_server_requests_total\\{code=\"200\",method=\"POST\",route=\"/introspect\",?\\} 1\\.0$")
        .containsPattern(
            "(?m)^vertx_http_server_requests_total\\{code=\"404\",method=\"GET\",route=\"unmatched\",?\\} 1\\.0$")
        .containsPattern("(?m)^vertx_http_server_active_requests\\{method=\"POST\",?\\} 0\\.0$");
  }

  private static void assertExposed(Set<String> named) {
    Set<String> missing = new TreeSet<>(named);
    missing.removeAll(exposed);
    missing.removeAll(PROMETHEUS_OWN);
    assertThat(missing).as("metric names not in /metrics (it has %s)", exposed).isEmpty();
  }

  private static final Pattern STRINGS =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*\\}");
  private static final Pattern RANGES = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![A-Za-z0-9_:.$])[A-Za-z_:][A-Za-z0-9_:]*");
  private static final Set<String> KEYWORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "and",
          "or",
          "unless",
          "offset");

  /**
   * The metric names a PromQL expression selects: identifiers outside strings, label matchers and
   * ranges, not called.
   */
  static Set<String> namesIn(List<String> exprs) {
    Set<String> out = new TreeSet<>();
    for (String e : exprs) {
      String s = STRINGS.matcher(e).replaceAll(" ");
      s = MATCHERS.matcher(s).replaceAll(" ");
      s = RANGES.matcher(s).replaceAll(" ");
      s = GROUPING.matcher(s).replaceAll(" ");
      Matcher m = IDENTIFIER.matcher(s);
      while (m.find()) {
        String name = m.group();
        String rest = s.substring(m.end()).stripLeading();
        if (KEYWORDS.contains(name) || rest.startsWith("(")) {
          continue;
        }
        out.add(name);
      }
    }
    return out;
  }

  @Test
  void theExtractionFindsMetricNamesOnly() {
    assertThat(
            namesIn(
                List.of(
                    "histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{job=~\"$job\", x=\"y z\"}[5m])))"
                        + " > 0.25",
                    "sum(rate(b_total[$__rate_interval])) / on (i) group_left c unless d offset 1h",
                    "up == 0")))
        .containsExactly("a_bucket", "b_total", "c", "d", "up");
  }
}
