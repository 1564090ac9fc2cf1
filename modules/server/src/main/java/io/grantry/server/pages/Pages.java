package io.grantry.server.pages;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Renders the server's HTML pages from precompiled jte templates (HTML content type: everything
 * interpolated is escaped for its context) and sets the headers every page carries.
 */
public final class Pages {
  private static final TemplateEngine ENGINE = TemplateEngine.createPrecompiled(ContentType.Html);

  /**
   * Content Security Policy of every page: nothing from elsewhere, no framing, no inline script.
   */
  public static final String CSP =
      "default-src 'none'; style-src 'self'; img-src 'self' https: data:;"
          + " frame-ancestors 'none'; base-uri 'none'";

  private Pages() {}

  public static String render(String template, Object model) {
    StringOutput out = new StringOutput();
    ENGINE.render(template, Map.of("page", model), out);
    return out.toString();
  }

  public static void securityHeaders(HttpServerResponse r) {
    r.putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Pragma", "no-cache");
  }

  public static void send(RoutingContext ctx, int status, String template, Object model) {
    HttpServerResponse r = ctx.response().setStatusCode(status);
    securityHeaders(r);
    r.putHeader("Content-Type", "text/html; charset=utf-8").end(render(template, model));
  }

  /**
   * An authorization response in form post mode: {@code form-post.jte} with a policy of its own
   * that lets the page run exactly its one script and post its form only to {@code formAction} (a
   * CSP source expression for the redirect URI).
   */
  public static void formPost(RoutingContext ctx, FormPostPage page, String formAction) {
    HttpServerResponse r = ctx.response().setStatusCode(200);
    securityHeaders(r);
    r.putHeader(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; script-src "
                + FormPostPage.SCRIPT_HASH
                + "; form-action "
                + formAction
                + "; frame-ancestors 'none'; base-uri 'none'")
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end(render("form-post.jte", page));
  }

  public static void error(
      RoutingContext ctx, int status, String title, String message, String code) {
    send(ctx, status, "error.jte", new ErrorPage(title, message, code, ctx.get("requestId")));
  }
}
