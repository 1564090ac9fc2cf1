package io.grantry.server.browser;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The browser's side of signing in: a signed session cookie (who, since when) and a browser id
 * cookie that CSRF tokens are bound to. Both HttpOnly and SameSite=Lax, Secure when the issuer is
 * https. A CSRF token is HMAC(browser id): a form posted without it, or with the token of another
 * browser, is refused.
 */
public final class BrowserSession {
  public static final String SESSION_COOKIE = "grantry_session";
  public static final String BROWSER_COOKIE = "grantry_bid";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SignedValues sessions;
  private final SignedValues csrf;
  private final boolean secure;
  private final Duration lifetime;

  /** A signed-in user: who, and when they last entered their password (OIDC auth_time). */
  public record Session(String userId, String username, Instant authTime) {}

  public BrowserSession(byte[] serverSecret, boolean secure, Duration lifetime) {
    this.sessions = new SignedValues(serverSecret, "session");
    this.csrf = new SignedValues(serverSecret, "csrf");
    this.secure = secure;
    this.lifetime = lifetime;
  }

  public Optional<Session> current(RoutingContext ctx, Instant now) {
    Cookie c = ctx.request().getCookie(SESSION_COOKIE);
    return c == null
        ? Optional.empty()
        : sessions
            .verify(c.getValue(), now)
            .map(
                v ->
                    new Session(
                        v.getString("uid"),
                        v.getString("name"),
                        Instant.ofEpochSecond(v.getLong("at", 0L))));
  }

  public void signIn(RoutingContext ctx, Session s, Instant now) {
    String value =
        sessions.sign(
            new JsonObject()
                .put("uid", s.userId())
                .put("name", s.username())
                .put("at", s.authTime().getEpochSecond()),
            now.plus(lifetime));
    ctx.response().addCookie(cookie(SESSION_COOKIE, value).setMaxAge(lifetime.toSeconds()));
  }

  public void signOut(RoutingContext ctx) {
    ctx.response().addCookie(cookie(SESSION_COOKIE, "").setMaxAge(0));
  }

  /** The CSRF token for this browser, setting a browser id cookie first if it has none. */
  public String csrfToken(RoutingContext ctx) {
    Cookie c = ctx.request().getCookie(BROWSER_COOKIE);
    String bid = c != null && c.getValue().length() >= 32 ? c.getValue() : null;
    if (bid == null) {
      bid = (String) ctx.get(BROWSER_COOKIE);
    }
    if (bid == null) {
      byte[] b = new byte[32];
      RANDOM.nextBytes(b);
      bid = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
      ctx.put(BROWSER_COOKIE, bid);
      ctx.response().addCookie(cookie(BROWSER_COOKIE, bid));
    }
    return csrf.tag(bid);
  }

  /** True when the posted token is this browser's. */
  public boolean csrfValid(RoutingContext ctx, String presented) {
    Cookie c = ctx.request().getCookie(BROWSER_COOKIE);
    return c != null && csrf.tagMatches(c.getValue(), presented);
  }

  private Cookie cookie(String name, String value) {
    return Cookie.cookie(name, value)
        .setPath("/")
        .setHttpOnly(true)
        .setSecure(secure)
        .setSameSite(CookieSameSite.LAX);
  }
}
