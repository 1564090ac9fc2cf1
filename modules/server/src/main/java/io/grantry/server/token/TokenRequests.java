package io.grantry.server.token;

import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.http.FormBody;
import io.grantry.server.http.OAuthResponses;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/** What the form-posting endpoints (token, revoke, introspect) check before anything else. */
final class TokenRequests {
  private TokenRequests() {}

  /**
   * The form, or null after answering invalid_request for a wrong content type or a repeated
   * parameter.
   */
  static MultiMap form(RoutingContext ctx) {
    MultiMap form = parsed(ctx);
    if (form == null) {
      return null;
    }
    for (String name : form.names()) {
      if (form.getAll(name).size() > 1) {
        OAuthResponses.error(
            ctx, OAuthError.invalidRequest("the parameter " + name + " is repeated"));
        return null;
      }
    }
    return form;
  }

  /**
   * The body read by {@link FormBody} parsed as a form (repeats kept), or null after answering
   * invalid_request for parameters in the URL's query, a wrong content type or a body that is not
   * validly percent-encoded UTF-8.
   */
  static MultiMap parsed(RoutingContext ctx) {
    String query = ctx.request().query();
    if (query != null && !query.isEmpty()) {
      // RFC 6749 §4.1.3 and §6, RFC 7009 §2.1, RFC 7662 §2.1: the parameters go in the body.
      // Some providers' documents show them in the URL of the POST; but a URL is written to access
      // logs, proxy logs and browser histories, so a code, a refresh token or a secret in it has
      // leaked by the time we read it. Refused even with a body, so that a client learns it at
      // its first try.
      OAuthResponses.error(
          ctx,
          OAuthError.invalidRequest(
              "send the parameters in the form body (application/x-www-form-urlencoded),"
                  + " not in the URL query: URLs are logged"));
      return null;
    }
    if (!FormBody.isForm(ctx.request().getHeader("Content-Type"))) {
      OAuthResponses.error(
          ctx, OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded"));
      return null;
    }
    try {
      return FormBody.parse(FormBody.body(ctx));
    } catch (FormBody.MalformedFormException e) {
      OAuthResponses.error(ctx, OAuthError.invalidRequest(e.getMessage()));
      return null;
    }
  }
}
