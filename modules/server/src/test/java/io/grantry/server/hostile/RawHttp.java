package io.grantry.server.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket: sends exactly the bytes given (bad percent-encodings, invalid
 * UTF-8, duplicated headers, lying Content-Length), which the JDK client refuses to send.
 * One connection per request, {@code Connection: close}, read to the end.
 */
final class RawHttp {
  private RawHttp() {}

  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
    }
  }

  /** Sends a request with this method, target (raw bytes), headers (raw lines) and body. */
  static Response send(int port, String method, byte[] target, java.util.List<Map.Entry<String, byte[]>> headers,
      byte[] body)
      throws IOException {
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.write((method + " ").getBytes(StandardCharsets.US_ASCII));
    req.write(target);
    req.write(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".getBytes(StandardCharsets.US_ASCII));
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
    return exchange(port, req.toByteArray());
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
    } catch (java.net.SocketException e) {
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
      headers.merge(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim(),
          (a, b) -> a + ", " + b);
    }
    byte[] bodyBytes = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
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
