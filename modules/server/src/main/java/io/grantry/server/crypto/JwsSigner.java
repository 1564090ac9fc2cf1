package io.grantry.server.crypto;

import io.grantry.domain.key.SigningAlgorithm;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compact JWS (RFC 7515 §7.1) over the JDK {@link Signature} API, for one key.
 *
 * <p>Why our own and not vertx-auth-jwt: vertx-auth-jwt overwrites the header {@code typ} with
 * {@code JWT}, but RFC 9068 §2.1 access tokens must say {@code typ: at+jwt} (and resource servers
 * check it, to tell them from id_tokens); and given two keys of one algorithm it alternates between
 * them, where we want exactly the ring's active key. Signing a JWS is a base64url header, a
 * base64url payload and one {@code Signature} call, small enough to own.
 *
 * <p>ES256 uses {@code SHA256withECDSAinP1363Format}, which yields the JOSE R||S form (RFC 7518
 * §3.4) directly, no DER conversion. RS256 is {@code SHA256withRSA} (RSASSA-PKCS1-v1_5, RFC 7518
 * §3.3).
 *
 * <p>Hot path: each thread keeps one {@code Signature} initialized with this key and reuses it
 * ({@code sign()} resets it to the initialized state), instead of a provider lookup and key setup
 * per token. Headers are encoded once per {@code typ}. Thread-safe.
 */
public final class JwsSigner {
  public static final String TYP_ACCESS_TOKEN = "at+jwt";
  public static final String TYP_JWT = "JWT";

  /** OpenID Connect Back-Channel Logout 1.0 §2.4's explicit type of logout tokens. */
  public static final String TYP_LOGOUT_TOKEN = "logout+jwt";

  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final int MAX_CACHED_HEADERS = 8;

  private final String kid;
  private final SigningAlgorithm alg;
  private final PrivateKey key;
  private final String jcaName;
  private final ThreadLocal<Signature> signatures;
  private final Map<String, String> encodedHeaders = new ConcurrentHashMap<>();

  public JwsSigner(String kid, SigningAlgorithm alg, PrivateKey key) {
    this.kid = Objects.requireNonNull(kid, "kid");
    this.alg = Objects.requireNonNull(alg, "alg");
    SigningKeys.requireSigningKey(alg, key);
    this.key = key;
    this.jcaName = jcaName(alg);
    this.signatures = ThreadLocal.withInitial(this::newSignature);
    newSignature(); // fail now, not on the first token, if the key does not fit the algorithm
  }

  /** A signer for a key just generated. */
  public static JwsSigner of(SigningKeys.GeneratedKey key) {
    return new JwsSigner(key.kid(), key.alg(), key.keyPair().getPrivate());
  }

  public String kid() {
    return kid;
  }

  public SigningAlgorithm alg() {
    return alg;
  }

  /** The name of the JCA provider this signer's {@code Signature} comes from. */
  public String provider() {
    return signatures.get().getProvider().getName();
  }

  /**
   * Signs {@code claims} with header {@code {"alg", "kid", "typ"}}.
   *
   * @param typ {@link #TYP_ACCESS_TOKEN} for RFC 9068 access tokens, {@link #TYP_JWT} for id_tokens
   */
  public String sign(JsonObject claims, String typ) {
    Objects.requireNonNull(claims, "claims");
    String header = encodedHeader(typ);
    String payload = B64URL.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
    String signingInput = header + "." + payload;
    Signature signature = signatures.get();
    byte[] sig;
    try {
      signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      sig = signature.sign();
    } catch (GeneralSecurityException | RuntimeException e) {
      // A failed sign() may leave the object mid-operation: start the next one afresh.
      signatures.remove();
      throw new IllegalStateException(
          "JWS signing with " + alg + " key '" + kid + "' failed: " + e.getClass().getSimpleName());
    }
    return signingInput + "." + B64URL.encodeToString(sig);
  }

  private String encodedHeader(String typ) {
    if (typ == null || typ.isBlank() || typ.length() > 64) {
      throw new IllegalArgumentException(
          "typ must be a short non-blank media type such as 'at+jwt' or 'JWT'");
    }
    String cached = encodedHeaders.get(typ);
    if (cached != null) {
      return cached;
    }
    JsonObject header = new JsonObject().put("alg", alg.wire()).put("kid", kid).put("typ", typ);
    String encoded = B64URL.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8));
    if (encodedHeaders.size() < MAX_CACHED_HEADERS) {
      encodedHeaders.putIfAbsent(typ, encoded);
    }
    return encoded;
  }

  private Signature newSignature() {
    try {
      Signature signature = Signature.getInstance(jcaName);
      signature.initSign(key);
      return signature;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot sign " + alg + " with key '" + kid + "': " + e.getClass().getSimpleName());
    }
  }

  static String jcaName(SigningAlgorithm alg) {
    return alg == SigningAlgorithm.ES256 ? CryptoProviders.ES256_JCA : "SHA256withRSA";
  }

  @Override
  public String toString() {
    return "JwsSigner[kid=" + kid + ", alg=" + alg + "]";
  }
}
