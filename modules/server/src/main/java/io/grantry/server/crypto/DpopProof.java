package io.grantry.server.crypto;

import io.grantry.domain.client.ClientKeyRules;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * A DPoP proof (RFC 9449 §4.2) whose form and signature hold: a compact JWS with {@code typ} {@code
 * dpop+jwt}, an asymmetric {@code alg}, the public key in the header's {@code jwk} (a key with a
 * private or symmetric part is refused), verifying with that key, and the claims {@code jti},
 * {@code htm}, {@code htu} and {@code iat}. What it is checked against (the request, the time,
 * earlier proofs) is the caller's ({@code DpopProofs}).
 *
 * @param jkt the RFC 7638 SHA-256 thumbprint of the key: what a token is bound to
 */
public record DpopProof(
    String jkt,
    String jti,
    String htm,
    String htu,
    long iat,
    Optional<String> ath,
    Optional<String> nonce) {

  /** The longest jti we keep track of. */
  public static final int MAX_JTI_LENGTH = 256;

  /** Checks the form and the signature of {@code compact}. */
  public static DpopProof parse(String compact) throws InvalidJwsException {
    ForeignJws jws = ForeignJws.parse(compact);
    if (!"dpop+jwt".equals(jws.header().getValue("typ"))) {
      throw new InvalidJwsException("typ is not dpop+jwt");
    }
    if (!jws.alg().asymmetric()) {
      throw new InvalidJwsException("a DPoP proof is signed with an asymmetric algorithm");
    }
    if (!(jws.header().getValue("jwk") instanceof JsonObject jwk)) {
      throw new InvalidJwsException("no jwk in the header");
    }
    Optional<String> problem = ClientKeyRules.keyProblem(jwk);
    if (problem.isPresent()) {
      throw new InvalidJwsException("the jwk " + problem.get());
    }
    if (!jws.alg().keyType().equals(jwk.getValue("kty"))) {
      throw new InvalidJwsException("the jwk is not a key of the alg");
    }
    PublicKey key;
    try {
      key = SigningKeys.publicKey(jwk);
    } catch (IllegalArgumentException e) {
      throw new InvalidJwsException("the jwk is not a usable public key");
    }
    if (!jws.verifies(key)) {
      throw new InvalidJwsException("the signature does not verify with the jwk");
    }
    JsonObject c = jws.payload();
    if (!(c.getValue("jti") instanceof String jti)
        || jti.isEmpty()
        || jti.length() > MAX_JTI_LENGTH) {
      throw new InvalidJwsException("no jti");
    }
    if (!(c.getValue("htm") instanceof String htm)) {
      throw new InvalidJwsException("no htm");
    }
    if (!(c.getValue("htu") instanceof String htu)) {
      throw new InvalidJwsException("no htu");
    }
    if (!(c.getValue("iat") instanceof Number iat)) {
      throw new InvalidJwsException("no iat");
    }
    Object ath = c.getValue("ath");
    Object nonce = c.getValue("nonce");
    if (ath != null && !(ath instanceof String) || nonce != null && !(nonce instanceof String)) {
      throw new InvalidJwsException("ath and nonce are strings");
    }
    return new DpopProof(
        SigningKeys.thumbprint(jwk),
        jti,
        htm,
        htu,
        iat.longValue(),
        Optional.ofNullable((String) ath),
        Optional.ofNullable((String) nonce));
  }

  /** {@code ath} of an access token: base64url(SHA-256(token)) (RFC 9449 §4.2). */
  public static String ath(String accessToken) {
    try {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              MessageDigest.getInstance("SHA-256")
                  .digest(accessToken.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An HTTP URI as RFC 9449 §4.3 compares them: without query and fragment, scheme and host in
   * lower case, the default port left out (RFC 3986 §6.2.2-3); null if it is not an absolute
   * http(s) URI.
   */
  public static String normalizedHtu(String uri) {
    try {
      URI u = new URI(uri);
      String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
      if (!"https".equals(scheme) && !"http".equals(scheme) || u.getHost() == null) {
        return null;
      }
      int port = u.getPort();
      boolean defaultPort =
          port == -1
              || port == 443 && "https".equals(scheme)
              || port == 80 && "http".equals(scheme);
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      return scheme
          + "://"
          + u.getHost().toLowerCase(Locale.ROOT)
          + (defaultPort ? "" : ":" + port)
          + path;
    } catch (URISyntaxException e) {
      return null;
    }
  }
}
