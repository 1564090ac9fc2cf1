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
    MultiMap form = ctx.request().formAttributes();
    for (String name : form.names()) {
      if (form.getAll(name).size() > 1) {
        OAuthResponses.error(ctx, OAuthError.invalidRequest("the parameter " + name + " is repeated"), false);
        return null;
      }
    }
    return form;
  }
}
