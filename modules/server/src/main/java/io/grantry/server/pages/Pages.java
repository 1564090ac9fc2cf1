package io.grantry.server.pages;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/**
 * Renders the server's HTML pages from precompiled jte templates (HTML content type: everything
 * interpolated is escaped for its context) in the request's language ({@link PageLanguage}, the
 * words from {@link Messages}) under the operator's branding ({@link Look}), and sets the headers
 * every page carries.
 */
public final class Pages {
  private static final TemplateEngine ENGINE = TemplateEngine.createPrecompiled(ContentType.Html);

  private static final String LOOK = "grantry.look";

  private Pages() {}

  /**
   * {@code template} with {@code model} as {@code page}, in the words of {@code t} and under {@code
   * look}.
   */
  public static String render(String template, Object model, Messages t, Look look) {
    StringOutput out = new StringOutput();
    ENGINE.render(template, Map.of("page", model, "t", t, "look", look), out);
    return out.toString();
  }

  /** Makes {@code look} the look of every page this request renders ({@code BrandRoutes}). */
  public static void use(RoutingContext ctx, Look look) {
    ctx.put(LOOK, look);
  }

  /** The look of this request's pages: the operator's branding, or Grantry's own. */
  public static Look look(RoutingContext ctx) {
    Look look = ctx.get(LOOK);
    return look == null ? Look.DEFAULT : look;
  }

  /**
   * The headers every page carries. {@code policy}: its Content Security Policy (nothing from
   * elsewhere, no framing, no inline script or style, {@link Look#contentSecurityPolicy}).
   */
  public static void securityHeaders(HttpServerResponse r, String policy) {
    r.putHeader("Content-Security-Policy", policy)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Pragma", "no-cache");
  }

  /**
   * {@code template} with {@code model}, in the language of the request ({@link PageLanguage}) and
   * under its look.
   */
  public static void send(RoutingContext ctx, int status, String template, Object model) {
    Look look = look(ctx);
    HttpServerResponse r = ctx.response().setStatusCode(status);
    securityHeaders(r, look.contentSecurityPolicy());
    r.putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Vary", "Accept-Language")
        .end(render(template, model, PageLanguage.of(ctx), look));
  }

  /**
   * An authorization response in form post mode: {@code form-post.jte} with a policy of its own
   * that lets the page run exactly its one script and post its form only to {@code formAction} (a
   * CSP source expression for the redirect URI).
   */
  public static void formPost(RoutingContext ctx, FormPostPage page, String formAction) {
    HttpServerResponse r = ctx.response().setStatusCode(200);
    securityHeaders(
        r,
        "default-src 'none'; style-src 'self'; script-src "
            + FormPostPage.SCRIPT_HASH
            + "; form-action "
            + formAction
            + "; frame-ancestors 'none'; base-uri 'none'");
    r.putHeader("Content-Type", "text/html; charset=utf-8")
        .end(render("form-post.jte", page, PageLanguage.of(ctx), look(ctx)));
  }

  /** An error page: {@code title} and {@code message} in the request's language. */
  public static void error(RoutingContext ctx, int status, Text title, Text message, String code) {
    send(ctx, status, "error.jte", new ErrorPage(title, message, code, ctx.get("requestId")));
  }

  /** An error page titled "This request cannot be completed". */
  public static void cannotComplete(RoutingContext ctx, Text message, String code) {
    error(ctx, 400, Text.of("error.cannotComplete"), message, code);
  }

  /** 403 for a form this browser's page did not send (CSRF), {@code message} saying which. */
  public static void csrfRefused(RoutingContext ctx, Text message) {
    error(ctx, 403, Text.of("error.refused"), message, "csrf");
  }
}
