package io.grantry.server.pages;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UserAgentsTest {
  @Test
  void commonBrowsersReadAsAPersonWouldSayThem() {
    assertThat(
            UserAgents.describe(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"))
        .isEqualTo("Chrome on Linux");
    assertThat(
            UserAgents.describe(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0"))
        .isEqualTo("Edge on Windows");
    assertThat(
            UserAgents.describe(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"))
        .isEqualTo("Safari on iOS");
    assertThat(
            UserAgents.describe(
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0"))
        .isEqualTo("Firefox on macOS");
    assertThat(UserAgents.describe("curl/8.4.0")).isEqualTo("curl/8.4.0");
    assertThat(UserAgents.describe(null)).isEqualTo("An unknown browser");
  }
}
