package io.grantry.server.pages;

/**
 * A browser's User-Agent in the words a person recognises ("Chrome on Linux"), for the list of
 * their sessions. A rough reading, not detection: an unrecognised agent is shown as it came,
 * shortened.
 */
public final class UserAgents {
  private UserAgents() {}

  public static String describe(String userAgent) {
    if (userAgent == null || userAgent.isBlank()) {
      return "An unknown browser";
    }
    String browser = browser(userAgent);
    String system = system(userAgent);
    if (browser == null && system == null) {
      return userAgent.length() > 60 ? userAgent.substring(0, 60) + "…" : userAgent;
    }
    return (browser == null ? "A browser" : browser) + (system == null ? "" : " on " + system);
  }

  private static String browser(String ua) {
    // Order matters: Edge and Opera say Chrome too, Chrome says Safari too.
    if (ua.contains("Edg/")) {
      return "Edge";
    }
    if (ua.contains("OPR/")) {
      return "Opera";
    }
    if (ua.contains("Firefox/")) {
      return "Firefox";
    }
    if (ua.contains("Chrome/") || ua.contains("Chromium/")) {
      return "Chrome";
    }
    if (ua.contains("Safari/")) {
      return "Safari";
    }
    return null;
  }

  private static String system(String ua) {
    if (ua.contains("Android")) {
      return "Android";
    }
    if (ua.contains("iPhone") || ua.contains("iPad")) {
      return "iOS";
    }
    if (ua.contains("Windows")) {
      return "Windows";
    }
    if (ua.contains("Mac OS X") || ua.contains("Macintosh")) {
      return "macOS";
    }
    if (ua.contains("Linux") || ua.contains("X11")) {
      return "Linux";
    }
    return null;
  }
}
