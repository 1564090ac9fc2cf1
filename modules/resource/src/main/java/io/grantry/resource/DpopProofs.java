package io.grantry.resource;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Checks DPoP proofs (RFC 9449 §4.3) presented with a DPoP-bound access token (§7.1).
 *
 * <p>Why not vertx-auth-jwt: a proof is verified with the public key it carries in its own header
 * ({@code jwk}), and vertx-auth-jwt verifies only with the keys its provider was built with (it has
 * no embedded-key mode in 5.0; building a provider per proof would also parse the key twice). It
 * also ignores {@code typ}, which must be {@code dpop+jwt} here. A proof is one {@link Signature}
 * call over the JDK's providers, small enough to own: ES256 ({@code SHA256withECDSAinP1363Format},
 * JOSE's R||S directly), RS256 and PS256.
 *
 * <p>Replay (RFC 9449 §11.1): each proof's {@code jti} (with its key's thumbprint) is remembered
 * for the proof lifetime plus twice the skew, the longest a proof stays acceptable. The memory is
 * bounded ({@link ResourceServerOptions#setDpopReplayCacheSize}), and only expired entries ever
 * leave it: when it is full of live ones, a new proof is refused ({@link ReplayCacheFull}, 503 and
 * Retry-After) rather than accepted by forgetting a live one, so a full cache never lets a replay
 * through. Remembered per process: several instances of a resource server each catch a replay to
 * themselves, so a proof captured at one instance can be replayed once at each other instance while
 * its {@code iat} (and, with nonces, its nonce) is accepted (ops/resource-servers.md says what to
 * do).
 *
 * <p>Nonces (RFC 9449 §9), when configured: a proof must carry a nonce this resource server gave
 * out ({@link DpopNonces}, stateless, the same at every instance sharing the secret); one without a
 * current nonce is refused with {@code use_dpop_nonce}, and the kit's answer carries a fresh one in
 * {@code DPoP-Nonce}. Its {@code jti} is not remembered then: the retry is a new proof anyway.
 */
final class DpopProofs {
  static final List<String> ALGORITHMS = List.of("ES256", "RS256", "PS256");
  private static final Base64.Decoder B64 = Base64.getUrlDecoder();
  private static final Base64.Encoder B64E = Base64.getUrlEncoder().withoutPadding();
  private static final ECParameterSpec P256 = p256();

  private final Duration lifetime;
  private final Duration skew;
  private final Clock clock;
  private final int size;
  private final Duration remembered;
  private final Optional<DpopNonces> nonces;
  // Insertion order is expiry order (each entry expires a fixed time after it is put).
  private final Map<String, Instant> seen;
  // Live entries per key thumbprint: one key may hold at most an eighth of the cache, so a client
  // flooding the API with its own valid proofs fills its share, not everyone's.
  private final Map<String, Integer> perKey = new HashMap<>();
  private final int keyShare;
  private Instant lastFullWarning;

  DpopProofs(ResourceServerOptions options) {
    this.lifetime = options.dpopProofLifetime();
    this.skew = options.clockSkew();
    this.clock = options.clock();
    this.size = options.dpopReplayCacheSize();
    this.remembered = lifetime.plus(skew).plus(skew);
    this.nonces =
        options
            .dpopNonceSecret()
            .map(secret -> new DpopNonces(secret, options.dpopNonceRotation(), clock));
    this.seen = new LinkedHashMap<>(16, 0.75f, false);
    this.keyShare = Math.max(1, size / 8);
  }

  /** The nonce to hand out in {@code DPoP-Nonce} now, when nonces are configured. */
  Optional<String> currentNonce() {
    return nonces.map(DpopNonces::current);
  }

  /**
   * The replay cache is full of proofs that have not expired: this one can be neither told apart
   * from a replay nor remembered, so it is refused; {@link #retryAfterSeconds} is when the oldest
   * entry leaves. Not the client's fault: answered 503, not as an invalid proof.
   */
  static final class ReplayCacheFull extends RuntimeException {
    private final long retryAfterSeconds;

    ReplayCacheFull(long retryAfterSeconds) {
      super("the DPoP replay cache is full", null, false, false);
      this.retryAfterSeconds = retryAfterSeconds;
    }

    long retryAfterSeconds() {
      return retryAfterSeconds;
    }
  }

  /**
   * Checks {@code proof} for a request of {@code method} to {@code uri} carrying {@code
   * accessToken} bound to {@code jkt}; throws {@link InvalidTokenException} ({@code
   * invalid_dpop_proof} for a bad proof, {@code invalid_token} for a key other than the token's).
   */
  void check(String proof, String method, String uri, String accessToken, String jkt) {
    String[] parts = proof.split("\\.", -1);
    if (parts.length != 3) {
      throw InvalidTokenException.invalidProof("the DPoP proof is not a compact JWS");
    }
    JsonObject header = json(parts[0]);
    JsonObject claims = json(parts[1]);
    // §4.3 checks 4-6: typ, an asymmetric alg we support, a public key (no private members).
    if (!"dpop+jwt".equals(header.getValue("typ"))) {
      throw InvalidTokenException.invalidProof("the DPoP proof's typ is not dpop+jwt");
    }
    Object alg = header.getValue("alg");
    if (!(alg instanceof String a) || !ALGORITHMS.contains(a)) {
      throw InvalidTokenException.invalidProof("the DPoP proof's alg is not supported");
    }
    if (!(header.getValue("jwk") instanceof JsonObject jwk)
        || jwk.containsKey("d")
        || jwk.containsKey("p")
        || jwk.containsKey("k")) {
      throw InvalidTokenException.invalidProof("the DPoP proof carries no public jwk");
    }
    PublicKey key = publicKey(jwk, (String) alg);
    if (!verify((String) alg, key, parts)) {
      throw InvalidTokenException.invalidProof("the DPoP proof's signature does not verify");
    }
    // §4.3 checks 8-9: htm and htu are this request's (htu without query and fragment).
    if (!method.equals(claims.getValue("htm"))) {
      throw InvalidTokenException.invalidProof("the DPoP proof's htm is not this request's method");
    }
    if (!(claims.getValue("htu") instanceof String htu) || !sameUri(htu, uri)) {
      throw InvalidTokenException.invalidProof("the DPoP proof's htu is not this request's URI");
    }
    // §4.3 check 11: iat within the window, allowing the skew both ways.
    Instant now = clock.instant();
    if (!(claims.getValue("iat") instanceof Number iatNumber)) {
      throw InvalidTokenException.invalidProof("the DPoP proof has no iat");
    }
    // Compared as seconds: an iat no Instant can hold (1e17, 1e300) must be refused like any
    // other out of the window, not thrown from Instant.ofEpochSecond past the kit's refusals.
    long iat = iatNumber.longValue(); // saturates for huge doubles
    long nowSeconds = now.getEpochSecond();
    if (iat > nowSeconds + skew.toSeconds()
        || iat < nowSeconds - lifetime.toSeconds() - skew.toSeconds()) {
      throw InvalidTokenException.invalidProof(
          "the DPoP proof's iat is outside the accepted window");
    }
    // §9: with nonces on, a proof carries a nonce we gave out recently (checked after its
    // signature, so only a real proof is answered with one to retry with).
    if (nonces.isPresent()
        && !(claims.getValue("nonce") instanceof String nonce && nonces.get().accepts(nonce))) {
      throw InvalidTokenException.useNonce(
          "the DPoP proof must carry the nonce of the DPoP-Nonce header");
    }
    // §7.1: ath is the hash of this access token; the key is the one the token is bound to.
    if (!sha256(accessToken).equals(claims.getValue("ath"))) {
      throw InvalidTokenException.invalidProof("the DPoP proof's ath is not this token's hash");
    }
    if (!thumbprint(jwk).equals(jkt)) {
      throw InvalidTokenException.invalidToken(
          "the token is bound to another key than the proof's");
    }
    // §11.1: a proof is used once. Checked last, so a proof refused above is not burnt.
    if (!(claims.getValue("jti") instanceof String jti) || jti.isEmpty() || jti.length() > 256) {
      throw InvalidTokenException.invalidProof("the DPoP proof has no jti");
    }
    if (!firstUse(jkt, jti, now)) {
      throw InvalidTokenException.invalidProof("the DPoP proof was used before");
    }
  }

  /**
   * Remembers the proof {@code jti} of the key {@code jkt}; false if it is remembered already (a
   * replay). Only expired entries are dropped; full of live ones (the whole cache, or this key's
   * share of it: an eighth), throws {@link ReplayCacheFull} instead of forgetting one.
   */
  private synchronized boolean firstUse(String jkt, String jti, Instant now) {
    var it = seen.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Instant> e = it.next();
      if (e.getValue().isAfter(now)) {
        break;
      }
      it.remove();
      String owner = e.getKey().substring(0, e.getKey().indexOf(' '));
      perKey.computeIfPresent(owner, (k, n) -> n > 1 ? n - 1 : null);
    }
    String key = jkt + ' ' + jti;
    if (seen.containsKey(key)) {
      return false;
    }
    boolean keyFull = perKey.getOrDefault(jkt, 0) >= keyShare;
    if (keyFull || seen.size() >= size) {
      Instant oldest = seen.values().iterator().next();
      long retryAfter = Math.max(1, Duration.between(now, oldest).toSeconds() + 1);
      if (!keyFull) {
        warnFull(now, retryAfter);
      }
      throw new ReplayCacheFull(retryAfter);
    }
    seen.put(key, now.plus(remembered));
    perKey.merge(jkt, 1, Integer::sum);
    return true;
  }

  /** At most once a minute: an operator must hear of it, a flood must not fill the log. */
  private void warnFull(Instant now, long retryAfter) {
    if (lastFullWarning != null && now.isBefore(lastFullWarning.plusSeconds(60))) {
      return;
    }
    lastFullWarning = now;
    System.getLogger(DpopProofs.class.getName())
        .log(
            System.Logger.Level.WARNING,
            "The DPoP replay cache holds "
                + size
                + " live proofs: new proofs are refused (503) for about "
                + retryAfter
                + " s. Raise ResourceServerOptions.setDpopReplayCacheSize if this is real traffic.");
  }

  /** The request URI as RFC 9449 §4.3 compares it: scheme and host without case, no query. */
  static boolean sameUri(String htu, String requestUri) {
    try {
      java.net.URI a = new java.net.URI(htu);
      java.net.URI b = new java.net.URI(requestUri);
      return a.getScheme() != null
          && a.getScheme().equalsIgnoreCase(b.getScheme())
          && a.getHost() != null
          && a.getHost().equalsIgnoreCase(b.getHost())
          && port(a) == port(b)
          && normalPath(a).equals(normalPath(b));
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  private static int port(java.net.URI u) {
    if (u.getPort() != -1) {
      return u.getPort();
    }
    return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  private static String normalPath(java.net.URI u) {
    String p = u.getRawPath();
    return p == null || p.isEmpty() ? "/" : p;
  }

  /** RFC 7638 thumbprint of an EC or RSA public JWK: what {@code cnf.jkt} holds. */
  static String thumbprint(JsonObject jwk) {
    String canonical;
    String kty = string(jwk, "kty");
    if ("EC".equals(kty)) {
      canonical =
          "{\"crv\":\""
              + string(jwk, "crv")
              + "\",\"kty\":\"EC\",\"x\":\""
              + string(jwk, "x")
              + "\",\"y\":\""
              + string(jwk, "y")
              + "\"}";
    } else if ("RSA".equals(kty)) {
      canonical =
          "{\"e\":\"" + string(jwk, "e") + "\",\"kty\":\"RSA\",\"n\":\"" + string(jwk, "n") + "\"}";
    } else {
      throw InvalidTokenException.invalidProof("the DPoP proof's jwk has an unsupported kty");
    }
    return digest(canonical.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(String s) {
    return digest(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static String digest(byte[] bytes) {
    try {
      return B64E.encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  private static PublicKey publicKey(JsonObject jwk, String alg) {
    try {
      String kty = string(jwk, "kty");
      if (alg.equals("ES256")) {
        if (!"EC".equals(kty) || !"P-256".equals(jwk.getValue("crv"))) {
          throw InvalidTokenException.invalidProof("ES256 needs a P-256 jwk");
        }
        ECPoint w = new ECPoint(unsigned(string(jwk, "x")), unsigned(string(jwk, "y")));
        // The JDK checks the point is on the curve (invalid-curve attacks) when verifying.
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, P256));
      }
      if (!"RSA".equals(kty)) {
        throw InvalidTokenException.invalidProof(alg + " needs an RSA jwk");
      }
      BigInteger n = unsigned(string(jwk, "n"));
      if (n.bitLength() < 2048) {
        throw InvalidTokenException.invalidProof(
            "the DPoP proof's RSA key is shorter than 2048 bits");
      }
      return KeyFactory.getInstance("RSA")
          .generatePublic(new RSAPublicKeySpec(n, unsigned(string(jwk, "e"))));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw InvalidTokenException.invalidProof("the DPoP proof's jwk is not a valid public key");
    }
  }

  private static boolean verify(String alg, PublicKey key, String[] parts) {
    try {
      Signature s =
          switch (alg) {
            case "ES256" -> Signature.getInstance("SHA256withECDSAinP1363Format");
            case "RS256" -> Signature.getInstance("SHA256withRSA");
            default -> {
              Signature pss = Signature.getInstance("RSASSA-PSS");
              pss.setParameter(
                  new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
              yield pss;
            }
          };
      s.initVerify(key);
      s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      return s.verify(B64.decode(parts[2]));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private static JsonObject json(String part) {
    try {
      return new JsonObject(new String(B64.decode(part), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      throw InvalidTokenException.invalidProof("the DPoP proof is not a JWS of JSON objects");
    }
  }

  private static String string(JsonObject o, String name) {
    if (o.getValue(name) instanceof String s) {
      return s;
    }
    throw InvalidTokenException.invalidProof(
        "the DPoP proof's jwk lacks " + name.toLowerCase(Locale.ROOT));
  }

  private static BigInteger unsigned(String b64) {
    return new BigInteger(1, B64.decode(b64));
  }

  private static ECParameterSpec p256() {
    try {
      var params = java.security.AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      return params.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 is unavailable", e);
    }
  }
}
