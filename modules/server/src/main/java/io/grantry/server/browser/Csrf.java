package io.grantry.server.browser;

import io.vertx.core.http.Cookie;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * CSRF tokens for the forms of the sign-in, consent and account pages: a browser-id cookie (256
 * random bits, HttpOnly, SameSite=Lax, {@code __Host-} prefixed and Secure when the issuer is
 * https) and a token that is HMAC(browser id). A form posted without the token, or with another
 * browser's, is refused. The browser id is replaced at sign-in ({@link #rotate}), so a token
 * planted in a page before the person signed in is worthless after.
 */
public final class Csrf {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The browser id set in this response, for the token of the page it renders. */
  private static final String FRESH = "grantry.csrf.bid";

  private final SignedValues tags;
  private final BrowserCookies cookies;

  public Csrf(byte[] serverSecret, BrowserCookies cookies) {
    this.tags = new SignedValues(serverSecret, "csrf");
    this.cookies = cookies;
  }

  /** The CSRF token for this browser, setting a browser id cookie first if it has none. */
  public String token(RoutingContext ctx) {
    String bid = ctx.get(FRESH);
    if (bid == null) {
      Cookie c = ctx.request().getCookie(cookies.browserName());
      bid = c != null && c.getValue().length() >= 32 ? c.getValue() : null;
    }
    if (bid == null) {
      bid = newBrowserId(ctx);
    }
    return tags.tag(bid);
  }

  /** True when {@code presented} is the token of the browser id this request carries. */
  public boolean valid(RoutingContext ctx, String presented) {
    Cookie c = ctx.request().getCookie(cookies.browserName());
    return c != null && c.getValue().length() >= 32 && tags.tagMatches(c.getValue(), presented);
  }

  /** A new browser id for this browser (at sign-in): tokens issued before no longer match. */
  public void rotate(RoutingContext ctx) {
    newBrowserId(ctx);
  }

  private String newBrowserId(RoutingContext ctx) {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    String bid = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    ctx.put(FRESH, bid);
    ctx.response().removeCookie(cookies.browserName(), false);
    ctx.response().addCookie(cookies.cookie(cookies.browserName(), bid));
    return bid;
  }
}
