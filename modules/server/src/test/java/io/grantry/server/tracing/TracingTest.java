package io.grantry.server.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.grantry.server.logging.LogOutput;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Tracing against a real server on the embedded PostgreSQL, its spans caught by the SDK's in-memory
 * exporter: a token request is a server span named by its route, with the ledger's group commit and
 * its statements as children; a caller's {@code traceparent} is continued; no secret of a whole
 * code flow reaches any span; the request's log lines name its trace; and with tracing off there is
 * no tracer, no SDK and no span.
 */
class TracingTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "Pa55-tracing-horse-battery";

  /** Tracing on, as GRANTRY_OTEL_ENDPOINT turns it on; the spans go to {@code spans}. */
  static TestServer traced(Spans spans) throws Exception {
    return traced(spans, Map.of());
  }

  static TestServer traced(Spans spans, Map<String, String> settings) throws Exception {
    Map<String, String> all = new HashMap<>(settings);
    all.put("GRANTRY_OTEL_ENDPOINT", "http://127.0.0.1:4318");
    return TestServer.startTraced(all, t -> Tracing.factory(Tracing.sdk(t, spans, false), false));
  }

  @Test
  void aTokenRequestIsASpanNamedByItsRouteWithTheLedgerAppendAndItsStatementsAsChildren()
      throws Exception {
    Spans spans = new Spans();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LoggerContext logs = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = logs.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    OutputStreamAppender<ILoggingEvent> appender =
        LogOutput.appender(LogOutput.jsonEncoder(logs), out);
    root.addAppender(appender);
    HttpResponse<String> token;
    try (TestServer server = traced(spans, Map.of("GRANTRY_ACCESS_LOG_SAMPLE", "1"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("trace-m2m", CB, "api");
      token =
          fx.token("trace-m2m", secret, Map.of("grant_type", "client_credentials", "scope", "api"));
      assertThat(token.statusCode()).isEqualTo(200);
      spans.until(s -> server(s, "POST /token") != null);
    } finally {
      root.detachAppender(appender);
      appender.stop();
    }
    List<SpanData> all = spans.memory.getFinishedSpanItems();
    SpanData request = server(all, "POST /token");
    assertThat(request.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(attr(request, "http.route")).isEqualTo("/token");
    assertThat(attr(request, "http.request.method")).isEqualTo("POST");
    assertThat(status(request)).as(request.toString()).isEqualTo(200);
    assertThat(attr(request, "grantry.client_id")).isEqualTo("trace-m2m");
    String requestId = token.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(attr(request, "grantry.request_id")).isEqualTo(requestId);

    SpanData append =
        one(all, s -> s.getName().equals(LedgerSpans.NAME) && parent(s, request), "append");
    assertThat(append.getTraceId()).isEqualTo(request.getTraceId());
    assertThat(append.getAttributes().get(AttributeKey.longKey("grantry.ledger.appends")))
        .isGreaterThanOrEqualTo(1L);
    List<String> statements =
        all.stream()
            .filter(s -> parent(s, append))
            .map(s -> String.valueOf(attr(s, "db.query.text")))
            .toList();
    assertThat(statements).as("the append's statements").anyMatch(q -> q.contains("INSERT INTO"));
    assertThat(all.stream().filter(s -> parent(s, append)))
        .allMatch(s -> s.getKind() == SpanKind.CLIENT)
        .allMatch(s -> "postgresql".equals(attr(s, "db.system")));

    // The request's log lines name its trace.
    JsonObject access = null;
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()
          && line.contains(requestId)
          && new JsonObject(line).getString("request_id", "").equals(requestId)) {
        access = new JsonObject(line);
      }
    }
    assertThat(access).as("a log line of the token request").isNotNull();
    assertThat(access.getString("trace_id")).isEqualTo(request.getTraceId());
  }

  @Test
  void aCallersTraceparentIsContinued() throws Exception {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    String parentId = "00f067aa0ba902b7";
    Spans spans = new Spans();
    try (TestServer server = traced(spans)) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("trace-child", CB, "api");
      HttpResponse<String> token =
          OAuthFixtures.HTTP.send(
              HttpRequest.newBuilder(URI.create(server.url("/token")))
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .header("Authorization", basic("trace-child", secret))
                  .header("traceparent", "00-" + traceId + "-" + parentId + "-01")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "grant_type=client_credentials&scope=api"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(token.statusCode()).isEqualTo(200);
      spans.until(s -> server(s, "POST /token") != null);
    }
    List<SpanData> all = spans.memory.getFinishedSpanItems();
    SpanData request = server(all, "POST /token");
    assertThat(request.getTraceId()).isEqualTo(traceId);
    assertThat(request.getParentSpanId()).isEqualTo(parentId);
    assertThat(request.getParentSpanContext().isRemote()).isTrue();
    SpanData append =
        one(all, s -> s.getName().equals(LedgerSpans.NAME) && parent(s, request), "append");
    assertThat(append.getTraceId()).isEqualTo(traceId);
  }

  /**
   * A caller cannot have its requests recorded by marking them sampled: at GRANTRY_OTEL_SAMPLE=0 a
   * traceparent with the sampled flag yields no span (a parent-based sampler would record it).
   */
  @Test
  void aCallersSampledFlagIsNotObeyed() throws Exception {
    Spans spans = new Spans();
    try (TestServer server = traced(spans, Map.of("GRANTRY_OTEL_SAMPLE", "0"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("trace-forced", CB, "api");
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> token =
            OAuthFixtures.HTTP.send(
                HttpRequest.newBuilder(URI.create(server.url("/token")))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", basic("trace-forced", secret))
                    .header(
                        "traceparent",
                        "00-4bf92f3577b34da6a3ce929d0e0e473" + i + "-00f067aa0ba902b7-01")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "grant_type=client_credentials&scope=api"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).isEqualTo(200);
      }
    }
    assertThat(spans.memory.getFinishedSpanItems()).isEmpty();
  }

  @Test
  void noSecretOfACodeFlowReachesAnySpan() throws Exception {
    Spans spans = new Spans();
    List<String> secrets = new ArrayList<>(List.of(PASSWORD, TestServer.ADMIN_TOKEN));
    try (TestServer server = traced(spans)) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("trace-web", CB, "openid profile offline_access");
      secrets.add(secret);
      fx.user("tracer", PASSWORD);

      OAuthFixtures.Browser browser = fx.browser();
      OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
      secrets.add(pkce.verifier());
      String code =
          fx.code(
              browser, "trace-web", CB, "openid profile offline_access", pkce, "tracer", PASSWORD);
      secrets.add(code);
      HttpResponse<String> redeemed = fx.redeem("trace-web", secret, code, CB, pkce);
      assertThat(redeemed.statusCode()).isEqualTo(200);
      JsonObject tokens = new JsonObject(redeemed.body());
      String access = tokens.getString("access_token");
      String refresh = tokens.getString("refresh_token");
      secrets.add(access);
      secrets.add(refresh);
      secrets.add(tokens.getString("id_token"));
      // The same code again (a replay: the grant is revoked), a refresh, an introspection, a
      // userinfo call with the token in its Authorization header, and secrets in query strings.
      assertThat(fx.redeem("trace-web", secret, code, CB, pkce).statusCode()).isEqualTo(400);
      assertThat(fx.refresh("trace-web", secret, refresh, null).statusCode()).isEqualTo(400);
      assertThat(fx.introspect("trace-web", secret, access).getBoolean("active")).isFalse();
      HttpResponse<String> userinfo =
          OAuthFixtures.HTTP.send(
              HttpRequest.newBuilder(URI.create(server.url("/userinfo")))
                  .header("Authorization", "Bearer " + access)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(userinfo.statusCode()).isEqualTo(401);
      for (String path :
          List.of(
              "/authorize?client_id=trace-web&code=" + code + "&state=" + refresh,
              "/no-such-page?access_token=" + access + "&client_secret=" + secret)) {
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url(path))).build(),
            HttpResponse.BodyHandlers.ofString());
      }
      spans.until(s -> s.stream().anyMatch(x -> status(x) == 404));
    }
    List<SpanData> all = spans.memory.getFinishedSpanItems();
    assertThat(all.stream().map(SpanData::getName))
        .contains("GET /authorize", "POST /login", "POST /token", "POST /introspect");
    for (SpanData s : all) {
      String seen = s.getName() + " " + s.getAttributes() + " " + s.getEvents() + s.getLinks();
      for (String secret : secrets) {
        assertThat(seen).as("a secret in span " + s.getName()).doesNotContain(secret);
      }
    }
    for (SpanData s : all) {
      assertThat(s.getAttributes().asMap().keySet().stream().map(AttributeKey::getKey))
          .doesNotContain("http.url", "url.full", "url.query", "url.path");
    }
  }

  @Test
  void offThereIsNoTracerNoSdkAndNoSpan() throws Exception {
    Spans spans = new Spans();
    AtomicInteger sdks = new AtomicInteger();
    try (TestServer server =
        TestServer.startTraced(
            Map.of(),
            settings -> {
              sdks.incrementAndGet();
              return Tracing.factory(Tracing.sdk(settings, spans, false), false);
            })) {
      assertThat(((VertxInternal) server.vertx).tracer()).isNull();
      assertThat(LedgerTracing.of(server.vertx)).isNull();
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("trace-off", CB, "api");
      assertThat(
              fx.token(
                      "trace-off",
                      secret,
                      Map.of("grant_type", "client_credentials", "scope", "api"))
                  .statusCode())
          .isEqualTo(200);
    }
    assertThat(sdks).hasValue(0);
    assertThat(spans.memory.getFinishedSpanItems()).isEmpty();
  }

  /**
   * The launcher's SDK ({@link Tracing#otlp}) posts its spans as OTLP/HTTP protobuf to {@code
   * <GRANTRY_OTEL_ENDPOINT>/v1/traces}, under GRANTRY_OTEL_SERVICE_NAME; closing the server's
   * Vert.x sends what the batch still held.
   */
  @Test
  void theLaunchersSdkPostsItsSpansToTheCollectorOverOtlpHttp() throws Exception {
    Vertx collectorVertx = Vertx.vertx();
    CompletableFuture<String> received = new CompletableFuture<>();
    List<String> posts = new CopyOnWriteArrayList<>();
    String secret;
    try {
      HttpServer collector =
          TestServer.await(
              collectorVertx
                  .createHttpServer()
                  .requestHandler(
                      req ->
                          req.body()
                              .onSuccess(
                                  body -> {
                                    String seen =
                                        req.method()
                                            + " "
                                            + req.path()
                                            + " "
                                            + req.getHeader("Content-Type")
                                            + " "
                                            + body.toString(StandardCharsets.ISO_8859_1);
                                    posts.add(seen);
                                    if (seen.contains("POST /token")) {
                                      received.complete(seen);
                                    }
                                    req.response()
                                        .putHeader("Content-Type", "application/x-protobuf")
                                        .end();
                                  }))
                  .listen(0, "127.0.0.1"));
      try (TestServer server =
          TestServer.startTraced(
              Map.of(
                  "GRANTRY_OTEL_ENDPOINT",
                  "http://127.0.0.1:" + collector.actualPort() + "/",
                  "GRANTRY_OTEL_SERVICE_NAME",
                  "grantry-otlp-test"),
              Tracing::otlp)) {
        OAuthFixtures fx = new OAuthFixtures(server);
        secret = fx.confidentialClient("trace-otlp", CB, "api");
        assertThat(
                fx.token(
                        "trace-otlp",
                        secret,
                        Map.of("grant_type", "client_credentials", "scope", "api"))
                    .statusCode())
            .isEqualTo(200);
      }
      String post = received.get(30, TimeUnit.SECONDS);
      assertThat(post).startsWith("POST /v1/traces application/x-protobuf ");
      assertThat(post).contains("grantry-otlp-test", "/token");
      assertThat(String.join("\n", posts)).contains(LedgerSpans.NAME).doesNotContain(secret);
    } finally {
      TestServer.await(collectorVertx.close());
    }
  }

  // ------------------------------------------------------------------ helpers

  /** The in-memory exporter, and a wait for the spans a test expects (they end after answers). */
  static final class Spans implements SpanExporter {
    final InMemorySpanExporter memory = InMemorySpanExporter.create();

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
      CompletableResultCode r = memory.export(spans);
      notifyAll();
      return r;
    }

    @Override
    public CompletableResultCode flush() {
      return memory.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }

    synchronized void until(Predicate<List<SpanData>> done) throws InterruptedException {
      long end = System.nanoTime() + 20_000_000_000L;
      while (!done.test(memory.getFinishedSpanItems())) {
        long left = (end - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          throw new AssertionError("not among the spans: " + memory.getFinishedSpanItems());
        }
        wait(left);
      }
    }
  }

  static SpanData server(List<SpanData> spans, String name) {
    return spans.stream()
        .filter(s -> s.getKind() == SpanKind.SERVER && s.getName().equals(name))
        .findFirst()
        .orElse(null);
  }

  static SpanData one(List<SpanData> spans, Predicate<SpanData> p, String what) {
    List<SpanData> found = spans.stream().filter(p).toList();
    assertThat(found).as(what + " among " + spans).hasSize(1);
    return found.get(0);
  }

  static boolean parent(SpanData child, SpanData parent) {
    return child.getTraceId().equals(parent.getTraceId())
        && child.getParentSpanId().equals(parent.getSpanId());
  }

  /** The span's HTTP status code, or 0. */
  static long status(SpanData s) {
    Long code = s.getAttributes().get(AttributeKey.longKey("http.response.status_code"));
    if (code == null && attr(s, "http.response.status_code") != null) {
      return Long.parseLong(attr(s, "http.response.status_code"));
    }
    return code == null ? 0 : code;
  }

  static String attr(SpanData s, String key) {
    return s.getAttributes().get(AttributeKey.stringKey(key));
  }

  static String basic(String id, String secret) {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }
}
