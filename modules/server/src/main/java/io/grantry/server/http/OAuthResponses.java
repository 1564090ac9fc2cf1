package io.grantry.server.http;

import io.grantry.domain.authorize.ResponseMode;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.pages.FormPostPage;
import io.grantry.server.pages.Pages;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place OAuth answers are written: authorization responses to the client (always with
 * {@code iss}, RFC 9207), redirected or posted as the request's response mode says, and JSON
 * responses of the token, revocation and introspection endpoints (RFC 6749 §5.1, §5.2).
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

  /** The authorization response of a code: {@code code}, {@code state}, {@code iss}. */
  public static void authorizationCode(
      RoutingContext ctx,
      ResponseMode mode,
      String redirectUri,
      String code,
      String state,
      String issuer) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("code", code);
    p.put("state", state);
    p.put("iss", issuer);
    authorizationResponse(ctx, mode, redirectUri, p);
  }

  /** An authorization error response (RFC 6749 §4.1.2.1), with {@code iss}. */
  public static void authorizationError(
      RoutingContext ctx,
      ResponseMode mode,
      String redirectUri,
      OAuthError error,
      String state,
      String issuer) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("error", error.code().wire());
    p.put("error_description", error.description());
    p.put("state", state);
    p.put("iss", issuer);
    authorizationResponse(ctx, mode, redirectUri, p);
  }

  /**
   * {@code params} to the client at {@code redirectUri}: added to its query in a 303 redirect, or
   * (form_post) as the hidden fields of a form the browser posts there at once.
   */
  public static void authorizationResponse(
      RoutingContext ctx, ResponseMode mode, String redirectUri, Map<String, String> params) {
    if (mode != ResponseMode.FORM_POST) {
      redirect(ctx, redirectUri, params);
      return;
    }
    List<FormPostPage.Field> fields = new ArrayList<>();
    params.forEach(
        (k, v) -> {
          if (v != null) {
            fields.add(new FormPostPage.Field(k, v));
          }
        });
    Pages.formPost(ctx, new FormPostPage(redirectUri, fields), formAction(redirectUri));
  }

  /**
   * The CSP source expression that allows a form to post to {@code redirectUri} and nowhere else:
   * its scheme, host, port and path (CSP matches a path without a trailing slash exactly; the query
   * is not part of a source expression), with the characters that would end a directive or a source
   * list ({@code ;} and {@code ,}) percent-encoded.
   */
  public static String formAction(String redirectUri) {
    URI u = URI.create(redirectUri);
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    return (u.getScheme() + "://" + u.getRawAuthority() + path)
        .replace(";", "%3B")
        .replace(",", "%2C")
        .replace(" ", "%20");
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
