package io.grantry.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.key.SigningAlgorithm;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SigningKeysTest {
  /** RFC 7638 §3.1. */
  private static final JsonObject RFC7638_KEY =
      new JsonObject()
          .put("kty", "RSA")
          .put(
              "n",
              "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
          .put("e", "AQAB")
          .put("alg", "RS256")
          .put("kid", "2011-04-29");

  private static final String RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

  @Test
  void thumbprintOfTheRfc7638Example() {
    assertThat(SigningKeys.thumbprint(RFC7638_KEY)).isEqualTo(RFC7638_THUMBPRINT);
  }

  @Test
  void publicJwkOfTheRfc7638KeyGetsTheRfcThumbprintAsKid() {
    RSAPublicKey key = (RSAPublicKey) SigningKeys.publicKey(RFC7638_KEY);
    JsonObject jwk = SigningKeys.publicJwk(key, SigningAlgorithm.RS256);
    assertThat(jwk.getString("n")).isEqualTo(RFC7638_KEY.getString("n"));
    assertThat(jwk.getString("e")).isEqualTo("AQAB");
    assertThat(jwk.getString("kid")).isEqualTo(RFC7638_THUMBPRINT);
  }

  @Test
  void es256KeysAreP256WithAFullJwk() {
    SigningKeys.GeneratedKey key = SigningKeys.generate(SigningAlgorithm.ES256);
    JsonObject jwk = key.publicJwk();

    assertThat(jwk.fieldNames())
        .containsExactlyInAnyOrder("kty", "crv", "x", "y", "kid", "alg", "use");
    assertThat(jwk.getString("kty")).isEqualTo("EC");
    assertThat(jwk.getString("crv")).isEqualTo("P-256");
    assertThat(jwk.getString("alg")).isEqualTo("ES256");
    assertThat(jwk.getString("use")).isEqualTo("sig");
    assertThat(jwk.getString("x")).matches("[A-Za-z0-9_-]{43}");
    assertThat(jwk.getString("y")).matches("[A-Za-z0-9_-]{43}");
    assertThat(key.kid()).isEqualTo(jwk.getString("kid")).isEqualTo(SigningKeys.thumbprint(jwk));

    ECPublicKey pub = (ECPublicKey) key.keyPair().getPublic();
    assertThat(new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("x"))))
        .isEqualTo(pub.getW().getAffineX());
    assertThat(new BigInteger(1, Base64.getUrlDecoder().decode(jwk.getString("y"))))
        .isEqualTo(pub.getW().getAffineY());
    assertThat(SigningKeys.publicKey(jwk).getEncoded()).isEqualTo(pub.getEncoded());
  }

  @Test
  void rs256KeysAre2048Bit() {
    SigningKeys.GeneratedKey key = SigningKeys.generate(SigningAlgorithm.RS256);
    JsonObject jwk = key.publicJwk();

    assertThat(jwk.fieldNames()).containsExactlyInAnyOrder("kty", "n", "e", "kid", "alg", "use");
    assertThat(jwk.getString("e")).isEqualTo("AQAB");
    assertThat(Base64.getUrlDecoder().decode(jwk.getString("n"))).hasSize(256);
    assertThat(((RSAPublicKey) key.keyPair().getPublic()).getModulus().bitLength()).isEqualTo(2048);
    assertThat(key.kid()).isEqualTo(SigningKeys.thumbprint(jwk));
  }

  @Test
  void privateKeysLoadBackFromPkcs8() {
    SigningKeys.GeneratedKey key = SigningKeys.generate(SigningAlgorithm.ES256);
    assertThat(SigningKeys.privateKey(SigningAlgorithm.ES256, key.pkcs8()).getEncoded())
        .isEqualTo(key.pkcs8());
    assertThatThrownBy(() -> SigningKeys.privateKey(SigningAlgorithm.RS256, key.pkcs8()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SigningKeys.privateKey(SigningAlgorithm.ES256, new byte[] {1, 2, 3}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesPointsOffTheCurveAndSmallRsaKeys() {
    JsonObject jwk = SigningKeys.generate(SigningAlgorithm.ES256).publicJwk();
    byte[] y = Base64.getUrlDecoder().decode(jwk.getString("y"));
    y[31] ^= 1;
    JsonObject offCurve =
        jwk.copy().put("y", Base64.getUrlEncoder().withoutPadding().encodeToString(y));
    assertThatThrownBy(() -> SigningKeys.publicKey(offCurve)).hasMessageContaining("not on P-256");

    JsonObject small =
        RFC7638_KEY
            .copy()
            .put("n", Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[128]));
    assertThatThrownBy(() -> SigningKeys.publicKey(small))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> SigningKeys.thumbprint(new JsonObject().put("kty", "oct").put("k", "abc")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
