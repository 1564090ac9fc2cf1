package io.grantry.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.hostile.SlowClientTest.KeepAlive;
import io.grantry.server.hostile.SlowClientTest.Outcome;
import io.grantry.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The request deadline (GRANTRY_DB_TIMEOUT_MS, here 1 s) beside header and body deadlines ten times
 * longer: a body still arriving when it passes is a slow client (408, closed), and each request of
 * a keep-alive connection has a deadline of its own, counted from its own head. (A request whose
 * database stops answering is answered 503 at it: DatabaseOutageTest.) Also the request ids the
 * edge gives requests that bring none.
 */
class RequestDeadlineTest {
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_HTTP_HEADER_TIMEOUT_MS", "10000",
                "GRANTRY_HTTP_BODY_TIMEOUT_MS", "10000",
                "GRANTRY_DB_TIMEOUT_MS", "1000"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /**
   * One byte every 100 ms: cut off near the tenth by the request deadline, long before the body
   * deadline (about the hundredth).
   */
  @Test
  void aBodyStillArrivingAtTheRequestDeadlineGets408() throws Exception {
    String body = "grant_type=client_credentials&client_id=x&client_secret=" + "y".repeat(200);
    Outcome o = SlowClientTest.trickle(server.port, SlowClientTest.tokenHead(body), body);
    assertThat(o.closed()).isTrue();
    assertThat(o.bytesSent()).isLessThan(50);
    assertThat(o.answer()).startsWith("HTTP/1.1 408").contains("invalid_request");
  }

  /**
   * Ten requests 300 ms apart on one connection (three deadlines' worth), bodies sent 300 ms after
   * their heads: every one answered, none 408 or 503; then a trickled body on the same connection
   * is cut off by its own deadline.
   */
  @Test
  void eachRequestOnAKeepAliveConnectionHasADeadlineOfItsOwn() throws Exception {
    String body = "scope=" + "a".repeat(40); // no grant_type: 400, before any client authentication
    try (KeepAlive c = new KeepAlive(server.port)) {
      for (int i = 0; i < 10; i++) {
        if (i % 2 == 0) {
          c.send(SlowClientTest.LIVE);
          assertThat(c.answer()).as("request %d", i).isEqualTo(200);
        } else {
          c.send(SlowClientTest.tokenHead(body));
          TimeUnit.MILLISECONDS.sleep(300); // the client's pace, not a synchronisation
          c.send(body);
          assertThat(c.answer()).as("request %d", i).isEqualTo(400);
        }
        TimeUnit.MILLISECONDS.sleep(300); // the client's pace
      }
      String slow = "grant_type=client_credentials&client_id=x&client_secret=" + "y".repeat(200);
      Outcome o = SlowClientTest.trickle(c.socket, SlowClientTest.tokenHead(slow), slow);
      assertThat(o.closed()).isTrue();
      assertThat(o.bytesSent()).isLessThan(50);
      assertThat(o.answer()).startsWith("HTTP/1.1 408");
    }
  }

  /**
   * Every request that brings no id gets one of its own, in a version-4 UUID's form (the pages show
   * it so); a sane id a client brings is kept, any other replaced.
   */
  @Test
  void requestsGetDistinctIdsAndASaneOneOfTheirOwnIsKept() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      String id = idOf(http, null);
      assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
      assertThat(UUID.fromString(id).version()).isEqualTo(4);
      ids.add(id);
    }
    assertThat(ids).hasSize(300);
    assertThat(idOf(http, "client-42.retry_1")).isEqualTo("client-42.retry_1");
    String replaced = idOf(http, "not/sane");
    assertThat(replaced).isNotEqualTo("not/sane").hasSize(36);
    assertThat(idOf(http, "x".repeat(65))).hasSize(36);
  }

  private static String idOf(HttpClient http, String given) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url("/health/live")));
    if (given != null) {
      b.header("X-Request-Id", given);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.headers().firstValue("X-Request-Id").orElseThrow();
  }
}
