package io.grantry.server.http;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * Cuts off slow clients (slowloris) and answers requests that outlive their deadline. Vert.x only
 * has an idle timeout, which a client defeats by sending one byte every few seconds; this puts
 * deadlines on the phases instead:
 *
 * <ul>
 *   <li>headers: from the connection's opening (or the end of its previous response) until a
 *       request's headers are in, at most GRANTRY_HTTP_HEADER_TIMEOUT_MS, else the connection is
 *       closed (Vert.x has not made a request of the partial head, so there is nothing to answer);
 *       this is also how long an idle keep-alive connection is kept;
 *   <li>body: from the request's headers until its body is fully received, at most
 *       GRANTRY_HTTP_BODY_TIMEOUT_MS, else 408 (when nothing was answered yet) and the connection
 *       is closed;
 *   <li>the request as a whole: no request outlives GRANTRY_DB_TIMEOUT_MS, so that a database that
 *       stops answering on an open connection (a partition) does not hold it until TCP gives up:
 *       then 503, or 408 when its body is still arriving (a slow client, not a slow database).
 * </ul>
 *
 * <p>A deadline is a time in a field of the connection's watch, not a timer of its own: setting and
 * cancelling three Vert.x timers per request (each a scheduled task, a map entry and a close hook)
 * cost about 4% of the event loops' CPU on a client_credentials token. Each connection has one
 * timer instead, which never sleeps longer than the shortest of the three timeouts; when it fires
 * it acts on the deadlines that have passed and sleeps until the next one (or that longest sleep).
 * A deadline set now is at least the shortest timeout away, so the armed timer always fires at or
 * before it: a deadline is kept as exactly as a timer of its own would keep it, and a busy
 * keep-alive connection costs one timer event per shortest timeout rather than three per request.
 *
 * <p>One per HTTP verticle; connections and requests of a verticle run on its event loop, so the
 * map and the watches need no locking. HTTP/2 connections (not offered by the server) are left to
 * the idle timeout, and their requests get a timer each for their deadline.
 */
final class SlowClientGuard {
  private static final long NONE = Long.MAX_VALUE;

  private final Vertx vertx;
  private final long headerNanos;
  private final long bodyNanos;
  private final long requestNanos;

  /** The longest a connection's timer sleeps: the shortest timeout. */
  private final long sleepNanos;

  private final Map<HttpConnection, Watch> watches = new HashMap<>();

  /** Times are nanoseconds since this, so that they compare directly and NONE is never reached. */
  private final long origin = System.nanoTime();

  /**
   * @param requestMillis no request outlives it (GRANTRY_DB_TIMEOUT_MS)
   */
  SlowClientGuard(Vertx vertx, long headerMillis, long bodyMillis, long requestMillis) {
    this.vertx = vertx;
    this.headerNanos = headerMillis * 1_000_000;
    this.bodyNanos = bodyMillis * 1_000_000;
    this.requestNanos = requestMillis * 1_000_000;
    this.sleepNanos = Math.min(headerNanos, Math.min(bodyNanos, requestNanos));
  }

  private long nanos() {
    return System.nanoTime() - origin;
  }

  /** The HTTP server's connection handler. */
  void connected(HttpConnection conn) {
    Watch w = new Watch(conn);
    watches.put(conn, w);
    conn.closeHandler(
        v -> {
          w.closed = true;
          w.cancel();
          watches.remove(conn);
        });
    w.awaitHead(nanos());
  }

  /** The router's first handler: the head is in; now the body and the request have deadlines. */
  void handle(RoutingContext ctx) {
    Watch w =
        ctx.request().version() == HttpVersion.HTTP_2
            ? null
            : watches.get(ctx.request().connection());
    if (w != null) {
      w.request(ctx, nanos());
      ctx.addEndHandler(ar -> w.ended(ctx));
    } else {
      long timer = ctx.vertx().setTimer(requestNanos / 1_000_000, t -> overdue(ctx));
      ctx.addEndHandler(ar -> ctx.vertx().cancelTimer(timer));
    }
    ctx.next();
  }

  /** The request's deadline has passed. */
  private static void overdue(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    if (!ctx.request().isEnded()) {
      tooSlow(ctx);
    } else {
      ctx.fail(503);
    }
  }

  /**
   * The deadlines of one HTTP/1.x connection: its head's while it waits for a request, else its
   * request's body and whole; at most one request of a connection is in the router at a time
   * (Vert.x hands a pipelined request over when the response before it has ended).
   */
  private final class Watch {
    private final HttpConnection conn;
    private boolean closed;

    /** The armed timer's id and when it fires ({@link #nanos()}), or -1. */
    private long timer = -1;

    private long timerDue;

    /** When the head must be in: while no request is in the router, else NONE. */
    private long headDue = NONE;

    /**
     * The request in the router, if any, its Vert.x context (where its log lines find it: {@link
     * RequestLog}), and when its body and its answer are due.
     */
    private RoutingContext current;

    private Context currentContext;

    private long bodyDue = NONE;
    private long requestDue = NONE;

    Watch(HttpConnection conn) {
      this.conn = conn;
    }

    void cancel() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }

    void awaitHead(long now) {
      current = null;
      currentContext = null;
      bodyDue = NONE;
      requestDue = NONE;
      headDue = now + headerNanos;
      armBy(headDue, now);
    }

    void request(RoutingContext ctx, long now) {
      headDue = NONE;
      current = ctx;
      currentContext = Vertx.currentContext();
      bodyDue = ctx.request().isEnded() ? NONE : now + bodyNanos;
      requestDue = now + requestNanos;
      armBy(Math.min(bodyDue, requestDue), now);
    }

    /** The response to {@code ctx} has ended (or the connection closed under it). */
    void ended(RoutingContext ctx) {
      if (current == ctx) {
        awaitHead(nanos());
      }
    }

    /**
     * Makes sure the timer fires by {@code due}. An armed timer fires at most the shortest timeout
     * after it was armed, and every deadline is set at least that far ahead, so this arms a timer
     * only when none is armed (the first time, and after the timer fired).
     */
    private void armBy(long due, long now) {
      if (closed || (timer >= 0 && timerDue <= due)) {
        return;
      }
      cancel();
      arm(Math.min(due, now + sleepNanos), now);
    }

    private void arm(long at, long now) {
      long millis = Math.max(1, (at - now + 999_999) / 1_000_000);
      timerDue = now + millis * 1_000_000;
      timer = vertx.setTimer(millis, t -> fired());
    }

    /**
     * Runs {@code action} on the context of the request in the router (the timer's may be another
     * request's, or the connection's): the answer's log lines then name the request.
     */
    private void onRequestContext(Runnable action) {
      Context c = currentContext;
      if (c == null || c == Vertx.currentContext()) {
        action.run();
      } else {
        c.runOnContext(v -> action.run());
      }
    }

    private void fired() {
      timer = -1;
      if (closed) {
        return;
      }
      long now = nanos();
      RoutingContext ctx = current;
      if (ctx == null) {
        if (now >= headDue) {
          headDue = NONE;
          conn.close();
          return;
        }
      } else if (now >= requestDue) {
        bodyDue = NONE;
        requestDue = NONE;
        onRequestContext(() -> overdue(ctx));
      } else if (now >= bodyDue) {
        bodyDue = NONE;
        onRequestContext(
            () -> {
              if (!ctx.request().isEnded()) {
                tooSlow(ctx);
              }
            });
      }
      if (!closed && timer < 0) {
        long next = current == null ? headDue : Math.min(bodyDue, requestDue);
        arm(next == NONE ? now + sleepNanos : Math.min(next, now + sleepNanos), now);
      }
    }
  }

  /**
   * The request's body is still not fully received: 408 when nothing was answered yet, and the
   * connection is closed either way (the rest of the body would be read as the next request).
   */
  static void tooSlow(RoutingContext ctx) {
    HttpConnection conn = ctx.request().connection();
    if (!ctx.response().ended() && !ctx.response().headWritten()) {
      ctx.response()
          .setStatusCode(408)
          .putHeader("Content-Type", "application/json;charset=UTF-8")
          .putHeader("Cache-Control", "no-store")
          .putHeader("Connection", "close")
          .end(
              "{\"error\":\"invalid_request\",\"error_description\":\"The request was not received in time.\"}")
          .onComplete(ar -> conn.close());
    } else {
      conn.close();
    }
  }
}
