package io.grantry.server.browser;

import io.vertx.core.http.Cookie;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The session cookie: which user and session, the session's secret (whose SHA-256 the server
 * keeps), and when the browser last used it. The value is signed (HMAC, {@link SignedValues}) and
 * expires at the earlier of the session's absolute end and {@code seen + idle}: the idle clock runs
 * in the signed stamp, which is renewed at most once a minute as the session is used, so keeping a
 * session alive costs no write. Whether the session was ended, and its absolute lifetime, are the
 * server's: a valid cookie of an ended session signs nobody in.
 */
public final class SessionCookie {
  /** How stale the stamp may get before a request renews it. */
  static final Duration RENEW_AFTER = Duration.ofMinutes(1);

  private final SignedValues values;
  private final BrowserCookies cookies;
  private final Duration idle;

  /** What the cookie says (checked against the server's sessions before anything trusts it). */
  public record Value(String userId, String sessionId, String secret, Instant seen) {}

  public SessionCookie(byte[] serverSecret, BrowserCookies cookies, Duration idle) {
    this.values = new SignedValues(serverSecret, "session/v2");
    this.cookies = cookies;
    this.idle = idle;
  }

  /** The cookie's value when it is signed by us and neither idle nor past its lifetime. */
  public Optional<Value> read(RoutingContext ctx, Instant now) {
    Cookie c = ctx.request().getCookie(cookies.sessionName());
    if (c == null) {
      return Optional.empty();
    }
    return values
        .verify(c.getValue(), now)
        .flatMap(
            v -> {
              String uid = v.getString("uid");
              String sid = v.getString("sid");
              String sec = v.getString("sec");
              Long seen = v.getLong("seen");
              return uid == null || sid == null || sec == null || seen == null
                  ? Optional.empty()
                  : Optional.of(new Value(uid, sid, sec, Instant.ofEpochSecond(seen)));
            });
  }

  /** Sets the cookie for {@code value}, whose session ends for good at {@code expiresAt}. */
  public void write(RoutingContext ctx, Value value, Instant expiresAt) {
    Instant idleEnd = value.seen().plus(idle);
    Instant end = idleEnd.isBefore(expiresAt) ? idleEnd : expiresAt;
    String signed =
        values.sign(
            new JsonObject()
                .put("uid", value.userId())
                .put("sid", value.sessionId())
                .put("sec", value.secret())
                .put("seen", value.seen().getEpochSecond()),
            end);
    ctx.response().removeCookie(cookies.sessionName(), false);
    ctx.response()
        .addCookie(
            cookies
                .cookie(cookies.sessionName(), signed)
                .setMaxAge(Math.max(1, Duration.between(value.seen(), expiresAt).toSeconds())));
  }

  /** Renews the idle stamp when it is older than a minute. */
  public void touch(RoutingContext ctx, Value value, Instant expiresAt, Instant now) {
    if (value.seen().plus(RENEW_AFTER).isBefore(now)) {
      write(ctx, new Value(value.userId(), value.sessionId(), value.secret(), now), expiresAt);
    }
  }

  public void clear(RoutingContext ctx) {
    ctx.response().removeCookie(cookies.sessionName(), false);
    ctx.response().addCookie(cookies.cookie(cookies.sessionName(), "").setMaxAge(0));
  }
}
