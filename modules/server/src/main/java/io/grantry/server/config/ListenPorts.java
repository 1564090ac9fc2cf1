package io.grantry.server.config;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * The ports the server will listen on, tried before anything starts: a port already taken is said
 * with its number and its setting at once, not after the embedded database has started, nor as a
 * bare "Address already in use". A port taken between this check and the listen is still refused
 * there ({@code HttpEdge}), with the same words. Blocking (binds a socket): call from a worker.
 */
public final class ListenPorts {
  private ListenPorts() {}

  public static void requireFree(GrantryConfig config) {
    requireFree("GRANTRY_HTTP_PORT", config.http().host(), config.http().port());
    if (config.metrics().port().isPresent()) {
      requireFree("GRANTRY_METRICS_PORT", config.metrics().host(), config.metrics().port().get());
    }
  }

  private static void requireFree(String setting, String host, int port) {
    if (port == 0) {
      return; // any free port
    }
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true); // as Vert.x listens: a port in TIME_WAIT is free
      s.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new ConfigException(inUse(setting, host, port));
    }
  }

  /** The words for a port another process holds. */
  public static String inUse(String setting, String host, int port) {
    return "port "
        + port
        + " on "
        + host
        + " is already in use (another Grantry, or another server, listens there): stop it or set"
        + " another "
        + setting;
  }
}
