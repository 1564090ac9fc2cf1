package io.grantry.server.http;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads the body of the form-posting OAuth endpoints (token, introspect, revoke) and parses it as
 * {@code application/x-www-form-urlencoded}. Our own code rather than vertx-web's BodyHandler
 * because of how that one decodes forms: it hands the body to Netty's multipart decoder, which ends
 * every request by throwing and catching an exception (with its stack trace): 2.7% of the CPU of a
 * client_credentials request and 5% of an introspection in the profiles ({@code
 * ops/bench/results/profiles/}). The parser is also stricter than Netty's: a '%' not followed by
 * two hex digits, or bytes that are not UTF-8, are an error (Netty keeps them as they are), which
 * the endpoints answer with invalid_request.
 *
 * <p>The handler reads at most {@code limit} bytes and fails the request with 413 beyond that (as
 * BodyHandler did: {@link Failures} answers invalid_request). The route gets the raw body from
 * {@link #body}; {@link #parse} does the rest.
 */
public final class FormBody implements Handler<RoutingContext> {
  private static final String KEY = FormBody.class.getName();

  /** At most this many parameters (as the HTTP server's limit for the forms BodyHandler reads). */
  public static final int MAX_FIELDS = 256;

  private final int limit;

  private FormBody(int limit) {
    this.limit = limit;
  }

  /** A handler that reads bodies of at most {@code limit} bytes. */
  public static FormBody limit(int limit) {
    return new FormBody(limit);
  }

  /** The body the handler read (empty when there was none). */
  public static Buffer body(RoutingContext ctx) {
    Buffer b = ctx.get(KEY);
    return b == null ? Buffer.buffer() : b;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String length = req.getHeader("Content-Length");
    int expected = 0;
    if (length != null) {
      long n;
      try {
        n = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        n = Long.MAX_VALUE;
      }
      if (n > limit || n < 0) {
        ctx.fail(413);
        return;
      }
      expected = (int) n;
    }
    Reader reader = new Reader(ctx, expected);
    req.handler(reader);
    req.endHandler(reader.end);
    req.resume();
  }

  /**
   * One request's body as it arrives: its chunks and its end in one object (one allocation per
   * request rather than a buffer, two lambdas and a flag).
   */
  private final class Reader implements Handler<Buffer> {
    private final RoutingContext ctx;
    private Buffer body;
    private boolean tooLarge;
    final Handler<Void> end = v -> ended();

    Reader(RoutingContext ctx, int expected) {
      this.ctx = ctx;
      this.body = expected > 0 ? Buffer.buffer(expected) : null;
    }

    @Override
    public void handle(Buffer chunk) {
      if (tooLarge) {
        return;
      }
      int have = body == null ? 0 : body.length();
      if (have + chunk.length() > limit) {
        tooLarge = true;
        ctx.fail(413);
        return;
      }
      if (body == null) {
        body = Buffer.buffer(Math.max(chunk.length(), 16));
      }
      body.appendBuffer(chunk);
    }

    private void ended() {
      if (!tooLarge) {
        ctx.put(KEY, body == null ? Buffer.buffer() : body);
        ctx.next();
      }
    }
  }

  /** The form media type (RFC 1866 §8.2.1, WHATWG URL "application/x-www-form-urlencoded"). */
  public static final String FORM = "application/x-www-form-urlencoded";

  private static final String MULTIPART = "multipart/form-data";

  /**
   * True if {@code contentType} is the form media type: the type and subtype exactly (in any case,
   * RFC 9110 §8.3.1), optionally followed by parameters such as {@code charset}. A media type that
   * only begins so ({@code application/x-www-form-urlencodedXYZ}) is another type, not a form.
   */
  public static boolean isForm(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().equalsIgnoreCase(FORM);
  }

  /**
   * A router-wide rule, before any route reads a body: a request whose media type begins like a
   * form's ({@code application/x-www-form-urlencoded…} or {@code multipart/form-data}) but is not
   * exactly {@link #FORM}, or that names its content type twice, is answered 400 invalid_request.
   * Vert.x's own form decoding (vertx-web's BodyHandler, used by the sign-in, consent and account
   * pages) takes any content type that merely starts with a form's as a form; no endpoint here
   * accepts multipart.
   */
  public static void refuseLookAlikes(RoutingContext ctx) {
    List<String> types = ctx.request().headers().getAll("Content-Type");
    if (types.isEmpty()) {
      ctx.next();
      return;
    }
    String type = types.get(0);
    int from = 0;
    while (from < type.length() && type.charAt(from) <= ' ') {
      from++; // as String.trim() (no lower-cased copy of the header for each request)
    }
    boolean formLike =
        type.regionMatches(true, from, FORM, 0, FORM.length())
            || type.regionMatches(true, from, MULTIPART, 0, MULTIPART.length());
    if (types.size() > 1 || (formLike && !isForm(type))) {
      Failures.send(
          ctx,
          400,
          "invalid_request",
          "The body must be application/x-www-form-urlencoded (one Content-Type).");
      return;
    }
    ctx.next();
  }

  /**
   * A body that is not well-formed application/x-www-form-urlencoded; the message names no value.
   */
  public static final class MalformedFormException extends Exception {
    public MalformedFormException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The parameters of an {@code application/x-www-form-urlencoded} body (WHATWG URL, "urlencoded
   * parsing"), in order, repeats kept: split at '&amp;' (empty pieces skipped), name and value at
   * the first '=' (no '=': the value is empty), '+' is a space, then percent-decoding. Stricter
   * than the standard's lenient decoding: every '%' must start a two-digit hex escape and the
   * decoded bytes must be UTF-8, and there are at most {@link #MAX_FIELDS} parameters, else {@link
   * MalformedFormException}. Names compare ignoring case, as in the forms Vert.x decodes.
   */
  public static MultiMap parse(Buffer body) throws MalformedFormException {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    byte[] raw = body.getBytes();
    CharsetDecoder utf8 = null;
    int fields = 0;
    int start = 0;
    while (start <= raw.length) {
      int end = start;
      while (end < raw.length && raw[end] != '&') {
        end++;
      }
      if (end > start) {
        int eq = start;
        while (eq < end && raw[eq] != '=') {
          eq++;
        }
        if (utf8 == null) {
          utf8 =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        if (++fields > MAX_FIELDS) {
          throw new MalformedFormException("the body has more than " + MAX_FIELDS + " parameters");
        }
        String name = decode(raw, start, eq, utf8);
        String value = eq < end ? decode(raw, eq + 1, end, utf8) : "";
        out.add(name, value);
      }
      start = end + 1;
    }
    return out;
  }

  private static String decode(byte[] raw, int from, int to, CharsetDecoder utf8)
      throws MalformedFormException {
    boolean plain = true;
    for (int i = from; i < to; i++) {
      byte b = raw[i];
      if (b == '%' || b == '+' || b < 0) {
        plain = false;
        break;
      }
    }
    if (plain) {
      return new String(
          raw, from, to - from, StandardCharsets.ISO_8859_1); // ASCII only: the same as UTF-8
    }
    byte[] bytes = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      byte b = raw[i];
      if (b == '%') {
        int hi = i + 1 < to ? Character.digit(raw[i + 1], 16) : -1;
        int lo = i + 2 < to ? Character.digit(raw[i + 2], 16) : -1;
        if (hi < 0 || lo < 0) {
          throw new MalformedFormException("the body is not validly percent-encoded UTF-8");
        }
        bytes[n++] = (byte) (hi * 16 + lo);
        i += 2;
      } else {
        bytes[n++] = b == '+' ? (byte) ' ' : b;
      }
    }
    try {
      return utf8.reset().decode(ByteBuffer.wrap(bytes, 0, n)).toString();
    } catch (CharacterCodingException e) {
      throw new MalformedFormException("the body is not validly percent-encoded UTF-8");
    }
  }
}
