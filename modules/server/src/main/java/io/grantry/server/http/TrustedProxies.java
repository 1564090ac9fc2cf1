package io.grantry.server.http;

import io.grantry.server.config.ConfigException;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
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
  private final List<byte[][]> ranges; // {network, mask}

  private TrustedProxies(List<byte[][]> ranges) {
    this.ranges = ranges;
  }

  public static final TrustedProxies NONE = new TrustedProxies(List.of());

  /** Parses GRANTRY_TRUSTED_PROXIES, e.g. {@code 10.0.0.0/8, 192.168.1.7, fd00::/8}. */
  public static TrustedProxies parse(String setting) {
    if (setting == null || setting.isBlank()) {
      return NONE;
    }
    List<byte[][]> out = new ArrayList<>();
    for (String part : setting.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int slash = p.indexOf('/');
      byte[] net = literal(slash < 0 ? p : p.substring(0, slash));
      if (net == null) {
        throw new ConfigException(
            "GRANTRY_TRUSTED_PROXIES: '" + p + "' is not an IP address or CIDR range");
      }
      int bits = net.length * 8;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(p.substring(slash + 1));
        } catch (NumberFormatException e) {
          bits = -1;
        }
        if (bits < 0 || bits > net.length * 8) {
          throw new ConfigException("GRANTRY_TRUSTED_PROXIES: bad prefix length in '" + p + "'");
        }
      }
      byte[] mask = new byte[net.length];
      for (int i = 0; i < mask.length; i++) {
        int b = Math.max(0, Math.min(8, bits - i * 8));
        mask[i] = (byte) (0xff << (8 - b));
        net[i] &= mask[i];
      }
      out.add(new byte[][] {net, mask});
    }
    return new TrustedProxies(List.copyOf(out));
  }

  /** The bytes of an IP literal, or null; never a DNS lookup. IPv4-mapped IPv6 becomes IPv4. */
  static byte[] literal(String s) {
    String t = s.trim();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    if (t.isEmpty()
        || t.length() > 45
        || !t.matches("[0-9A-Fa-f.:]+")
        || !(t.indexOf(':') >= 0 || t.matches("[0-9.]+"))) {
      return null;
    }
    if (t.indexOf(':') < 0 && !t.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return null;
    }
    try {
      return InetAddress.getByName(t).getAddress();
    } catch (UnknownHostException | RuntimeException e) {
      return null;
    }
  }

  public boolean trusts(String address) {
    byte[] a = address == null ? null : literal(address);
    if (a == null) {
      return false;
    }
    for (byte[][] r : ranges) {
      if (r[0].length != a.length) {
        continue;
      }
      boolean match = true;
      for (int i = 0; i < a.length && match; i++) {
        match = (a[i] & r[1][i]) == r[0][i];
      }
      if (match) {
        return true;
      }
    }
    return false;
  }

  /**
   * Works out and remembers this request's client address and scheme (the router's first handler).
   */
  void resolve(RoutingContext ctx) {
    String peer =
        ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress();
    boolean https = ctx.request().isSSL();
    String address = peer;
    if (!ranges.isEmpty() && trusts(peer)) {
      List<String> hops = new ArrayList<>();
      for (String h : ctx.request().headers().getAll("X-Forwarded-For")) {
        for (String e : h.split(",")) {
          hops.add(e.trim());
        }
      }
      for (int i = hops.size() - 1; i >= 0; i--) {
        if (literal(hops.get(i)) == null) {
          break; // garbage: stop at the last proxy we trust
        }
        address = hops.get(i);
        if (!trusts(address)) {
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
