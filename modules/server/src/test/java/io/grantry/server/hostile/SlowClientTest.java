package io.grantry.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Slowloris: a client that trickles its request head or body a byte at a time (each byte well
 * within the 60 s idle timeout) is cut off by the header and body deadlines, while other clients
 * are served meanwhile. The trickler sends far more bytes than fit in the deadline, so the test
 * fails (the server reads the whole request) if the deadline is not enforced.
 */
class SlowClientTest {
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_HTTP_HEADER_TIMEOUT_MS", "1000", "GRANTRY_HTTP_BODY_TIMEOUT_MS", "1000"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /**
   * What the trickler saw: whether the server closed on it, how many bytes it got out, and the
   * answer.
   */
  record Outcome(boolean closed, int bytesSent, String answer) {}

  /**
   * Sends {@code head} at once, then {@code trickle} one byte every 100 ms; stops when the server
   * closes the connection (a write fails or the read side ends), at the latest after all bytes.
   */
  static Outcome trickle(String head, String trickle) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port), 5000);
      s.setSoTimeout(1);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      StringBuilder answer = new StringBuilder();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] bytes = trickle.getBytes(StandardCharsets.US_ASCII);
      byte[] buf = new byte[4096];
      int sent = 0;
      for (; sent < bytes.length; sent++) {
        try {
          int n = in.read(buf);
          if (n < 0) {
            return new Outcome(true, sent, answer.toString());
          }
          answer.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        } catch (SocketTimeoutException e) {
          // nothing to read yet
        } catch (IOException e) {
          return new Outcome(true, sent, answer.toString());
        }
        try {
          out.write(bytes[sent]);
          out.flush();
        } catch (IOException e) {
          return new Outcome(true, sent, answer.toString());
        }
        TimeUnit.MILLISECONDS.sleep(100); // the client's pace, not a synchronisation
      }
      return new Outcome(false, sent, answer.toString());
    }
  }

  static int normalRequest() throws IOException {
    RawHttp.Response r =
        RawHttp.send(
            server.port,
            "GET",
            "/health/live".getBytes(StandardCharsets.US_ASCII),
            List.of(),
            null);
    return r.status();
  }

  @Test
  void aClientTricklingItsHeadersIsClosedWhileOthersAreServed() throws Exception {
    var slow =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return trickle(
                    "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                    "X-Slow: " + "a".repeat(200) + "\r\n\r\n");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    int served = 0;
    while (!slow.isDone()) {
      assertThat(normalRequest()).isEqualTo(200);
      served++;
      TimeUnit.MILLISECONDS.sleep(50); // pace the normal client; not a synchronisation
    }
    Outcome o = slow.get(60, TimeUnit.SECONDS);
    assertThat(o.closed()).as("closed before the trickled head was complete").isTrue();
    assertThat(o.bytesSent()).isLessThan(100);
    assertThat(o.answer()).doesNotContain("200 OK");
    assertThat(served).isPositive();
  }

  @Test
  void aClientTricklingItsBodyGets408AndIsClosed() throws Exception {
    String body = "grant_type=client_credentials&client_id=x&client_secret=" + "y".repeat(200);
    Outcome o =
        trickle(
            "POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: "
                + body.length()
                + "\r\n\r\n",
            body);
    assertThat(o.closed()).isTrue();
    assertThat(o.bytesSent()).isLessThan(100);
    assertThat(o.answer()).startsWith("HTTP/1.1 408").contains("invalid_request");
    assertThat(normalRequest()).isEqualTo(200);
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheHeaderDeadline() throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port), 5000);
      s.setSoTimeout(20_000);
      s.getOutputStream()
          .write(
              "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      StringBuilder got = new StringBuilder();
      int c;
      // Reads the answer, then blocks until the server closes the idle connection (well before the
      // 60 s idle timeout).
      long start = System.nanoTime();
      while ((c = in.read()) >= 0) {
        got.append((char) c);
      }
      assertThat(got.toString()).startsWith("HTTP/1.1 200");
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(20);
    }
  }
}
