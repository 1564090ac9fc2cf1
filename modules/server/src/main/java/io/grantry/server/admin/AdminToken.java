package io.grantry.server.admin;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin API's only credential: {@code Authorization: Bearer <GRANTRY_ADMIN_TOKEN>} (RFC 6750
 * §2.1). Runs before the body is read and before validation, so an unauthenticated caller learns
 * nothing about the API, not even which paths exist. With no admin token configured every request
 * is refused.
 *
 * <p>A {@link SecurityPolicyHandler} rather than an authentication handler, because Vert.x Web
 * orders those after the body handler, and the token is to be checked before any body is read.
 *
 * <p>The comparison is constant time: both sides are hashed with SHA-256 first, so neither the
 * position of the first differing byte nor the token's length shows in the response time.
 */
final class AdminToken implements SecurityPolicyHandler {
  private static final String REALM = "grantry-admin";
  private final byte[] expected;

  /**
   * @param token the configured admin token, or null when none is configured
   */
  AdminToken(String token) {
    this.expected = token == null ? null : sha256(token);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String presented = bearer(header);
    if (expected != null
        && presented != null
        && MessageDigest.isEqual(expected, sha256(presented))) {
      ctx.next();
      return;
    }
    // RFC 6750 §3: no error code when the request carried no credentials; invalid_token when it
    // did.
    String challenge =
        presented == null
            ? "Bearer realm=\"" + REALM + "\""
            : "Bearer realm=\"" + REALM + "\", error=\"invalid_token\"";
    ctx.response()
        .setStatusCode(401)
        .putHeader("WWW-Authenticate", challenge)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(
            new JsonObject()
                .put("error", "unauthorized")
                .put(
                    "error_description",
                    "The admin API needs 'Authorization: Bearer <GRANTRY_ADMIN_TOKEN>'.")
                .encode());
  }

  /**
   * The token of a {@code Bearer} authorization header (scheme case-insensitive, RFC 7235 §2.1), or
   * null.
   */
  static String bearer(String header) {
    if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
