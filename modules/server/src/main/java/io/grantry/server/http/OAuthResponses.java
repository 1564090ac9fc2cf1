package io.grantry.server.http;

import io.grantry.domain.oauth.OAuthError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place OAuth answers are written: authorization responses redirected to the client (always
 * with {@code iss}, RFC 9207), and JSON responses of the token, revocation and introspection
 * endpoints (RFC 6749 §5.1, §5.2).
 */
public final class OAuthResponses {
  private OAuthResponses() {}

  /** 303 See Other to {@code redirectUri} with these query parameters added (RFC 6749 §4.1.2). */
  public static void redirect(RoutingContext ctx, String redirectUri, Map<String, String> params) {
    StringBuilder sb = new StringBuilder(redirectUri);
    char sep = redirectUri.indexOf('?') >= 0 ? '&' : '?';
    for (var e : params.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      sb.append(sep).append(enc(e.getKey())).append('=').append(enc(e.getValue()));
      sep = '&';
    }
    ctx.response()
        .setStatusCode(303)
        .putHeader("Location", sb.toString())
        .putHeader("Cache-Control", "no-store")
        .putHeader("Referrer-Policy", "no-referrer")
        .end();
  }

  public static void redirectCode(
      RoutingContext ctx, String redirectUri, String code, String state, String issuer) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("code", code);
    p.put("state", state);
    p.put("iss", issuer);
    redirect(ctx, redirectUri, p);
  }

  public static void redirectError(
      RoutingContext ctx, String redirectUri, OAuthError error, String state, String issuer) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("error", error.code().wire());
    p.put("error_description", error.description());
    p.put("state", state);
    p.put("iss", issuer);
    redirect(ctx, redirectUri, p);
  }

  /** A JSON answer that must never be cached (token responses, RFC 6749 §5.1). */
  public static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return; // answered already, e.g. 503 by the request timeout
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json;charset=UTF-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Pragma", "no-cache")
        .end(body.encode());
  }

  /**
   * An RFC 6749 §5.2 error. {@code invalid_client} is 401 with a {@code WWW-Authenticate}
   * challenge, whatever the client sent: §5.2 requires it when the client used the Authorization
   * header, and RFC 7235 §3.1 requires every 401 to carry one, so a client that sent no
   * credentials, form credentials, a malformed header or another scheme learns the scheme we accept
   * (Basic).
   */
  public static void error(RoutingContext ctx, OAuthError error) {
    int status = error.code().httpStatus();
    if (error.code() == OAuthError.Code.INVALID_CLIENT) {
      status = 401;
      ctx.response().putHeader("WWW-Authenticate", BASIC_CHALLENGE);
    }
    json(
        ctx,
        status,
        new JsonObject()
            .put("error", error.code().wire())
            .put("error_description", error.description()));
  }

  /** The challenge of a 401 from the client-authenticating endpoints. */
  public static final String BASIC_CHALLENGE = "Basic realm=\"grantry\", charset=\"UTF-8\"";

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
