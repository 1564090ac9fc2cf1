package io.grantry.server.browser;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;

/**
 * The names and attributes of the cookies Grantry sets: HttpOnly, SameSite=Lax, Path=/ and no
 * Domain always; where the issuer is https, Secure and the {@code __Host-} prefix, which makes a
 * browser refuse the cookie unless it was set over https by this very host (RFC 6265bis §4.1.3.2),
 * so a sibling subdomain cannot plant or overwrite it.
 */
public final class BrowserCookies {
  private final boolean secure;

  public BrowserCookies(boolean secure) {
    this.secure = secure;
  }

  /** For an issuer: https gets Secure {@code __Host-} cookies. */
  public static BrowserCookies forIssuer(String issuer) {
    return new BrowserCookies(issuer.startsWith("https://"));
  }

  public String sessionName() {
    return name("grantry_session");
  }

  public String browserName() {
    return name("grantry_bid");
  }

  private String name(String base) {
    return secure ? "__Host-" + base : base;
  }

  Cookie cookie(String name, String value) {
    return Cookie.cookie(name, value)
        .setPath("/")
        .setHttpOnly(true)
        .setSecure(secure)
        .setSameSite(CookieSameSite.LAX);
  }
}
