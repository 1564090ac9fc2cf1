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
    return trickle(server.port, head, trickle);
  }

  /** The same against the server on {@code port}. */
  static Outcome trickle(int port, String head, String trickle) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      return trickle(s, head, trickle);
    }
  }

  /** The same on a connection that is open already (its earlier answers read). */
  static Outcome trickle(Socket s, String head, String trickle) throws Exception {
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

  /**
   * An HTTP/1.1 keep-alive connection: sends a request, reads its answer (status line, headers, a
   * Content-Length body), and stays open for the next.
   */
  static final class KeepAlive implements AutoCloseable {
    final Socket socket = new Socket();
    private final InputStream in;

    KeepAlive(int port) throws IOException {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(20_000);
      in = socket.getInputStream();
    }

    void send(String bytes) throws IOException {
      socket.getOutputStream().write(bytes.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }

    /** The status of the next answer, its body read; -1 when the server closed the connection. */
    int answer() throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c < 0) {
          return -1;
        }
        head.append((char) c);
      }
      int length = 0;
      for (String line : head.toString().split("\r\n")) {
        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      in.readNBytes(length);
      return Integer.parseInt(head.substring(9, 12));
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static final String LIVE = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  /** A form post to /token with {@code body}, its Content-Length right. */
  static String tokenHead(String body) {
    return "POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + "Content-Length: "
        + body.length()
        + "\r\n\r\n";
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

  /**
   * The deadlines follow each request of a keep-alive connection rather than its opening: a client
   * that asks every 300 ms for 3 s (three header and body timeouts) is answered every time, a body
   * that arrives 300 ms after its head included. The connection would be cut (or a request answered
   * 408) if a deadline set for an earlier request or the connection's start still held.
   */
  @Test
  void aKeepAliveConnectionBusierThanItsDeadlinesIsServedThroughout() throws Exception {
    // No grant_type: answered 400 before any client authentication (no throttle to run into).
    String body = "scope=" + "a".repeat(40);
    try (KeepAlive c = new KeepAlive(server.port)) {
      for (int i = 0; i < 10; i++) {
        if (i % 2 == 0) {
          c.send(LIVE);
          assertThat(c.answer()).as("request %d", i).isEqualTo(200);
        } else {
          c.send(tokenHead(body));
          TimeUnit.MILLISECONDS.sleep(300); // the client's pace, not a synchronisation
          c.send(body);
          assertThat(c.answer()).as("request %d", i).isEqualTo(400);
        }
        TimeUnit.MILLISECONDS.sleep(300); // the client's pace
      }
    }
  }

  /**
   * After an answer, the next request's head has the header deadline too: a client that trickles it
   * on the same connection is closed on.
   */
  @Test
  void aTrickledSecondHeadOnAKeepAliveConnectionIsClosed() throws Exception {
    try (KeepAlive c = new KeepAlive(server.port)) {
      c.send(LIVE);
      assertThat(c.answer()).isEqualTo(200);
      Outcome o =
          trickle(
              c.socket,
              "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n",
              "X-Slow: " + "a".repeat(200) + "\r\n\r\n");
      assertThat(o.closed()).isTrue();
      assertThat(o.bytesSent()).isLessThan(100);
      assertThat(o.answer()).doesNotContain("200 OK");
    }
  }

  /** And its body the body deadline: 408, closed. */
  @Test
  void aTrickledSecondBodyOnAKeepAliveConnectionGets408() throws Exception {
    String body = "grant_type=client_credentials&client_id=x&client_secret=" + "y".repeat(200);
    try (KeepAlive c = new KeepAlive(server.port)) {
      c.send(LIVE);
      assertThat(c.answer()).isEqualTo(200);
      Outcome o = trickle(c.socket, tokenHead(body), body);
      assertThat(o.closed()).isTrue();
      assertThat(o.bytesSent()).isLessThan(100);
      assertThat(o.answer()).startsWith("HTTP/1.1 408").contains("invalid_request");
    }
  }
}
