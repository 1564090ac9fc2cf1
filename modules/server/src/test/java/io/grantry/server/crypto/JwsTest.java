package io.grantry.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.key.SigningAlgorithm;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.RSADigestSigner;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JwsSigner and JwsVerifier, each checked against an independent implementation (Bouncy Castle's
 * lightweight API).
 */
class JwsTest {
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();
  private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");
  private static final ECDomainParameters DOMAIN =
      new ECDomainParameters(P256.getCurve(), P256.getG(), P256.getN(), P256.getH());

  private static SigningKeys.GeneratedKey ec;
  private static SigningKeys.GeneratedKey rsa;
  private static JwsVerifier verifier;

  private static final JsonObject CLAIMS =
      new JsonObject()
          .put("iss", "https://auth.example.com")
          .put("sub", "u-1")
          .put("aud", "https://api.example.com")
          .put("client_id", "web")
          .put("scope", "openid profile")
          .put("jti", "9a1b")
          .put("iat", 1735725600L)
          .put("exp", 1735729200L)
          .put("name", "Zoë \"quoted\" </script>");

  @BeforeAll
  static void keys() {
    CryptoProviders.install();
    ec = SigningKeys.generate(SigningAlgorithm.ES256);
    rsa = SigningKeys.generate(SigningAlgorithm.RS256);
    verifier = new JwsVerifier(List.of(ec.publicJwk(), rsa.publicJwk()));
  }

  private static JsonObject part(String token, int index) {
    return new JsonObject(
        new String(B64URL_DECODER.decode(token.split("\\.")[index]), StandardCharsets.UTF_8));
  }

  private static byte[] signingInput(String token) {
    return token.substring(0, token.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] sha256(byte[] input) {
    SHA256Digest digest = new SHA256Digest();
    digest.update(input, 0, input.length);
    byte[] out = new byte[32];
    digest.doFinal(out, 0);
    return out;
  }

  /** ES256 verification by Bouncy Castle from the JWK's x and y alone: no JCA involved. */
  private static boolean bcVerifiesEs256(String token, JsonObject jwk) {
    BigInteger x = new BigInteger(1, B64URL_DECODER.decode(jwk.getString("x")));
    BigInteger y = new BigInteger(1, B64URL_DECODER.decode(jwk.getString("y")));
    ECPublicKeyParameters pub =
        new ECPublicKeyParameters(P256.getCurve().createPoint(x, y), DOMAIN);
    byte[] sig = B64URL_DECODER.decode(token.substring(token.lastIndexOf('.') + 1));
    if (sig.length != 64) {
      return false;
    }
    ECDSASigner signer = new ECDSASigner();
    signer.init(false, pub);
    return signer.verifySignature(
        sha256(signingInput(token)),
        new BigInteger(1, Arrays.copyOfRange(sig, 0, 32)),
        new BigInteger(1, Arrays.copyOfRange(sig, 32, 64)));
  }

  @Test
  void es256HeaderAndPayload() {
    String token = JwsSigner.of(ec).sign(CLAIMS, JwsSigner.TYP_ACCESS_TOKEN);

    assertThat(token.split("\\.")).hasSize(3);
    assertThat(part(token, 0))
        .isEqualTo(new JsonObject().put("alg", "ES256").put("kid", ec.kid()).put("typ", "at+jwt"));
    assertThat(part(token, 1)).isEqualTo(CLAIMS);
    assertThat(B64URL_DECODER.decode(token.split("\\.")[2])).hasSize(64);
    assertThat(token).doesNotContain("=").doesNotContain("+").doesNotContain("/");
  }

  @Test
  void es256VerifiesWithAnIndependentImplementation() {
    JwsSigner signer = JwsSigner.of(ec);
    for (int i = 0; i < 20; i++) {
      String token = signer.sign(CLAIMS.copy().put("n", i), JwsSigner.TYP_JWT);
      assertThat(bcVerifiesEs256(token, ec.publicJwk())).as("token %d", i).isTrue();
    }
    String token = signer.sign(CLAIMS, JwsSigner.TYP_JWT);
    String tampered =
        B64URL.encodeToString(part(token, 0).encode().getBytes(StandardCharsets.UTF_8))
            + "."
            + B64URL.encodeToString(
                CLAIMS.copy().put("sub", "admin").encode().getBytes(StandardCharsets.UTF_8))
            + "."
            + token.split("\\.")[2];
    assertThat(bcVerifiesEs256(tampered, ec.publicJwk())).isFalse();
  }

  @Test
  void es256VerifiesWithTheJdkProviderToo() throws Exception {
    String token = JwsSigner.of(ec).sign(CLAIMS, JwsSigner.TYP_ACCESS_TOKEN);
    Signature jdk = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
    jdk.initVerify(SigningKeys.publicKey(ec.publicJwk()));
    jdk.update(signingInput(token));
    assertThat(jdk.verify(B64URL_DECODER.decode(token.split("\\.")[2]))).isTrue();
  }

  @Test
  void rs256VerifiesWithAnIndependentImplementation() {
    String token = JwsSigner.of(rsa).sign(CLAIMS, JwsSigner.TYP_JWT);
    assertThat(part(token, 0).getString("alg")).isEqualTo("RS256");
    assertThat(part(token, 0).getString("typ")).isEqualTo("JWT");

    JsonObject jwk = rsa.publicJwk();
    RSAKeyParameters pub =
        new RSAKeyParameters(
            false,
            new BigInteger(1, B64URL_DECODER.decode(jwk.getString("n"))),
            new BigInteger(1, B64URL_DECODER.decode(jwk.getString("e"))));
    RSADigestSigner bc = new RSADigestSigner(new SHA256Digest());
    bc.init(false, pub);
    byte[] input = signingInput(token);
    bc.update(input, 0, input.length);
    assertThat(bc.verifySignature(B64URL_DECODER.decode(token.split("\\.")[2]))).isTrue();
  }

  @Test
  void verifierAcceptsWhatTheSignerMade() throws Exception {
    for (SigningKeys.GeneratedKey key : List.of(ec, rsa)) {
      String token = JwsSigner.of(key).sign(CLAIMS, JwsSigner.TYP_ACCESS_TOKEN);
      JwsVerifier.Verified verified = verifier.verify(token, "at+jwt");
      assertThat(verified.payload()).isEqualTo(CLAIMS);
      assertThat(verified.kid()).isEqualTo(key.kid());
      assertThat(verified.alg()).isEqualTo(key.alg());
      assertThat(verified.header().getString("typ")).isEqualTo("at+jwt");
    }
  }

  /**
   * A token made entirely by Bouncy Castle (deterministic ECDSA, RFC 6979) verifies: the verifier
   * does not just mirror the signer.
   */
  @Test
  void verifierAcceptsAnIndependentlySignedToken() throws Exception {
    BigInteger d =
        new BigInteger("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721", 16);
    ECPoint q = P256.getG().multiply(d).normalize();
    JsonObject jwk =
        new JsonObject()
            .put("kty", "EC")
            .put("crv", "P-256")
            .put("x", B64URL.encodeToString(fixed(q.getAffineXCoord().toBigInteger())))
            .put("y", B64URL.encodeToString(fixed(q.getAffineYCoord().toBigInteger())));
    jwk.put("kid", SigningKeys.thumbprint(jwk));
    String header =
        B64URL.encodeToString(
            new JsonObject()
                .put("alg", "ES256")
                .put("kid", jwk.getString("kid"))
                .encode()
                .getBytes(StandardCharsets.UTF_8));
    String payload = B64URL.encodeToString(CLAIMS.encode().getBytes(StandardCharsets.UTF_8));
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(d, DOMAIN));
    BigInteger[] rs =
        signer.generateSignature(
            sha256((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
    byte[] sig = new byte[64];
    System.arraycopy(fixed(rs[0]), 0, sig, 0, 32);
    System.arraycopy(fixed(rs[1]), 0, sig, 32, 32);
    String token = header + "." + payload + "." + B64URL.encodeToString(sig);

    assertThat(new JwsVerifier(List.of(jwk)).verify(token).payload()).isEqualTo(CLAIMS);
  }

  private static byte[] fixed(BigInteger value) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[32];
    int copy = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
    return out;
  }

  @Test
  void tamperedPayloadFails() {
    String token = JwsSigner.of(ec).sign(CLAIMS, JwsSigner.TYP_ACCESS_TOKEN);
    String[] parts = token.split("\\.");
    String forged =
        parts[0]
            + "."
            + B64URL.encodeToString(
                CLAIMS.copy().put("scope", "admin").encode().getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    assertThatThrownBy(() -> verifier.verify(forged))
        .isInstanceOf(InvalidJwsException.class)
        .hasMessageContaining("signature");

    byte[] sig = B64URL_DECODER.decode(parts[2]);
    sig[5] ^= 1;
    assertThatThrownBy(
            () -> verifier.verify(parts[0] + "." + parts[1] + "." + B64URL.encodeToString(sig)))
        .isInstanceOf(InvalidJwsException.class);
  }

  @Test
  void algNoneIsRefused() {
    for (String alg : List.of("none", "None", "NONE")) {
      String header =
          B64URL.encodeToString(
              new JsonObject()
                  .put("alg", alg)
                  .put("kid", ec.kid())
                  .encode()
                  .getBytes(StandardCharsets.UTF_8));
      String payload = B64URL.encodeToString(CLAIMS.encode().getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(() -> verifier.verify(header + "." + payload + "."))
          .isInstanceOf(InvalidJwsException.class);
      assertThatThrownBy(() -> verifier.verify(header + "." + payload + ".AAAA"))
          .isInstanceOf(InvalidJwsException.class)
          .hasMessageContaining("none");
    }
  }

  @Test
  void unknownKidAndAlgorithmMismatchAreRefused() {
    String token =
        JwsSigner.of(SigningKeys.generate(SigningAlgorithm.ES256)).sign(CLAIMS, JwsSigner.TYP_JWT);
    assertThatThrownBy(() -> verifier.verify(token))
        .isInstanceOf(InvalidJwsException.class)
        .hasMessageContaining("unknown kid");

    // An RS256 header pointing at the EC key: the key decides the algorithm, not the token.
    String ecToken = JwsSigner.of(ec).sign(CLAIMS, JwsSigner.TYP_JWT);
    String[] parts = ecToken.split("\\.");
    String header =
        B64URL.encodeToString(
            new JsonObject()
                .put("alg", "RS256")
                .put("kid", ec.kid())
                .put("typ", "JWT")
                .encode()
                .getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> verifier.verify(header + "." + parts[1] + "." + parts[2]))
        .isInstanceOf(InvalidJwsException.class)
        .hasMessageContaining("does not match");

    String hs =
        B64URL.encodeToString(
            new JsonObject()
                .put("alg", "HS256")
                .put("kid", ec.kid())
                .encode()
                .getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> verifier.verify(hs + "." + parts[1] + "." + parts[2]))
        .isInstanceOf(InvalidJwsException.class)
        .hasMessageContaining("unsupported alg");
  }

  @Test
  void typIsCheckedWhenAsked() throws Exception {
    String idToken = JwsSigner.of(ec).sign(CLAIMS, JwsSigner.TYP_JWT);
    assertThat(verifier.verify(idToken).payload()).isEqualTo(CLAIMS);
    assertThatThrownBy(() -> verifier.verify(idToken, "at+jwt"))
        .isInstanceOf(InvalidJwsException.class)
        .hasMessageContaining("typ");
  }

  @Test
  void malformedTokensAreRefused() {
    String token = JwsSigner.of(ec).sign(CLAIMS, JwsSigner.TYP_JWT);
    String[] parts = token.split("\\.");
    for (String bad :
        List.of(
            "",
            "abc",
            parts[0] + "." + parts[1],
            token + ".x",
            parts[0] + "." + parts[1] + ".",
            parts[0] + "=." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "==",
            "e30." + parts[1] + "." + parts[2],
            "bm90IGpzb24." + parts[1] + "." + parts[2])) {
      assertThatThrownBy(() -> verifier.verify(bad))
          .as(bad)
          .isInstanceOf(InvalidJwsException.class);
    }
    String crit =
        B64URL.encodeToString(
            part(token, 0)
                .put("crit", new JsonArray().add("exp"))
                .encode()
                .getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> verifier.verify(crit + "." + parts[1] + "." + parts[2]))
        .hasMessageContaining("crit");
  }

  /** Each thread signs with its own Signature; concurrent use must not corrupt tokens. */
  @Test
  void signsConcurrently() {
    JwsSigner signer = JwsSigner.of(ec);
    ConcurrentLinkedQueue<String> tokens = new ConcurrentLinkedQueue<>();
    IntStream.range(0, 400)
        .parallel()
        .forEach(
            i -> tokens.add(signer.sign(CLAIMS.copy().put("i", i), JwsSigner.TYP_ACCESS_TOKEN)));
    assertThat(tokens)
        .hasSize(400)
        .allSatisfy(t -> assertThat(bcVerifiesEs256(t, ec.publicJwk())).isTrue());
  }

  @Test
  void refusesAKeyOfTheWrongType() {
    assertThatThrownBy(() -> new JwsSigner("k", SigningAlgorithm.ES256, rsa.keyPair().getPrivate()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JwsSigner.of(ec).sign(CLAIMS, " "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void verifierRefusesBadKeySets() {
    assertThatThrownBy(() -> new JwsVerifier(List.of(ec.publicJwk(), ec.publicJwk())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
    assertThatThrownBy(() -> new JwsVerifier(List.of(ec.publicJwk().put("alg", "RS256"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new JwsVerifier(List.of(ec.publicJwk().put("use", "enc"))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new JwsVerifier(List.of(ec.publicJwk().put("alg", "none"))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
