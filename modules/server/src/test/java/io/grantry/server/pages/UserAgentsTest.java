package io.grantry.server.pages;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UserAgentsTest {
  @Test
  void commonBrowsersReadAsAPersonWouldSayThem() {
    assertThat(
            english(
                UserAgents.describe(
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36")))
        .isEqualTo("Chrome on Linux");
    assertThat(
            english(
                UserAgents.describe(
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0")))
        .isEqualTo("Edge on Windows");
    assertThat(
            english(
                UserAgents.describe(
                    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")))
        .isEqualTo("Safari on iOS");
    assertThat(
            english(
                UserAgents.describe(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0")))
        .isEqualTo("Firefox on macOS");
    assertThat(english(UserAgents.describe("curl/8.4.0"))).isEqualTo("curl/8.4.0");
    assertThat(english(UserAgents.describe(null))).isEqualTo("An unknown browser");
  }

  @Test
  void inGermanTheSameAgentsReadAsAGermanWouldSayThem() {
    assertThat(
            Messages.GERMAN.text(
                UserAgents.describe(
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36")))
        .isEqualTo("Chrome unter Linux");
    assertThat(Messages.GERMAN.text(UserAgents.describe("Mozilla/5.0 (Linux; Android 14)")))
        .isEqualTo("Ein Browser unter Android");
    assertThat(Messages.GERMAN.text(UserAgents.describe(null)))
        .isEqualTo("Ein unbekannter Browser");
    assertThat(Messages.GERMAN.text(UserAgents.describe("curl/8.4.0"))).isEqualTo("curl/8.4.0");
  }

  private static String english(Text t) {
    return Messages.ENGLISH.text(t);
  }
}
