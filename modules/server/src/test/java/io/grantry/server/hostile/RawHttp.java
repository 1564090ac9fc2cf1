package io.grantry.server.hostile;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket: sends exactly the bytes given (bad percent-encodings, invalid
 * UTF-8, duplicated headers, lying Content-Length), which the JDK client refuses to send. One
 * connection per request, {@code Connection: close}, read to the end; or a keep-alive connection
 * per thread ({@link #sendKeepAlive}).
 */
final class RawHttp {
  private RawHttp() {}

  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
    }
  }

  /** Sends a request with this method, target (raw bytes), headers (raw lines) and body. */
  static Response send(
      int port, String method, byte[] target, List<Map.Entry<String, byte[]>> headers, byte[] body)
      throws IOException {
    return exchange(port, request(method, target, headers, body, "Connection: close\r\n"));
  }

  /**
   * Sends a request whose body is {@code chunked} as given (Transfer-Encoding: chunked, no
   * Content-Length).
   */
  static Response sendChunked(
      int port,
      String method,
      byte[] target,
      List<Map.Entry<String, byte[]>> headers,
      byte[] chunked)
      throws IOException {
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.write(
        request(
            method, target, headers, null, "Connection: close\r\nTransfer-Encoding: chunked\r\n"));
    req.write(chunked);
    return exchange(port, req.toByteArray());
  }

  /**
   * The request's bytes, as given (no escaping): request line, Host, {@code extra} header lines,
   * headers, body.
   */
  private static byte[] request(
      String method,
      byte[] target,
      List<Map.Entry<String, byte[]>> headers,
      byte[] body,
      String extra)
      throws IOException {
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.write((method + " ").getBytes(StandardCharsets.US_ASCII));
    req.write(target);
    req.write((" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra).getBytes(StandardCharsets.US_ASCII));
    for (var h : headers) {
      req.write((h.getKey() + ": ").getBytes(StandardCharsets.ISO_8859_1));
      req.write(h.getValue());
      req.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    if (body != null) {
      req.write(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    }
    req.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    if (body != null) {
      req.write(body);
    }
    return req.toByteArray();
  }

  /**
   * The same request on this thread's keep-alive connection to {@code port} (opened on first use,
   * reopened when the server closed it): no connection set-up per request, which is what made
   * 10,000 requests per endpoint affordable. A request whose header bytes hold CR or LF could
   * smuggle a second request onto the connection and is sent on a connection of its own instead.
   */
  static Response sendKeepAlive(
      int port, String method, byte[] target, List<Map.Entry<String, byte[]>> headers, byte[] body)
      throws IOException {
    for (var h : headers) {
      for (byte b : h.getValue()) {
        if (b == '\r' || b == '\n') {
          return send(port, method, target, headers, body);
        }
      }
    }
    byte[] req = request(method, target, headers, body, "");
    KeepAlive c = KEEP_ALIVE.get();
    try {
      return c.exchange(port, req, "HEAD".equals(method));
    } catch (Closed e) {
      // The server had closed the connection before this request (after an error answer, or idle):
      // once more on a new one.
      c.close();
      return c.exchange(port, req, "HEAD".equals(method));
    }
  }

  private static final ThreadLocal<KeepAlive> KEEP_ALIVE = ThreadLocal.withInitial(KeepAlive::new);

  /** The connection ended before any byte of the answer arrived. */
  private static final class Closed extends IOException {
    Closed() {
      super("connection closed before the answer");
    }
  }

  /** One persistent connection; answers are framed by Content-Length or chunked encoding. */
  private static final class KeepAlive {
    private Socket socket;
    private BufferedInputStream in;
    private int port;

    Response exchange(int port, byte[] request, boolean head) throws IOException {
      if (socket == null || socket.isClosed() || this.port != port) {
        close();
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        this.port = port;
      }
      try {
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
      } catch (IOException e) {
        // It may have answered (413, 431) and closed before reading everything: read what it said.
      }
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      int state = 0;
      while (state < 4) {
        int b;
        try {
          b = in.read();
        } catch (SocketException e) {
          b = -1;
        }
        if (b < 0) {
          close();
          if (raw.size() == 0) {
            throw new Closed();
          }
          throw new AssertionError(
              "connection closed inside an answer's head: "
                  + abbreviate(raw.toString(StandardCharsets.ISO_8859_1)));
        }
        raw.write(b);
        state =
            (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                ? state + 1
                : (b == '\r' ? 1 : 0);
      }
      Response headOnly = parse(raw.toByteArray());
      int status = headOnly.status();
      boolean close = headOnly.header("Connection").toLowerCase(Locale.ROOT).contains("close");
      if (!head && status != 204 && status != 304 && status >= 200) {
        if ("chunked".equalsIgnoreCase(headOnly.header("Transfer-Encoding"))) {
          while (true) {
            String sizeLine = line();
            raw.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            if (size == 0) {
              for (String t; !(t = line()).isEmpty(); ) {
                // trailers: none expected
              }
              raw.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
              break;
            }
            raw.write(in.readNBytes(size));
            line();
            raw.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
          }
        } else if (!headOnly.header("Content-Length").isEmpty()) {
          int n = Integer.parseInt(headOnly.header("Content-Length").trim());
          byte[] bodyBytes = in.readNBytes(n);
          raw.write(bodyBytes);
          if (bodyBytes.length < n) {
            close = true;
          }
        } else {
          raw.write(readAll(in));
          close = true;
        }
      }
      if (close) {
        close();
      }
      return parse(raw.toByteArray());
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      for (int b; (b = in.read()) >= 0; ) {
        if (b == '\n') {
          break;
        }
        if (b != '\r') {
          sb.append((char) b);
        }
      }
      return sb.toString();
    }

    void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
      socket = null;
    }
  }

  static Response exchange(int port, byte[] request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // The server may answer (413, 431) and close before reading everything; read what it said.
      }
      return parse(readAll(s.getInputStream()));
    }
  }

  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        b.write(buf, 0, n);
      }
    } catch (SocketException e) {
      // A reset after the answer was written: keep what arrived.
    }
    return b.toByteArray();
  }

  static Response parse(byte[] raw) {
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/1.") || end < 0) {
      throw new AssertionError("not an HTTP response: " + abbreviate(text));
    }
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].substring(9, 12));
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      headers.merge(
          lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(c + 1).trim(),
          (a, b) -> a + ", " + b);
    }
    byte[] bodyBytes = Arrays.copyOfRange(raw, end + 4, raw.length);
    String body = new String(bodyBytes, StandardCharsets.ISO_8859_1);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = dechunk(body);
    }
    body = new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    return new Response(status, headers, body);
  }

  private static String dechunk(String s) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      int nl = s.indexOf("\r\n", i);
      if (nl < 0) {
        break;
      }
      int size = Integer.parseInt(s.substring(i, nl).split(";")[0].trim(), 16);
      if (size == 0) {
        break;
      }
      out.append(s, nl + 2, Math.min(s.length(), nl + 2 + size));
      i = nl + 2 + size + 2;
    }
    return out.toString();
  }

  static String abbreviate(String s) {
    return s.length() > 600 ? s.substring(0, 600) + "…" : s;
  }
}
