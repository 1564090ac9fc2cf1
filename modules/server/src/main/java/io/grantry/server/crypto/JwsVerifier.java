package io.grantry.server.crypto;

import io.grantry.domain.key.SigningAlgorithm;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies compact JWS signed by one of a set of public JWKs, chosen by {@code kid}.
 *
 * <p>The algorithm comes from the key, never from the token alone (RFC 8725 §3.1): the header
 * {@code alg} must equal the key's, so {@code alg: none} and RS/ES or HMAC confusion are refused. A
 * {@code crit} header is refused, since we understand no extension (RFC 7515 §4.1.11). This checks
 * the signature only; claims ({@code exp}, {@code aud}, …) are the caller's to check.
 */
public final class JwsVerifier {
  private static final int MAX_TOKEN_LENGTH = 16 * 1024;
  private static final Base64.Decoder B64URL = Base64.getUrlDecoder();

  /**
   * A key and, per thread, a {@code Signature} initialized with it: {@code Signature.getInstance}
   * and {@code initVerify} cost as much again as the verification itself (a provider lookup and key
   * setup), and introspection verifies on every request. {@code verify()} leaves the object ready
   * for the next one.
   */
  private record VerificationKey(
      SigningAlgorithm alg, PublicKey key, ThreadLocal<Signature> signatures) {
    VerificationKey(SigningAlgorithm alg, PublicKey key) {
      this(alg, key, new ThreadLocal<>());
    }

    Signature signature() throws GeneralSecurityException {
      Signature s = signatures.get();
      if (s == null) {
        s = Signature.getInstance(JwsSigner.jcaName(alg));
        s.initVerify(key);
        signatures.set(s);
      }
      return s;
    }
  }

  /** A JWS whose signature verified. */
  public record Verified(JsonObject header, JsonObject payload, String kid, SigningAlgorithm alg) {}

  private final Map<String, VerificationKey> keys;

  /**
   * @param publicJwks public JWKs, each with a unique {@code kid}; the algorithm is the JWK's
   *     {@code alg}, or ES256 for P-256 and RS256 for RSA keys without one
   * @throws IllegalArgumentException if a JWK lacks a kid, repeats one, or is not a P-256 or
   *     2048+-bit RSA signing key
   */
  public JwsVerifier(Collection<JsonObject> publicJwks) {
    Map<String, VerificationKey> byKid = new HashMap<>();
    for (JsonObject jwk : publicJwks) {
      Object kid = jwk.getValue("kid");
      if (!(kid instanceof String k) || k.isEmpty()) {
        throw new IllegalArgumentException("every JWK needs a kid");
      }
      if (jwk.containsKey("use") && !"sig".equals(jwk.getValue("use"))) {
        throw new IllegalArgumentException("JWK '" + k + "' is not a signing key");
      }
      SigningAlgorithm alg = algorithmOf(jwk);
      if (byKid.put(k, new VerificationKey(alg, SigningKeys.publicKey(jwk))) != null) {
        throw new IllegalArgumentException("kid '" + k + "' appears twice");
      }
    }
    this.keys = Map.copyOf(byKid);
  }

  private static SigningAlgorithm algorithmOf(JsonObject jwk) {
    Object alg = jwk.getValue("alg");
    String kty = jwk.getString("kty");
    SigningAlgorithm result;
    if (alg != null) {
      result = alg instanceof String s ? SigningAlgorithm.fromWire(s).orElse(null) : null;
      if (result == null) {
        throw new IllegalArgumentException(
            "JWK '" + jwk.getValue("kid") + "' has an unsupported alg");
      }
    } else {
      result = "RSA".equals(kty) ? SigningAlgorithm.RS256 : SigningAlgorithm.ES256;
    }
    if (!result.keyType().equals(kty)) {
      throw new IllegalArgumentException(
          "JWK '" + jwk.getValue("kid") + "': alg " + result + " does not fit kty");
    }
    return result;
  }

  /** Verifies the signature; see {@link #verify(String, String)} to require a {@code typ} too. */
  public Verified verify(String compact) throws InvalidJwsException {
    return verify(compact, null);
  }

  /**
   * Verifies the signature and, if {@code expectedTyp} is not null, that the header {@code typ}
   * equals it (case-insensitively, RFC 7515 §4.1.9): {@code at+jwt} for RFC 9068 access tokens.
   */
  public Verified verify(String compact, String expectedTyp) throws InvalidJwsException {
    return read(compact, expectedTyp, true);
  }

  /**
   * The header and payload of {@code compact} after every check of {@link #verify(String, String)}
   * but the signature's: a known {@code kid} whose key's alg the header names (so never {@code
   * none}), no {@code crit}, the {@code typ}, an ES256 signature's length. NOT proof of anything:
   * for a caller that establishes the token's origin another way before trusting a claim (an access
   * token whose exact string the ledger recorded: {@code IssuedJwts}), or verifies it afterwards.
   */
  public Verified readUnverified(String compact, String expectedTyp) throws InvalidJwsException {
    return read(compact, expectedTyp, false);
  }

  private Verified read(String compact, String expectedTyp, boolean verifySignature)
      throws InvalidJwsException {
    if (compact == null || compact.isEmpty() || compact.length() > MAX_TOKEN_LENGTH) {
      throw new InvalidJwsException("the token is empty or too long");
    }
    int first = compact.indexOf('.');
    int second = first < 0 ? -1 : compact.indexOf('.', first + 1);
    if (first <= 0
        || second < 0
        || compact.indexOf('.', second + 1) >= 0
        || second == compact.length() - 1) {
      throw new InvalidJwsException("a compact JWS has exactly three non-empty parts");
    }
    JsonObject header = json(compact.substring(0, first), "header");
    Object algValue = header.getValue("alg");
    if (!(algValue instanceof String algName)) {
      throw new InvalidJwsException("the header has no alg");
    }
    if (algName.equalsIgnoreCase("none")) {
      throw new InvalidJwsException("alg 'none' is not accepted");
    }
    Optional<SigningAlgorithm> alg = SigningAlgorithm.fromWire(algName);
    if (alg.isEmpty()) {
      throw new InvalidJwsException("unsupported alg");
    }
    if (header.containsKey("crit")) {
      throw new InvalidJwsException("crit header parameters are not supported");
    }
    if (!(header.getValue("kid") instanceof String kid)) {
      throw new InvalidJwsException("the header has no kid");
    }
    VerificationKey key = keys.get(kid);
    if (key == null) {
      throw new InvalidJwsException("unknown kid");
    }
    if (key.alg() != alg.get()) {
      throw new InvalidJwsException("alg " + alg.get() + " does not match the key's " + key.alg());
    }
    if (expectedTyp != null
        && !(header.getValue("typ") instanceof String typ && typ.equalsIgnoreCase(expectedTyp))) {
      throw new InvalidJwsException("typ is not " + expectedTyp);
    }
    byte[] sig = bytes(compact.substring(second + 1), "signature");
    if (key.alg() == SigningAlgorithm.ES256 && sig.length != 64) {
      throw new InvalidJwsException("an ES256 signature is 64 bytes");
    }
    if (verifySignature && !signatureValid(key, compact.substring(0, second), sig)) {
      throw new InvalidJwsException("signature does not verify");
    }
    JsonObject payload = json(compact.substring(first + 1, second), "payload");
    return new Verified(header, payload, kid, key.alg());
  }

  private static boolean signatureValid(VerificationKey key, String signingInput, byte[] sig) {
    try {
      Signature signature = key.signature();
      signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signature.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      // A failed verify() may leave the object mid-operation: the next one starts afresh.
      key.signatures().remove();
      return false;
    }
  }

  /** The JSON object a base64url part of a compact JWS holds (also {@link ForeignJws}'s). */
  static JsonObject json(String part, String what) throws InvalidJwsException {
    byte[] decoded = bytes(part, what);
    try {
      Object value = Json.decodeValue(new String(decoded, StandardCharsets.UTF_8));
      if (value instanceof JsonObject object) {
        return object;
      }
    } catch (DecodeException e) {
      // fall through
    }
    throw new InvalidJwsException("the " + what + " is not a JSON object");
  }

  /** Strict base64url: the URL alphabet only, no padding, no white space (RFC 7515 §2). */
  static byte[] bytes(String part, String what) throws InvalidJwsException {
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (!ok) {
        throw new InvalidJwsException("the " + what + " is not base64url");
      }
    }
    try {
      return B64URL.decode(part);
    } catch (IllegalArgumentException e) {
      throw new InvalidJwsException("the " + what + " is not base64url");
    }
  }

  /** The kids this verifier knows. */
  public Set<String> kids() {
    return keys.keySet();
  }
}
