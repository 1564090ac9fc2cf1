package io.grantry.domain.grant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    assertThatThrownBy(() -> GrantTokens.streamId("a.b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantTokens.token("g-1", "")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aJtiNamesItsGrant() {
    assertThat(GrantTokens.jti("g-1", "at1")).isEqualTo("g-1.at1");
    assertThat(GrantTokens.isJtiOf("g-1", "g-1.at1")).isTrue();
    assertThat(GrantTokens.isJtiOf("g-1", "g-12.at1")).isFalse();
    assertThat(GrantTokens.isJtiOf("g-1", "g-1.")).isFalse();
    assertThat(GrantTokens.isJtiOf("g-1", "g-1.a b")).isFalse();
    assertThat(GrantTokens.isJtiOf("g-1", "g-1." + "a".repeat(GrantTokens.MAX_JTI_LENGTH))).isFalse();
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
    assertThat(jti).isEqualTo("g-1." + GrantTokens.hash("c2VjcmV0X3NlY3JldA"))
        .isEqualTo(GrantTokens.opaqueJti("g-1", "c2VjcmV0X3NlY3JldA")).doesNotContain("c2VjcmV0X3NlY3JldA");
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
    assertThatThrownBy(() -> GrantTokens.opaqueAccessToken("g-1", "has.dot")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GrantTokens.opaqueAccessToken("g.1", "abc")).isInstanceOf(IllegalArgumentException.class);
  }
}
