package io.grantry.server.sessions;

import io.grantry.domain.user.SessionEndReason;
import io.grantry.domain.user.UserState;
import io.grantry.server.app.Aggregate;
import io.grantry.server.browser.Csrf;
import io.grantry.server.browser.SessionCookie;
import io.grantry.server.http.TrustedProxies;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Optional;

/**
 * The browser's side of a session: the cookie that carries it ({@link SessionCookie}), checked at
 * every request that trusts it against the server's live sessions ({@link SessionService}). A
 * cookie that fails the check is removed.
 */
public final class BrowserSessions {
  private final SessionService sessions;
  private final SessionCookie cookie;
  private final Csrf csrf;
  private final Clock clock;

  public BrowserSessions(SessionService sessions, SessionCookie cookie, Csrf csrf, Clock clock) {
    this.sessions = sessions;
    this.cookie = cookie;
    this.csrf = csrf;
    this.clock = clock;
  }

  public SessionService service() {
    return sessions;
  }

  /**
   * The live session this request's cookie holds, if any: signed by us, not idle, and a session of
   * its user that has not ended or expired. Renews the cookie's idle stamp when it is a minute old.
   */
  public Future<Optional<SessionService.Live>> current(RoutingContext ctx) {
    Optional<SessionCookie.Value> presented = cookie.read(ctx, clock.instant());
    if (presented.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    SessionCookie.Value v = presented.get();
    return sessions
        .check(v.userId(), v.sessionId(), v.secret())
        .map(
            live -> {
              if (live.isEmpty()) {
                cookie.clear(ctx);
              } else {
                cookie.touch(ctx, v, live.get().expiresAt(), clock.instant());
              }
              return live;
            });
  }

  /**
   * Starts a session for {@code user}, who has just entered their password, and gives this browser
   * its cookie and a new CSRF binding. The session this browser held before ends as replaced.
   */
  public Future<SessionService.Live> start(RoutingContext ctx, UserState.Registered user) {
    Aggregate.Metadata who = who(user.userId(), ctx);
    return current(ctx)
        .compose(
            replacing ->
                sessions.start(
                    user,
                    replacing,
                    Optional.of(TrustedProxies.clientAddress(ctx)),
                    Optional.ofNullable(ctx.request().getHeader("User-Agent")),
                    who))
        .map(
            started -> {
              SessionService.Live live = started.session();
              cookie.write(
                  ctx,
                  new SessionCookie.Value(
                      live.userId(), live.sessionId(), started.secret(), live.authTime()),
                  live.expiresAt());
              csrf.rotate(ctx);
              return live;
            });
  }

  /** Ends the session this request's cookie holds, if it is live, and removes the cookie. */
  public Future<Void> signOut(RoutingContext ctx) {
    return current(ctx)
        .compose(
            live -> {
              cookie.clear(ctx);
              return live.isEmpty()
                  ? Future.<Void>succeededFuture()
                  : sessions
                      .end(
                          live.get().userId(),
                          live.get().sessionId(),
                          SessionEndReason.SIGNED_OUT,
                          who(live.get().userId(), ctx))
                      .<Void>mapEmpty();
            });
  }

  private static Aggregate.Metadata who(String userId, RoutingContext ctx) {
    return new Aggregate.Metadata("user:" + userId, ctx.get("requestId"), null);
  }
}
