package io.grantry.server.crypto;

import io.grantry.domain.oauth.JwsAlgorithm;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.EnumMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A compact JWS that a client signed (a client assertion, RFC 7523; a DPoP proof, RFC 9449), with
 * its key chosen by the caller from what the client registered or, for DPoP, from the header.
 *
 * <p>{@link #parse} reads the parts strictly (three non-empty base64url parts, JSON objects, a
 * known {@code alg}, never {@code none}, no {@code crit}); nothing in it is trusted until {@link
 * #verifies} or {@link #verifiesHmac} says the signature holds for a key of the header's own
 * algorithm (RFC 8725 §3.1: the key's type is checked against the algorithm, so an RSA key cannot
 * verify an HMAC nor an EC key an RSA signature). Claims are the caller's to check.
 */
public final class ForeignJws {
  /** Longer tokens are not ours to read (the form bodies that carry them are 16 KB at most). */
  public static final int MAX_LENGTH = 8 * 1024;

  private static final PSSParameterSpec PS256 =
      new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);

  /**
   * Per thread, one {@code Signature} per algorithm, initialized anew with each key: the provider
   * lookup of {@code getInstance} costs as much as a verification, the key setup far less.
   */
  private static final ThreadLocal<Map<JwsAlgorithm, Signature>> SIGNATURES =
      ThreadLocal.withInitial(() -> new EnumMap<>(JwsAlgorithm.class));

  private final JsonObject header;
  private final JsonObject payload;
  private final String signingInput;
  private final byte[] signature;
  private final JwsAlgorithm alg;

  private ForeignJws(
      JsonObject header,
      JsonObject payload,
      String signingInput,
      byte[] signature,
      JwsAlgorithm alg) {
    this.header = header;
    this.payload = payload;
    this.signingInput = signingInput;
    this.signature = signature;
    this.alg = alg;
  }

  /** The parts of {@code compact}, unverified. */
  public static ForeignJws parse(String compact) throws InvalidJwsException {
    if (compact == null || compact.isEmpty() || compact.length() > MAX_LENGTH) {
      throw new InvalidJwsException("the JWS is empty or too long");
    }
    int first = compact.indexOf('.');
    int second = first < 0 ? -1 : compact.indexOf('.', first + 1);
    if (first <= 0
        || second < 0
        || second == first + 1
        || compact.indexOf('.', second + 1) >= 0
        || second == compact.length() - 1) {
      throw new InvalidJwsException("a compact JWS has exactly three non-empty parts");
    }
    JsonObject header = JwsVerifier.json(compact.substring(0, first), "header");
    Object algName = header.getValue("alg");
    if (!(algName instanceof String name) || name.equalsIgnoreCase("none")) {
      throw new InvalidJwsException("the header's alg is missing or none");
    }
    JwsAlgorithm alg =
        JwsAlgorithm.fromWire(name).orElseThrow(() -> new InvalidJwsException("unsupported alg"));
    if (header.containsKey("crit")) {
      throw new InvalidJwsException("crit header parameters are not supported");
    }
    JsonObject payload = JwsVerifier.json(compact.substring(first + 1, second), "payload");
    byte[] signature = JwsVerifier.bytes(compact.substring(second + 1), "signature");
    return new ForeignJws(header, payload, compact.substring(0, second), signature, alg);
  }

  public JsonObject header() {
    return header;
  }

  public JsonObject payload() {
    return payload;
  }

  public JwsAlgorithm alg() {
    return alg;
  }

  /** The header's {@code kid}, or null. */
  public String kid() {
    return header.getValue("kid") instanceof String k ? k : null;
  }

  /**
   * True if the signature verifies with {@code key} under the header's (asymmetric) algorithm; a
   * key of another type never verifies.
   */
  public boolean verifies(PublicKey key) {
    if (!fits(key)) {
      return false;
    }
    if (alg == JwsAlgorithm.ES256 && signature.length != 64) {
      return false;
    }
    Map<JwsAlgorithm, Signature> byAlg = SIGNATURES.get();
    try {
      Signature s = byAlg.get(alg);
      if (s == null) {
        s = Signature.getInstance(jcaName(alg));
        byAlg.put(alg, s);
      }
      s.initVerify(key);
      if (alg == JwsAlgorithm.PS256) {
        s.setParameter(PS256);
      }
      s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return s.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      byAlg.remove(alg); // a failed verify may leave it mid-operation
      return false;
    }
  }

  /** True if this is HS256 and its MAC verifies with {@code secret} (compared in constant time). */
  public boolean verifiesHmac(byte[] secret) {
    if (alg != JwsAlgorithm.HS256 || secret == null || secret.length < 32) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] expected = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
      return MessageDigest.isEqual(expected, signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private boolean fits(PublicKey key) {
    return switch (alg) {
      case ES256 -> key instanceof ECPublicKey ec && SigningKeys.isP256(ec.getParams());
      case RS256, PS256 ->
          key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() >= SigningKeys.RSA_BITS;
      case EdDSA -> key instanceof EdECPublicKey ed && "Ed25519".equals(ed.getParams().getName());
      case HS256 -> false;
    };
  }

  private static String jcaName(JwsAlgorithm alg) {
    return switch (alg) {
      case ES256 -> CryptoProviders.ES256_JCA;
      case RS256 -> "SHA256withRSA";
      case PS256 -> "RSASSA-PSS";
      case EdDSA -> "Ed25519";
      case HS256 -> throw new IllegalArgumentException("HS256 is a MAC");
    };
  }
}
