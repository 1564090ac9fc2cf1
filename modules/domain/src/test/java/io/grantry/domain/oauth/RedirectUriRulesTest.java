package io.grantry.domain.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RedirectUriRulesTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://app.example.com/cb",
        "https://app.example.com:8443/oauth/callback?tenant=a",
        "https://app.example.com",
        "http://127.0.0.1/cb",
        "http://127.0.0.1:51004/cb",
        "http://[::1]/cb",
        "http://[::1]:8080",
        "http://localhost:3000/callback",
        "com.example.app:/oauth2redirect",
        "com.example.app://callback/path",
      })
  void acceptsHttpsLoopbackAndReverseDomainSchemes(String uri) {
    assertThat(RedirectUriRules.problemWith(uri)).isEmpty();
    assertThat(RedirectUriRules.isAcceptable(uri)).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "https://app.example.com/cb#frag          | fragment",
        "https://app.example.com/cb#              | fragment",
        "https://*.example.com/cb                 | wildcard",
        "https://app.example.com/*                | wildcard",
        "/cb                                      | absolute",
        "app.example.com/cb                       | absolute",
        "javascript:alert(1)                      | forbidden scheme 'javascript:'",
        "JavaScript:alert(1)                      | forbidden scheme 'javascript:'",
        "data:text/html,<script>alert(1)</script> | forbidden scheme 'data:'",
        "file:///etc/passwd                       | forbidden scheme 'file:'",
        "https://user@app.example.com/cb          | user information",
        "https://user:pw@app.example.com/cb       | user information",
        "http://app.example.com/cb                | must use https",
        "http://localhost.evil.com/cb             | must use https",
        "http://127.0.0.1.nip.io/cb               | must use https",
        "HTTPS://app.example.com/cb               | lower-case scheme",
        "https://App.Example.com/cb               | lower-case host",
        "myapp:/cb                                | reverse domain name",
        "myapp://cb                               | reverse domain name",
        "com.example.app:cb                       | hierarchical",
        "https://app.example.com/a/../cb          | dot-segment '..'",
        "https://app.example.com/a/..;/cb         | dot-segment '..;'",
        "https://app.example.com/./cb             | dot-segment '.'",
        "https://app.example.com/%2e%2e/cb        | encoded dot",
        "https://app.example.com/%2E/cb           | encoded dot",
        "https://app.example.com:/cb              | empty port",
        "https://app.example.com:70000/cb         | port outside",
        "https://exa_mple.com/cb                  | valid host",
        "https://app.example.com/c b              | space",
        "https://app.example.com/c%zz             | not a valid URI",
      })
  void refusesWithAMessageNamingTheUri(String uri, String expected) {
    assertThat(RedirectUriRules.problemWith(uri))
        .get()
        .asString()
        .contains(expected)
        .contains("'" + RedirectUriRules.shown(uri) + "'");
  }

  @Test
  void refusesEmptyAndOverlongWithoutEchoingAllOfIt() {
    assertThat(RedirectUriRules.problemWith("")).get().asString().contains("empty");
    assertThat(RedirectUriRules.problemWith(null)).get().asString().contains("empty");
    String longUri = "https://app.example.com/" + "a".repeat(RedirectUriRules.MAX_LENGTH);
    assertThat(RedirectUriRules.problemWith(longUri))
        .get()
        .asString()
        .contains("longer than 2000")
        .hasSizeLessThan(300);
  }

  @Test
  void neverEchoesControlCharacters() {
    assertThat(RedirectUriRules.problemWith("https://app.example.com/cb\r\nSet-Cookie: x"))
        .get()
        .asString()
        .doesNotContain("\r")
        .doesNotContain("\n")
        .contains("control character");
  }
}
