package io.grantry.server.pages;

/**
 * A browser's User-Agent in the words a person recognises ("Chrome on Linux", "Chrome unter
 * Linux"), for the list of their sessions. A rough reading, not detection: an unrecognised agent is
 * shown as it came, shortened.
 */
public final class UserAgents {
  private UserAgents() {}

  public static Text describe(String userAgent) {
    if (userAgent == null || userAgent.isBlank()) {
      return Text.of("agent.unknown");
    }
    String browser = browser(userAgent);
    String system = system(userAgent);
    if (browser == null && system == null) {
      return Text.verbatim(userAgent.length() > 60 ? userAgent.substring(0, 60) + "…" : userAgent);
    }
    if (system == null) {
      return Text.verbatim(browser);
    }
    return Text.of("agent.on", browser == null ? Text.of("agent.some") : browser, system);
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
