package io.grantry.server.token;

import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.http.OAuthResponses;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/** What the form-posting endpoints (token, revoke, introspect) check before anything else. */
final class TokenRequests {
  private TokenRequests() {}

  /** The form, or null after answering invalid_request for a wrong content type or a repeated parameter. */
  static MultiMap form(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      OAuthResponses.error(ctx, OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded"), false);
      return null;
    }
    if (!wellEncoded(ctx)) {
      OAuthResponses.error(ctx, OAuthError.invalidRequest("the body is not validly percent-encoded UTF-8"), false);
      return null;
    }
    MultiMap form = ctx.request().formAttributes();
    for (String name : form.names()) {
      if (form.getAll(name).size() > 1) {
        OAuthResponses.error(ctx, OAuthError.invalidRequest("the parameter " + name + " is repeated"), false);
        return null;
      }
    }
    return form;
  }

  /**
   * Whether the body is a well-formed application/x-www-form-urlencoded payload: every '%' starts
   * a two-digit hex escape and the decoded bytes are UTF-8. The form decoder is lenient (a stray
   * '%' stays a '%'), so a malformed value would otherwise reach the grant as something else.
   */
  static boolean wellEncoded(RoutingContext ctx) {
    io.vertx.core.buffer.Buffer body = ctx.body().buffer();
    if (body == null) {
      return true;
    }
    byte[] raw = body.getBytes();
    java.io.ByteArrayOutputStream decoded = new java.io.ByteArrayOutputStream(raw.length);
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '%') {
        if (i + 2 >= raw.length || Character.digit(raw[i + 1], 16) < 0 || Character.digit(raw[i + 2], 16) < 0) {
          return false;
        }
        decoded.write(Character.digit(raw[i + 1], 16) * 16 + Character.digit(raw[i + 2], 16));
        i += 2;
      } else {
        decoded.write(b == '&' || b == '=' ? ' ' : b);
      }
    }
    try {
      java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(decoded.toByteArray()));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }
}
