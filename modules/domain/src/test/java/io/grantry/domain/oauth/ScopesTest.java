package io.grantry.domain.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScopesTest {

  @Test
  void parsesSpaceSeparatedTokensAsASortedSet() {
    Scopes scopes = Scopes.parse("profile openid api:read profile");

    assertThat(scopes.asSet()).containsExactly("api:read", "openid", "profile");
    assertThat(scopes.value()).isEqualTo("api:read openid profile");
    assertThat(scopes).isEqualTo(Scopes.of("openid", "api:read", "profile"));
    assertThat(scopes.hashCode()).isEqualTo(Scopes.of("openid", "api:read", "profile").hashCode());
  }

  @Test
  void absentOrEmptyParameterIsTheEmptySet() {
    assertThat(Scopes.parse(null).isEmpty()).isTrue();
    assertThat(Scopes.parse("").isEmpty()).isTrue();
    assertThat(Scopes.parse("").value()).isEmpty();
  }

  @Test
  void acceptsEveryCharacterOfTheScopeTokenRule() {
    // %x21 / %x23-5B / %x5D-7E
    StringBuilder all = new StringBuilder();
    for (char c = 0x21; c <= 0x7E; c++) {
      if (c != '"' && c != '\\') {
        all.append(c);
      }
    }
    String token = all.substring(0, 90);
    assertThat(Scopes.isValidToken(token)).isTrue();
    assertThat(Scopes.isValidToken(all.substring(90))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"a  b", " a", "a ", "a\tb", "a\"b", "a\\b", "caf\u00e9", "a\nb", "a\u0000"})
  void refusesWhatTheGrammarRefuses(String value) {
    assertThatThrownBy(() -> Scopes.parse(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RFC 6749 §3.3");
  }

  @Test
  void namesAPrintableBadTokenButNeverEchoesControlCharacters() {
    assertThatThrownBy(() -> Scopes.parse("openid a\"b")).hasMessageContaining("'a\"b'");
    assertThatThrownBy(() -> Scopes.parse("openid a\nb")).message().doesNotContain("\n");
  }

  @Test
  void refusesOverlongTokens() {
    assertThat(Scopes.isValidToken("x".repeat(Scopes.MAX_TOKEN_LENGTH))).isTrue();
    assertThat(Scopes.isValidToken("x".repeat(Scopes.MAX_TOKEN_LENGTH + 1))).isFalse();
  }

  @Test
  void subsetIntersectionAndUnion() {
    Scopes granted = Scopes.parse("openid profile email");
    Scopes requested = Scopes.parse("openid email");

    assertThat(requested.isSubsetOf(granted)).isTrue();
    assertThat(granted.isSubsetOf(requested)).isFalse();
    assertThat(Scopes.empty().isSubsetOf(requested)).isTrue();
    assertThat(Scopes.parse("openid offline_access").isSubsetOf(granted)).isFalse();
    assertThat(granted.intersect(Scopes.parse("email api"))).isEqualTo(Scopes.of("email"));
    assertThat(requested.union(Scopes.parse("api"))).isEqualTo(Scopes.parse("api email openid"));
  }

  @Test
  void knowsTheStandardScopes() {
    assertThat(Scopes.KNOWN)
        .containsExactlyInAnyOrder("openid", "profile", "email", "offline_access");
  }

  @Property(tries = 200)
  void valueRoundTripsThroughParse(@ForAll("scopeSets") Set<String> tokens) {
    Scopes scopes = Scopes.of(tokens);
    assertThat(Scopes.parse(scopes.value())).isEqualTo(scopes);
    assertThat(scopes.size()).isEqualTo(tokens.size());
  }

  @Property(tries = 200)
  void setAlgebraAgreesWithSubset(
      @ForAll("scopeSets") Set<String> a, @ForAll("scopeSets") Set<String> b) {
    Scopes x = Scopes.of(a);
    Scopes y = Scopes.of(b);
    assertThat(x.isSubsetOf(x.union(y))).isTrue();
    assertThat(x.intersect(y).isSubsetOf(x)).isTrue();
    assertThat(x.intersect(y).isSubsetOf(y)).isTrue();
    assertThat(x.isSubsetOf(y)).isEqualTo(y.asSet().containsAll(a));
  }

  @Provide
  Arbitrary<Set<String>> scopeSets() {
    Arbitrary<String> token =
        Arbitraries.strings().withChars("abcxyz:._-/!#[]~ABC0123").ofMinLength(1).ofMaxLength(8);
    return token.set().ofMaxSize(6);
  }
}
