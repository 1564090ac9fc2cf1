package io.grantry.server.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * Cuts off slow clients (slowloris). Vert.x only has an idle timeout, which a client defeats by
 * sending one byte every few seconds; this puts deadlines on the phases instead:
 *
 * <ul>
 *   <li>headers: from the connection's opening (or the end of its previous response) until a
 *       request's headers are in, at most GRANTRY_HTTP_HEADER_TIMEOUT_MS, else the connection is
 *       closed (Vert.x has not made a request of the partial head, so there is nothing to answer);
 *       this is also how long an idle keep-alive connection is kept;
 *   <li>body: from the request's headers until its body is fully received, at most
 *       GRANTRY_HTTP_BODY_TIMEOUT_MS, else 408 (when nothing was answered yet) and the connection
 *       is closed.
 * </ul>
 *
 * One per HTTP verticle; connections and requests of a verticle run on its event loop, so the map
 * needs no locking. HTTP/2 connections (not offered by the server) are left to the idle timeout.
 */
final class SlowClientGuard {
  private final Vertx vertx;
  private final long headerMillis;
  private final long bodyMillis;
  private final Map<HttpConnection, Watch> watches = new HashMap<>();

  SlowClientGuard(Vertx vertx, long headerMillis, long bodyMillis) {
    this.vertx = vertx;
    this.headerMillis = headerMillis;
    this.bodyMillis = bodyMillis;
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
    w.awaitHead();
  }

  /** The router's first handler: the head is in; now the body has its deadline. */
  void handle(RoutingContext ctx) {
    Watch w =
        ctx.request().version() == HttpVersion.HTTP_2
            ? null
            : watches.get(ctx.request().connection());
    if (w != null) {
      w.awaitBody(ctx);
      ctx.addEndHandler(ar -> w.awaitHead());
    }
    ctx.next();
  }

  private final class Watch {
    private final HttpConnection conn;
    private long timer = -1;
    private boolean closed;

    Watch(HttpConnection conn) {
      this.conn = conn;
    }

    void cancel() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }

    void awaitHead() {
      cancel();
      if (closed) {
        return;
      }
      timer =
          vertx.setTimer(
              headerMillis,
              t -> {
                timer = -1;
                conn.close();
              });
    }

    void awaitBody(RoutingContext ctx) {
      cancel();
      if (ctx.request().isEnded()) {
        return;
      }
      timer =
          vertx.setTimer(
              bodyMillis,
              t -> {
                timer = -1;
                if (ctx.request().isEnded()) {
                  return;
                }
                tooSlow(ctx);
              });
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
