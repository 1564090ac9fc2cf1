package io.grantry.cli;

import java.net.HttpURLConnection;
import java.net.URI;

/**
 * The container image's health check: exits 0 when {@code /health/ready} answers 200, else 1. A
 * class of its own with only {@code java.base} behind it (no picocli, no Vert.x), so that the JVM
 * the check starts every few seconds loads a handful of classes; the image has no curl or shell.
 *
 * <p>The URL is the first argument, else {@code http://127.0.0.1:$GRANTRY_HTTP_PORT/health/ready}
 * (port 8080 when unset).
 */
public final class HealthProbe {
  private HealthProbe() {}

  public static void main(String[] args) {
    String port = System.getenv().getOrDefault("GRANTRY_HTTP_PORT", "8080");
    String url = args.length > 0 ? args[0] : "http://127.0.0.1:" + port + "/health/ready";
    int status;
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(2000);
      c.setReadTimeout(2000);
      status = c.getResponseCode();
      c.disconnect();
    } catch (Exception e) {
      System.err.println("not ready: " + url + ": " + e);
      System.exit(1);
      return;
    }
    if (status != 200) {
      System.err.println("not ready: " + url + " answered " + status);
    }
    System.exit(status == 200 ? 0 : 1);
  }
}
