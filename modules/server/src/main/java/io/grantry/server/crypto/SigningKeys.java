package io.grantry.server.crypto;

import io.grantry.domain.key.SigningAlgorithm;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * Signing key pairs and their public JWKs (RFC 7517, RFC 7518 §6). The {@code kid} is the RFC 7638
 * thumbprint of the public key, so it is derived, stable, and never collides by accident.
 */
public final class SigningKeys {
  public static final int RSA_BITS = 2048;
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final ECParameterSpec P256 = p256();

  /** The DER of an Ed25519 SubjectPublicKeyInfo up to the 32 bytes of the key (RFC 8410 §4). */
  private static final byte[] ED25519_SPKI_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
  };

  private SigningKeys() {}

  /** A freshly generated key pair with its public JWK ({@code kid} included). */
  public record GeneratedKey(
      String kid, SigningAlgorithm alg, KeyPair keyPair, JsonObject publicJwk) {
    public GeneratedKey {
      publicJwk = publicJwk.copy();
    }

    @Override
    public JsonObject publicJwk() {
      return publicJwk.copy();
    }

    /** The private key as PKCS#8 bytes, ready for {@link KeyEncryption#encrypt}. */
    public byte[] pkcs8() {
      return keyPair.getPrivate().getEncoded();
    }

    @Override
    public String toString() {
      return "GeneratedKey[kid=" + kid + ", alg=" + alg + "]";
    }
  }

  /**
   * Generates an ES256 (P-256) or RS256 (2048-bit, e=65537) key pair. <strong>Blocking</strong>:
   * RSA generation takes up to hundreds of milliseconds; run it on a worker.
   */
  public static GeneratedKey generate(SigningAlgorithm alg) {
    try {
      KeyPairGenerator generator;
      if (alg == SigningAlgorithm.ES256) {
        generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(new RSAKeyGenParameterSpec(RSA_BITS, RSAKeyGenParameterSpec.F4));
      }
      KeyPair pair = generator.generateKeyPair();
      JsonObject jwk = publicJwk(pair.getPublic(), alg);
      return new GeneratedKey(jwk.getString("kid"), alg, pair, jwk);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + alg + " key pair", e);
    }
  }

  /**
   * The public JWK of {@code key}: members of RFC 7518 §6 plus kid (thumbprint), alg and use=sig.
   */
  public static JsonObject publicJwk(PublicKey key, SigningAlgorithm alg) {
    JsonObject jwk;
    if (alg == SigningAlgorithm.ES256) {
      if (!(key instanceof ECPublicKey ec) || !isP256(ec.getParams())) {
        throw new IllegalArgumentException("ES256 needs a P-256 public key");
      }
      jwk =
          new JsonObject()
              .put("kty", "EC")
              .put("crv", "P-256")
              .put("x", B64URL.encodeToString(fixedLength(ec.getW().getAffineX(), 32)))
              .put("y", B64URL.encodeToString(fixedLength(ec.getW().getAffineY(), 32)));
    } else {
      if (!(key instanceof RSAPublicKey rsa) || rsa.getModulus().bitLength() < RSA_BITS) {
        throw new IllegalArgumentException(
            "RS256 needs an RSA public key of at least " + RSA_BITS + " bits");
      }
      jwk =
          new JsonObject()
              .put("kty", "RSA")
              .put("n", B64URL.encodeToString(unsigned(rsa.getModulus())))
              .put("e", B64URL.encodeToString(unsigned(rsa.getPublicExponent())));
    }
    return jwk.put("kid", thumbprint(jwk)).put("alg", alg.wire()).put("use", "sig");
  }

  /**
   * The RFC 7638 thumbprint: base64url(SHA-256) of the required members in lexicographic order,
   * without white space — {@code crv, kty, x, y} for EC and {@code e, kty, n} for RSA.
   */
  public static String thumbprint(JsonObject jwk) {
    String kty = jwk.getString("kty");
    String canonical;
    if ("EC".equals(kty)) {
      canonical =
          "{\"crv\":"
              + member(jwk, "crv")
              + ",\"kty\":\"EC\",\"x\":"
              + member(jwk, "x")
              + ",\"y\":"
              + member(jwk, "y")
              + "}";
    } else if ("RSA".equals(kty)) {
      canonical = "{\"e\":" + member(jwk, "e") + ",\"kty\":\"RSA\",\"n\":" + member(jwk, "n") + "}";
    } else if ("OKP".equals(kty)) {
      canonical =
          "{\"crv\":" + member(jwk, "crv") + ",\"kty\":\"OKP\",\"x\":" + member(jwk, "x") + "}";
    } else {
      throw new IllegalArgumentException("unsupported JWK kty for a thumbprint");
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
      return B64URL.encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  /** Reads back a private key from its PKCS#8 bytes (after {@link KeyEncryption#decrypt}). */
  public static PrivateKey privateKey(SigningAlgorithm alg, byte[] pkcs8) {
    try {
      return KeyFactory.getInstance(alg.keyType()).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      // The message would not hold key bytes, but it is not needed either.
      throw new IllegalArgumentException("not a PKCS#8 " + alg.keyType() + " private key");
    }
  }

  /**
   * The public key of an EC (P-256, point checked to lie on the curve), RSA (at least 2048-bit) or
   * OKP (Ed25519) JWK.
   */
  public static PublicKey publicKey(JsonObject jwk) {
    try {
      String kty = jwk.getString("kty");
      if ("EC".equals(kty)) {
        if (!"P-256".equals(jwk.getString("crv"))) {
          throw new IllegalArgumentException("only P-256 EC keys are supported");
        }
        BigInteger x = new BigInteger(1, decode(jwk, "x", 32));
        BigInteger y = new BigInteger(1, decode(jwk, "y", 32));
        ECPoint point = new ECPoint(x, y);
        if (!onCurve(point)) {
          throw new IllegalArgumentException("the EC point is not on P-256");
        }
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, P256));
      }
      if ("RSA".equals(kty)) {
        BigInteger n = new BigInteger(1, decode(jwk, "n", -1));
        BigInteger e = new BigInteger(1, decode(jwk, "e", -1));
        if (n.bitLength() < RSA_BITS) {
          throw new IllegalArgumentException("RSA keys must have at least " + RSA_BITS + " bits");
        }
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
      }
      if ("OKP".equals(kty)) {
        if (!"Ed25519".equals(jwk.getString("crv"))) {
          throw new IllegalArgumentException("only Ed25519 OKP keys are supported");
        }
        // RFC 8410: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING { the 32 bytes of x } }
        byte[] x = decode(jwk, "x", 32);
        byte[] der = new byte[ED25519_SPKI_PREFIX.length + 32];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(x, 0, der, ED25519_SPKI_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
      }
      throw new IllegalArgumentException("unsupported JWK kty");
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalArgumentException("not a valid public JWK: " + e.getClass().getSimpleName());
    }
  }

  private static String member(JsonObject jwk, String name) {
    Object value = jwk.getValue(name);
    if (!(value instanceof String)) {
      throw new IllegalArgumentException("JWK member '" + name + "' is missing");
    }
    return Json.encode(value);
  }

  private static byte[] decode(JsonObject jwk, String name, int expectedLength) {
    Object value = jwk.getValue(name);
    if (!(value instanceof String s) || s.isEmpty()) {
      throw new IllegalArgumentException("JWK member '" + name + "' is missing");
    }
    byte[] bytes = Base64.getUrlDecoder().decode(s);
    if (expectedLength > 0 && bytes.length != expectedLength) {
      throw new IllegalArgumentException(
          "JWK member '" + name + "' must be " + expectedLength + " bytes");
    }
    return bytes;
  }

  /** Big-endian, no sign byte (RFC 7518 §2, "Base64urlUInt"). */
  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return bytes.length > 1 && bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  /** Left-padded to {@code length} bytes (RFC 7518 §6.2.1.2: x and y are the full field size). */
  private static byte[] fixedLength(BigInteger value, int length) {
    byte[] bytes = unsigned(value);
    if (bytes.length > length) {
      throw new IllegalArgumentException("coordinate longer than " + length + " bytes");
    }
    byte[] out = new byte[length];
    System.arraycopy(bytes, 0, out, length - bytes.length, bytes.length);
    return out;
  }

  static boolean isP256(ECParameterSpec params) {
    return params.getCurve().equals(P256.getCurve())
        && params.getGenerator().equals(P256.getGenerator())
        && params.getOrder().equals(P256.getOrder());
  }

  /** y² = x³ + ax + b (mod p), with both coordinates in range. */
  private static boolean onCurve(ECPoint point) {
    BigInteger p = ((ECFieldFp) P256.getCurve().getField()).getP();
    BigInteger x = point.getAffineX();
    BigInteger y = point.getAffineY();
    if (x.signum() < 0 || x.compareTo(p) >= 0 || y.signum() < 0 || y.compareTo(p) >= 0) {
      return false;
    }
    BigInteger left = y.multiply(y).mod(p);
    BigInteger right =
        x.pow(3).add(P256.getCurve().getA().multiply(x)).add(P256.getCurve().getB()).mod(p);
    return left.equals(right);
  }

  private static ECParameterSpec p256() {
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC", "SunEC");
      params.init(new ECGenParameterSpec("secp256r1"));
      return params.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 parameters are unavailable", e);
    }
  }

  static ECParameterSpec p256Spec() {
    return P256;
  }

  static void requireSigningKey(SigningAlgorithm alg, PrivateKey key) {
    Objects.requireNonNull(key, "key");
    if (!alg.keyType().equals(key.getAlgorithm())
        && !("EC".equals(alg.keyType()) && "ECDSA".equals(key.getAlgorithm()))) {
      throw new IllegalArgumentException(
          alg + " needs a " + alg.keyType() + " private key, not " + key.getAlgorithm());
    }
  }
}
