package io.grantry.resource;

import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Validates one access token: a JWT (RFC 9068) offline with the issuer's keys, anything else by
 * introspection (RFC 7662). The answer is the token's claims, or an {@link InvalidTokenException}
 * saying why not.
 *
 * <p>What vertx-auth-jwt does here, and what it cannot: it verifies the signature with the key the
 * {@code kid} names (or each key of the {@code alg} without one), refuses {@code alg: none}, and
 * checks {@code iss}, {@code aud} and {@code exp}/{@code nbf} with the leeway. It ignores the
 * header's {@code typ} (a token typed {@code JWT}, an id_token for instance, would pass), and it
 * accepts a token without {@code exp}: both are checked here, before and after it (RFC 9068 §2.1,
 * §4). The {@code alg} is checked against our list here too, before any key is looked up.
 */
final class AccessTokenVerifier {
  private static final Base64.Decoder B64 = Base64.getUrlDecoder();
  private static final int MAX_TOKEN_LENGTH = 8192;

  private final IssuerKeys keys;
  private final Introspection introspection;
  private final List<String> algorithms;

  AccessTokenVerifier(IssuerKeys keys, Introspection introspection, List<String> algorithms) {
    this.keys = keys;
    this.introspection = introspection;
    this.algorithms = algorithms;
  }

  Future<JsonObject> verify(String token) {
    if (token.length() > MAX_TOKEN_LENGTH) {
      return Future.failedFuture(InvalidTokenException.invalidToken("the token is too long"));
    }
    JsonObject header = jwtHeader(token);
    if (header == null) {
      if (introspection == null) {
        return Future.failedFuture(
            InvalidTokenException.invalidToken(
                "the token is not a JWT, and this API has no introspection client"));
      }
      return introspection.claims(token);
    }
    // RFC 9068 §4: typ must be at+jwt (or its full media type), told apart from other JWTs.
    Object typ = header.getValue("typ");
    if (!(typ instanceof String t)
        || !(t.equalsIgnoreCase("at+jwt") || t.equalsIgnoreCase("application/at+jwt"))) {
      return Future.failedFuture(
          InvalidTokenException.invalidToken("the token is not an access token (typ at+jwt)"));
    }
    if (!(header.getValue("alg") instanceof String alg) || !algorithms.contains(alg)) {
      return Future.failedFuture(
          InvalidTokenException.invalidToken("the token's alg is not accepted"));
    }
    String kid = header.getValue("kid") instanceof String k ? k : null;
    IssuerKeys.Keys held = keys.current();
    if (kid != null && !held.kids().contains(kid)) {
      // A kid we have not seen: the issuer may have rotated its keys since our last fetch.
      return keys.refreshFor(kid).compose(k -> authenticate(k, token));
    }
    return authenticate(held, token);
  }

  private Future<JsonObject> authenticate(IssuerKeys.Keys held, String token) {
    return held.provider()
        .authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(reason(e)))
        .compose(this::claims);
  }

  private Future<JsonObject> claims(User user) {
    JsonObject claims = user.attributes().getJsonObject("accessToken");
    if (claims == null || !(claims.getValue("exp") instanceof Number)) {
      return Future.failedFuture(InvalidTokenException.invalidToken("the token has no exp"));
    }
    return Future.succeededFuture(claims);
  }

  /** What vertx-auth-jwt said, as a description that names no key and no token. */
  private static InvalidTokenException reason(Throwable e) {
    if (e instanceof NoSuchKeyIdException) {
      return InvalidTokenException.invalidToken(
          "the token is signed with a key the issuer does not publish");
    }
    String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
    if (m.contains("audience")) {
      return InvalidTokenException.invalidToken("the token is not meant for this audience");
    }
    if (m.contains("issuer")) {
      return InvalidTokenException.invalidToken("the token is from another issuer");
    }
    if (m.contains("expired")) {
      // vertx-auth-jwt says "expired" for a token not yet valid (nbf, iat) too.
      return InvalidTokenException.invalidToken("the token has expired or is not valid yet");
    }
    return InvalidTokenException.invalidToken("the token's signature does not verify");
  }

  /** The JOSE header of a compact JWS, or null if {@code token} is not one (an opaque token). */
  static JsonObject jwtHeader(String token) {
    int first = token.indexOf('.');
    if (first <= 0 || token.indexOf('.', first + 1) < 0) {
      return null;
    }
    try {
      return new JsonObject(
          new String(B64.decode(token.substring(0, first)), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      return null;
    }
  }
}
