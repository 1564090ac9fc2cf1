package io.grantry.server.http;

import io.grantry.server.config.ProxyRanges;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Who sent a request and whether it came over https, honouring {@code X-Forwarded-For} and {@code
 * X-Forwarded-Proto} only when the TCP peer is one of GRANTRY_TRUSTED_PROXIES (addresses or CIDR
 * ranges, comma-separated). From anyone else the headers are ignored: a client could otherwise pick
 * the address its failed attempts are counted against, or claim https. Own code rather than Vert.x
 * Web's {@code allowForward}, which trusts the headers from every peer.
 *
 * <p>The client address is the right-most {@code X-Forwarded-For} entry that is not itself a
 * trusted proxy (entries further left were written by the client and cannot be trusted). The scheme
 * is the last {@code X-Forwarded-Proto} value, the one the nearest proxy set.
 */
public final class TrustedProxies {
  static final String ADDRESS = "grantry.clientAddress";
  static final String HTTPS = "grantry.https";
  private final ProxyRanges ranges;

  public TrustedProxies(ProxyRanges ranges) {
    this.ranges = ranges;
  }

  /**
   * Works out and remembers this request's client address and scheme (the router's first handler).
   */
  void resolve(RoutingContext ctx) {
    // The connection's own address and TLS state: vertx-web's request wrapper answers
    // remoteAddress() and isSSL() through its forwarded-header parser, which also works out the
    // host, the port and the absolute URI (string building, ~1.3% of the event loops' CPU per
    // token) even though the router trusts no forwarded headers; what this needs is the TCP peer.
    HttpConnection conn = ctx.request().connection();
    SocketAddress remote = conn.remoteAddress();
    String peer = remote == null ? "?" : remote.hostAddress();
    boolean https = conn.isSsl();
    String address = peer;
    if (!ranges.isEmpty() && ranges.trusts(peer)) {
      List<String> hops = new ArrayList<>();
      for (String h : ctx.request().headers().getAll("X-Forwarded-For")) {
        for (String e : h.split(",")) {
          hops.add(e.trim());
        }
      }
      for (int i = hops.size() - 1; i >= 0; i--) {
        if (ProxyRanges.literal(hops.get(i)) == null) {
          break; // garbage: stop at the last proxy we trust
        }
        address = hops.get(i);
        if (!ranges.trusts(address)) {
          break;
        }
      }
      List<String> protos = ctx.request().headers().getAll("X-Forwarded-Proto");
      if (!protos.isEmpty()) {
        String[] values = protos.get(protos.size() - 1).split(",");
        https = "https".equals(values[values.length - 1].trim().toLowerCase(Locale.ROOT));
      }
    }
    ctx.put(ADDRESS, address);
    ctx.put(HTTPS, https);
  }

  /** The client's address: the TCP peer, or what a trusted proxy says it forwarded for. */
  public static String clientAddress(RoutingContext ctx) {
    String a = ctx.get(ADDRESS);
    if (a != null) {
      return a;
    }
    return ctx.request().remoteAddress() == null
        ? "?"
        : ctx.request().remoteAddress().hostAddress();
  }

  /** Whether the request reached us over https (directly, or as a trusted proxy says). */
  public static boolean https(RoutingContext ctx) {
    Boolean h = ctx.get(HTTPS);
    return h != null ? h : ctx.request().isSSL();
  }
}
