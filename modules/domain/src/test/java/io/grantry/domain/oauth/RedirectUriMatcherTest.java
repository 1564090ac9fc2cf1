package io.grantry.domain.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedirectUriMatcherTest {
  private static final List<String> REGISTERED =
      List.of(
          "https://app.example.com/cb",
          "com.example.app:/oauth2redirect",
          "http://localhost:3000/callback",
          "http://127.0.0.1/native",
          "http://[::1]:8080/v6?x=1");

  @Test
  void acceptsEachRegisteredUriExactly() {
    for (String uri : REGISTERED) {
      assertThat(RedirectUriMatcher.match(uri, REGISTERED)).contains(uri);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://app.example.com/cb/",
        "https://app.example.com/CB",
        "https://APP.example.com/cb",
        "HTTPS://app.example.com/cb",
        "https://app.example.com/cb?x=1",
        "https://app.example.com/cb?",
        "https://app.example.com/cb#",
        "https://app.example.com/cb#x",
        "https://user@app.example.com/cb",
        "https://app.example.com@evil.com/cb",
        "https://app.example.com/cb/..;/cb",
        "https://app.example.com/x/../cb",
        "https://app.example.com/%2e/cb",
        "https://app.example.com/c%62",
        "https://app.example.com:443/cb",
        "https://app.example.com.evil.com/cb",
        "https://app.example.com/cb ",
        " https://app.example.com/cb",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://app.example.com/cb",
        "http://localhost:3001/callback",
        "http://localhost/callback",
        "http://127.0.0.1:8080/native/",
        "http://127.0.0.1:8080/native#x",
        "http://127.0.0.1:8080/NATIVE",
        "http://127.0.0.1:8080@evil.com/native",
        "http://127.0.0.1.evil.com/native",
        "http://127.0.0.10/native",
        "http://127.0.0.1:/native",
        "http://127.0.0.1:08080/native",
        "http://127.0.0.1:65536/native",
        "http://127.0.0.1:123456/native",
        "https://127.0.0.1:8080/native",
        "http://[::1]:9000/v6",
        "http://[::1]:9000/v6?x=2",
        "http://127.0.0.1:9000/v6?x=1",
        "com.example.app:/oauth2redirect/",
        "com.example.app://oauth2redirect",
        "",
      })
  void refusesAnythingButTheRegisteredString(String requested) {
    assertThat(RedirectUriMatcher.matches(requested, REGISTERED)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1:1/native",
        "http://127.0.0.1:51004/native",
        "http://127.0.0.1:65535/native",
        "http://[::1]/v6?x=1",
        "http://[::1]:49152/v6?x=1",
      })
  void acceptsAnyPortForARegisteredLoopbackIpUri(String requested) {
    assertThat(RedirectUriMatcher.matches(requested, REGISTERED)).isTrue();
  }

  @Test
  void returnsTheRegisteredUriThatMatched() {
    assertThat(RedirectUriMatcher.match("http://127.0.0.1:4000/native", REGISTERED))
        .contains("http://127.0.0.1/native");
  }

  @Test
  void nullOrNothingRegisteredNeverMatches() {
    assertThat(RedirectUriMatcher.matches(null, REGISTERED)).isFalse();
    assertThat(RedirectUriMatcher.matches("https://app.example.com/cb", List.of())).isFalse();
  }

  // ---- properties ----

  private static final List<String> BASES =
      List.of(
          "https://app.example.com/cb",
          "https://app.example.com:8443/a/b?x=1",
          "https://api.example.org",
          "com.example.app:/redirect",
          "http://localhost:3000/cb",
          "http://127.0.0.1/native",
          "http://127.0.0.1:7000/native?q=1",
          "http://[::1]/v6",
          "http://[::1]:9000/");

  /**
   * Soundness: whatever the matcher accepts is a registered URI, or differs from a registered
   * loopback-IP URI in nothing but the port. The oracle compares parsed components with
   * java.net.URI, a path independent of the matcher's string handling.
   */
  @Property(tries = 3000)
  void acceptsOnlyRegisteredUrisOrTheirLoopbackPortVariants(
      @ForAll("registeredSets") List<String> registered, @ForAll("requests") String requested) {
    if (RedirectUriMatcher.matches(requested, registered)) {
      assertThat(registered)
          .anySatisfy(
              r ->
                  assertThat(r.equals(requested) || differsOnlyInLoopbackPort(r, requested))
                      .as("%s accepted against %s", requested, r)
                      .isTrue());
    }
  }

  /** Completeness for the one exception: every port of a registered loopback IP URI is accepted. */
  @Property(tries = 500)
  void acceptsEveryPortOfARegisteredLoopbackIpUri(
      @ForAll("loopbackBases") String registered,
      @ForAll @IntRange(min = 1, max = 65535) int port) {
    String requested = withPort(registered, port);
    assertThat(RedirectUriMatcher.match(requested, List.of(registered))).contains(registered);
  }

  @Provide
  Arbitrary<List<String>> registeredSets() {
    return Arbitraries.of(BASES).list().ofMinSize(1).ofMaxSize(4).uniqueElements();
  }

  @Provide
  Arbitrary<String> loopbackBases() {
    return Arbitraries.of(BASES)
        .filter(b -> b.startsWith("http://127.0.0.1") || b.startsWith("http://[::1]"));
  }

  @Provide
  Arbitrary<String> requests() {
    Arbitrary<String> base = Arbitraries.of(BASES);
    Arbitrary<String> mutated =
        Combinators.combine(
                base,
                Arbitraries.integers().between(0, 15),
                Arbitraries.integers().between(0, 70000),
                Arbitraries.strings().withChars("aA/.;%2e@:?#&=").ofMaxLength(4))
            .as(RedirectUriMatcherTest::mutate);
    Arbitrary<String> noise =
        Arbitraries.strings()
            .withChars("htps:/[]:1270.x@?#;%e")
            .ofMaxLength(30)
            .map(s -> "http://127.0.0.1" + s);
    return Arbitraries.oneOf(base, mutated, mutated, mutated, noise);
  }

  private static String mutate(String base, int kind, int number, String junk) {
    int at = Math.min(base.length(), number % (base.length() + 1));
    switch (kind) {
      case 0:
        return withPort(base, number);
      case 1:
        return base + "/";
      case 2:
        return base + "?" + junk;
      case 3:
        return base + "#" + junk;
      case 4:
        return base.replaceFirst("://", "://user@");
      case 5:
        return base.toUpperCase(Locale.ROOT);
      case 6:
        return base.substring(0, at) + junk + base.substring(at);
      case 7:
        return base.substring(0, at) + base.substring(Math.min(base.length(), at + 1));
      case 8:
        return base.replace("127.0.0.1", "localhost");
      case 9:
        return base.replace("localhost", "127.0.0.1");
      case 10:
        return base + "/..;/" + junk;
      case 11:
        return base.replace("/cb", "/%2e/cb");
      case 12:
        return base.replace("http://", "https://");
      case 13:
        return withPort(base, number).replace("127.0.0.1", "[::1]");
      case 14:
        return "javascript:" + junk + base;
      default:
        return base + junk;
    }
  }

  /** Replaces or adds the port of an http(s) URI textually; leaves other URIs alone. */
  private static String withPort(String uri, int port) {
    int schemeEnd = uri.indexOf("://");
    if (schemeEnd < 0) {
      return uri;
    }
    int hostStart = schemeEnd + 3;
    int end = hostStart;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    String authority = uri.substring(hostStart, end);
    String host =
        authority.startsWith("[")
            ? authority.substring(0, authority.indexOf(']') + 1)
            : authority.contains(":") ? authority.substring(0, authority.indexOf(':')) : authority;
    return uri.substring(0, hostStart) + host + ":" + port + uri.substring(end);
  }

  private static boolean differsOnlyInLoopbackPort(String registered, String requested) {
    try {
      URI r = new URI(registered);
      URI q = new URI(requested);
      boolean loopbackIp =
          "http".equals(r.getScheme())
              && ("127.0.0.1".equals(r.getHost()) || "[::1]".equals(r.getHost()));
      return loopbackIp
          && "http".equals(q.getScheme())
          && r.getHost().equals(q.getHost())
          && q.getRawUserInfo() == null
          && Objects.equals(r.getRawPath(), q.getRawPath())
          && Objects.equals(r.getRawQuery(), q.getRawQuery())
          && q.getRawFragment() == null;
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
