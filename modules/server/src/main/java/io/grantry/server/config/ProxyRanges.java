package io.grantry.server.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * GRANTRY_TRUSTED_PROXIES: addresses and CIDR ranges (comma-separated, IPv4 and IPv6) of the peers
 * whose forwarding headers the HTTP edge believes. Parsing and matching only; never a DNS lookup.
 */
public final class ProxyRanges {
  public static final ProxyRanges NONE = new ProxyRanges(List.of());
  private final List<byte[][]> ranges; // {network, mask}

  private ProxyRanges(List<byte[][]> ranges) {
    this.ranges = ranges;
  }

  /** Parses e.g. {@code 10.0.0.0/8, 192.168.1.7, fd00::/8}. */
  public static ProxyRanges parse(String setting) {
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
    return new ProxyRanges(List.copyOf(out));
  }

  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /** The bytes of an IP literal, or null; never a DNS lookup. IPv4-mapped IPv6 becomes IPv4. */
  public static byte[] literal(String s) {
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
}
