package io.grantry.domain.grant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class GrantTokensTest {

  @Test
  void aTokenIsItsGrantIdADotAndItsSecret() {
    String token = GrantTokens.token("g-1", "s3cr3t.with.dots");
    assertThat(token).isEqualTo("g-1.s3cr3t.with.dots");
    assertThat(GrantTokens.grantIdOf(token)).contains("g-1");
    assertThat(GrantTokens.secretOf(token)).contains("s3cr3t.with.dots");
    assertThat(GrantTokens.streamId("g-1")).isEqualTo("grant:g-1");
  }

  @Test
  void malformedTokensHaveNoGrant() {
    for (String bad : new String[] {"nodot", ".secret", "g-1.", "g 1.secret", "g/1.secret", ""}) {
      assertThat(GrantTokens.grantIdOf(bad)).as(bad).isEmpty();
      assertThat(GrantTokens.secretOf(bad)).as(bad).isEmpty();
    }
    assertThat(GrantTokens.grantIdOf(null)).isEmpty();
    assertThat(GrantTokens.grantIdOf("x".repeat(65) + ".s")).isEmpty();
    assertThatThrownBy(() -> GrantTokens.streamId("a.b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantTokens.token("g-1", ""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aJtiNamesItsGrant() {
    assertThat(GrantTokens.jti("g-1", "at1")).isEqualTo("g-1.at1");
    assertThat(GrantTokens.isJtiOf("g-1", "g-1.at1")).isTrue();
    assertThat(GrantTokens.isJtiOf("g-1", "g-12.at1")).isFalse();
    assertThat(GrantTokens.isJtiOf("g-1", "g-1.")).isFalse();
    assertThat(GrantTokens.isJtiOf("g-1", "g-1.a b")).isFalse();
    assertThat(GrantTokens.isJtiOf("g-1", "g-1." + "a".repeat(GrantTokens.MAX_JTI_LENGTH)))
        .isFalse();
    assertThat(GrantTokens.grantIdOf(GrantTokens.jti("g-1", "at1"))).contains("g-1");
  }

  @Test
  void hashIsBase64urlSha256() {
    // SHA-256("abc") from FIPS 180-2, base64url without padding.
    assertThat(GrantTokens.hash("abc")).isEqualTo("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    assertThat(GrantTokens.isHash(GrantTokens.hash("abc"))).isTrue();
    assertThat(GrantTokens.isHash("abc")).isFalse();
    assertThat(GrantTokens.isHash(GrantTokens.hash("abc") + "=")).isFalse();
  }

  @Test
  void hashesCompareExactly() {
    assertThat(GrantTokens.hashesEqual(GrantTokens.hash("a"), GrantTokens.hash("a"))).isTrue();
    assertThat(GrantTokens.hashesEqual(GrantTokens.hash("a"), GrantTokens.hash("b"))).isFalse();
    assertThat(GrantTokens.hashesEqual(GrantTokens.hash("a"), null)).isFalse();
  }

  @Test
  void anOpaqueAccessTokenFindsItsRowByTheHashOfItsSecret() {
    String token = GrantTokens.opaqueAccessToken("g-1", "c2VjcmV0X3NlY3JldA");
    assertThat(token).isEqualTo("g-1~c2VjcmV0X3NlY3JldA");
    String jti = GrantTokens.opaqueJtiOf(token).orElseThrow();
    assertThat(jti)
        .isEqualTo("g-1." + GrantTokens.hash("c2VjcmV0X3NlY3JldA"))
        .isEqualTo(GrantTokens.opaqueJti("g-1", "c2VjcmV0X3NlY3JldA"))
        .doesNotContain("c2VjcmV0X3NlY3JldA");
    assertThat(GrantTokens.isJtiOf("g-1", jti)).isTrue();
    assertThat(GrantTokens.grantIdOf(jti)).contains("g-1");
  }

  @Test
  void onlyTheOpaqueShapeIsTakenForAnOpaqueAccessToken() {
    // a refresh token or code, a JWT, and near misses
    assertThat(GrantTokens.opaqueJtiOf("g-1.c2VjcmV0")).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf("eyJh.eyJz.c2ln")).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf("g-1~")).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf("~c2VjcmV0")).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf("g-1~c2V~jcmV0")).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf("g-1~c2V.jcmV0")).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf("g 1~c2VjcmV0")).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf("g-1~" + "a".repeat(500))).isEmpty();
    assertThat(GrantTokens.opaqueJtiOf(null)).isEmpty();
    assertThatThrownBy(() -> GrantTokens.opaqueAccessToken("g-1", "has.dot"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantTokens.opaqueAccessToken("g.1", "abc"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** The character loops say what the regular expressions they replaced said, on random strings. */
  @Test
  void grantIdsAndJtisAreCheckedAsTheRegularExpressionsSay() {
    Pattern grantId = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    Pattern suffix = Pattern.compile("[A-Za-z0-9._~-]+");
    String alphabet = "aZ09_-.~+/=% \u00e9\u0000zA9";
    Random random = new Random(42);
    int accepted = 0;
    for (int n = 0; n < 20_000; n++) {
      StringBuilder b = new StringBuilder();
      int len = random.nextInt(n % 2 == 0 ? 8 : 80);
      for (int i = 0; i < len; i++) {
        // Mostly base64url characters, so that both answers come up often.
        b.append(
            random.nextInt(4) > 0
                ? "abcXYZ019_-".charAt(random.nextInt(11))
                : alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String s = b.toString();
      boolean expected = grantId.matcher(s).matches();
      assertThat(GrantTokens.isGrantId(s)).as("isGrantId(%s)", s).isEqualTo(expected);
      accepted += expected ? 1 : 0;
      int dot = s.indexOf('.');
      if (dot > 0) {
        String g = s.substring(0, dot);
        boolean jti =
            grantId.matcher(g).matches()
                && s.length() <= GrantTokens.MAX_JTI_LENGTH
                && s.length() > g.length() + 1
                && suffix.matcher(s.substring(dot + 1)).matches();
        assertThat(GrantTokens.isJtiOf(g, s)).as("isJtiOf(%s, %s)", g, s).isEqualTo(jti);
      }
    }
    assertThat(accepted).isBetween(1_000, 19_000);
    assertThat(GrantTokens.isGrantId("a".repeat(64))).isTrue();
    assertThat(GrantTokens.isGrantId("a".repeat(65))).isFalse();
    assertThat(GrantTokens.isJtiOf("abc", "abcd.x")).isFalse();
    assertThat(GrantTokens.isJtiOf("abc", "abc.x~y.z")).isTrue();
  }

  @Test
  void newGrantIdsAreValidAndLaterOnesSortAfterEarlierOnesAsStringsAndBytes() {
    Random random = new Random(8);
    long[] times = {
      0L, 1L, 15L, 16L, 1_700_000_000_000L, 1_795_000_000_000L, 1_795_000_000_001L, (1L << 44) - 1
    };
    String prev = null;
    for (long t : times) {
      byte[] b = new byte[GrantTokens.GRANT_ID_RANDOM_BYTES];
      random.nextBytes(b);
      String id = GrantTokens.newGrantId(t, b);
      assertThat(GrantTokens.isGrantId(id)).as(id).isTrue();
      assertThat(id).hasSize(27).startsWith(String.format("%011x", t));
      assertThat(GrantTokens.grantIdOf(GrantTokens.token(id, "s"))).contains(id);
      assertThat(GrantTokens.isJtiOf(id, GrantTokens.jti(id, "abcdefghijklmnop"))).isTrue();
      assertThat(GrantTokens.opaqueJtiOf(GrantTokens.opaqueAccessToken(id, "c2VjcmV0")))
          .isPresent();
      if (prev != null) {
        assertThat(prev.compareTo(id)).as("%s then %s", prev, id).isNegative();
        assertThat(
                Arrays.compareUnsigned(
                    prev.getBytes(StandardCharsets.UTF_8), id.getBytes(StandardCharsets.UTF_8)))
            .isNegative();
      }
      prev = id;
    }
  }

  @Test
  void aNewGrantIdWantsATimeItCanWriteAndTwelveRandomBytes() {
    assertThatThrownBy(() -> GrantTokens.newGrantId(-1, new byte[12]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantTokens.newGrantId(1L << 44, new byte[12]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantTokens.newGrantId(1, new byte[11]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantTokens.newGrantId(1, null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
