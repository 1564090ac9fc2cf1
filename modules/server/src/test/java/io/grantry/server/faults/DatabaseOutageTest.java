package io.grantry.server.faults;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.http.Failures;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL stops under a running server and comes back: meanwhile the endpoints that need it
 * answer 503 with Retry-After within the configured database timeout (no hang, no 500) and
 * readiness is 503; afterwards the server recovers by itself, and every token it answered 200 for
 * before the stop is still active.
 */
class DatabaseOutageTest {
  static final int DB_TIMEOUT_MS = 1000;

  /**
   * How much longer than the database timeout an answer may take (scheduling on two busy cores).
   */
  static final long SLACK_MS = 1500;

  static final String CB = "https://svc.example.test/cb";

  /** Without the client cache every request first reads the client from the database. */
  @Test
  void whileTheDatabaseIsDownRequestsAre503FastAndTheServerRecoversByItself() throws Exception {
    outage("0");
  }

  /**
   * With the client cache, authentication succeeds from memory and the event store's append meets
   * the outage.
   */
  @Test
  void appendsFailFastToo() throws Exception {
    outage("60000");
  }

  private void outage(String clientCacheMs) throws Exception {
    Path dir =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "grantry-test-pg",
            "outage-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    String password = "outage-test-password";
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder().testMode(true).password(password).build().start(dir, 0);
    int pgPort = pg.port();
    try (TestServer server =
        TestServer.startOnUrl(
            "postgresql://postgres@127.0.0.1:" + pgPort + "/postgres",
            Map.of(
                "GRANTRY_DB_PASSWORD",
                password,
                "GRANTRY_DB_TIMEOUT_MS",
                String.valueOf(DB_TIMEOUT_MS),
                "GRANTRY_CLIENT_CACHE_MS",
                clientCacheMs,
                // Introspection from the database only: the access-token mirror may answer from
                // memory for up to this bound after the outage begins (by design), and with the
                // client cache on it would answer these tokens instead of meeting the outage.
                "GRANTRY_INTROSPECTION_CACHE_MS",
                "0"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("svc", CB, "read", "client_credentials");
      List<String> issued = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        HttpResponse<String> r =
            post(server, "/token", secret, "grant_type=client_credentials&scope=read");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        issued.add(new JsonObject(r.body()).getString("access_token"));
      }
      assertThat(get(server, "/health/ready").statusCode()).isEqualTo(200);

      pg.stop();

      for (int i = 0; i < 3; i++) {
        unavailable(
            post(server, "/token", secret, "grant_type=client_credentials&scope=read"), "token");
        unavailable(post(server, "/introspect", secret, "token=" + issued.get(i)), "introspect");
      }
      long t0 = System.nanoTime();
      HttpResponse<String> ready = get(server, "/health/ready");
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
      assertThat(millisSince(t0)).isLessThan(DB_TIMEOUT_MS + SLACK_MS);

      pg = EmbeddedPostgres.builder().testMode(true).password(password).build().start(dir, pgPort);
      long restarted = System.nanoTime();
      HttpResponse<String> r;
      do {
        assertThat(millisSince(restarted)).as("recovered within 10 s").isLessThan(10_000);
        r = post(server, "/token", secret, "grant_type=client_credentials&scope=read");
      } while (r.statusCode() == 503);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      issued.add(new JsonObject(r.body()).getString("access_token"));
      assertThat(get(server, "/health/ready").statusCode()).isEqualTo(200);

      for (String token : issued) {
        HttpResponse<String> in = post(server, "/introspect", secret, "token=" + token);
        assertThat(in.statusCode()).as(in.body()).isEqualTo(200);
        assertThat(new JsonObject(in.body()).getBoolean("active")).as(token).isTrue();
      }
    } finally {
      pg.stop();
      deleteTree(dir);
    }
  }

  /**
   * The database stops answering without refusing (a partition, here a relay that holds every
   * byte): requests still end in 503 within the timeout instead of waiting on a silent connection,
   * and once the relay thaws the server carries on by itself.
   */
  @Test
  void aDatabaseThatStopsAnsweringIs503WithinTheTimeoutToo() throws Exception {
    EmbeddedPostgres db = TestDatabase.server();
    TestDatabase fresh = TestDatabase.fresh();
    try (FreezableProxy proxy = new FreezableProxy(db.port());
        TestServer server =
            TestServer.startOnUrl(
                "postgresql://postgres@127.0.0.1:" + proxy.port() + "/" + fresh.name(),
                Map.of(
                    "GRANTRY_DB_PASSWORD",
                    db.password(),
                    "GRANTRY_DB_TIMEOUT_MS",
                    String.valueOf(DB_TIMEOUT_MS),
                    "GRANTRY_CLIENT_CACHE_MS",
                    "0"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("svc", CB, "read", "client_credentials");
      List<String> issued = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> r =
            post(server, "/token", secret, "grant_type=client_credentials&scope=read");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        issued.add(new JsonObject(r.body()).getString("access_token"));
      }

      proxy.freeze();
      for (int i = 0; i < 3; i++) {
        unavailable(
            post(server, "/token", secret, "grant_type=client_credentials&scope=read"), "token");
        unavailable(post(server, "/introspect", secret, "token=" + issued.get(i)), "introspect");
      }
      assertThat(get(server, "/health/ready").statusCode()).isEqualTo(503);

      proxy.thaw();
      long thawed = System.nanoTime();
      HttpResponse<String> r;
      do {
        assertThat(millisSince(thawed)).as("recovered within 10 s").isLessThan(10_000);
        r = post(server, "/token", secret, "grant_type=client_credentials&scope=read");
      } while (r.statusCode() == 503);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      for (String token : issued) {
        HttpResponse<String> in = post(server, "/introspect", secret, "token=" + token);
        assertThat(new JsonObject(in.body()).getBoolean("active")).as(token).isTrue();
      }
    }
  }

  /**
   * A request that fails at an endpoint alias (GRANTRY_ENDPOINT_ALIASES) is logged under its
   * canonical route, as the metrics count it, so one search finds the endpoint's failures whichever
   * path the client used.
   */
  @Test
  void aFailureAtAnEndpointAliasIsLoggedUnderTheCanonicalRoute() throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger failures = (Logger) LoggerFactory.getLogger(Failures.class);
    logs.start();
    failures.addAppender(logs);
    EmbeddedPostgres db = TestDatabase.server();
    TestDatabase fresh = TestDatabase.fresh();
    try (FreezableProxy proxy = new FreezableProxy(db.port());
        TestServer server =
            TestServer.startOnUrl(
                "postgresql://postgres@127.0.0.1:" + proxy.port() + "/" + fresh.name(),
                Map.of(
                    "GRANTRY_DB_PASSWORD",
                    db.password(),
                    "GRANTRY_DB_TIMEOUT_MS",
                    String.valueOf(DB_TIMEOUT_MS),
                    "GRANTRY_CLIENT_CACHE_MS",
                    "0",
                    "GRANTRY_ENDPOINT_ALIASES",
                    "duende,okta"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("svc", CB, "read", "client_credentials");
      proxy.freeze();
      unavailable(post(server, "/connect/token", secret, "grant_type=client_credentials"), "token");
      unavailable(post(server, "/v1/introspect", secret, "token=x"), "introspect");
      proxy.thaw();
    } finally {
      failures.detachAppender(logs);
    }
    List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(lines)
        .anySatisfy(l -> assertThat(l).startsWith("Database unavailable for POST /token:"))
        .anySatisfy(l -> assertThat(l).startsWith("Database unavailable for POST /introspect:"))
        .noneMatch(l -> l.contains("/connect/") || l.contains("/v1/"));
  }

  /** 503, Retry-After, an OAuth error body, and within the database timeout. */
  private static void unavailable(HttpResponse<String> r, String what) {
    long took = r.headers().firstValueAsLong("X-Test-Millis").orElse(0);
    assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).as(what).isPresent();
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("temporarily_unavailable");
    assertThat(took).as(what + " answered in ms").isLessThan(DB_TIMEOUT_MS + SLACK_MS);
  }

  private static HttpResponse<String> post(
      TestServer server, String path, String secret, String form) throws Exception {
    String basic =
        Base64.getEncoder()
            .encodeToString(
                ("svc:" + URLEncoder.encode(secret, StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8));
    return timed(
        HttpRequest.newBuilder(URI.create(server.url(path)))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", "Basic " + basic)
            .POST(HttpRequest.BodyPublishers.ofString(form)));
  }

  private static HttpResponse<String> get(TestServer server, String path) throws Exception {
    return timed(HttpRequest.newBuilder(URI.create(server.url(path))).GET());
  }

  /**
   * Sends with a hard 15 s client timeout (a hang fails the test) and records how long the answer
   * took.
   */
  private static HttpResponse<String> timed(HttpRequest.Builder b) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r =
        OAuthFixtures.HTTP.send(
            b.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    long took = millisSince(t0);
    return new HttpResponse<>() {
      public int statusCode() {
        return r.statusCode();
      }

      public HttpRequest request() {
        return r.request();
      }

      public Optional<HttpResponse<String>> previousResponse() {
        return r.previousResponse();
      }

      public HttpHeaders headers() {
        Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(r.headers().map());
        h.put("X-Test-Millis", List.of(String.valueOf(took)));
        return HttpHeaders.of(h, (x, y) -> true);
      }

      public String body() {
        return r.body();
      }

      public Optional<SSLSession> sslSession() {
        return r.sslSession();
      }

      public URI uri() {
        return r.uri();
      }

      public HttpClient.Version version() {
        return r.version();
      }
    };
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static void deleteTree(Path dir) throws Exception {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.deleteIfExists(dir.resolveSibling(dir.getFileName() + ".lock"));
  }
}
