package io.grantry.server.account;

import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.SessionEndReason;
import io.grantry.domain.user.UserState;
import io.grantry.server.app.Aggregate;
import io.grantry.server.consents.ConsentService;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.AppsPage;
import io.grantry.server.pages.ConsentPage;
import io.grantry.server.pages.LoginPage;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.RevokePage;
import io.grantry.server.pages.ScopeTexts;
import io.grantry.server.pages.Text;
import io.grantry.server.pages.UserAgents;
import io.grantry.server.sessions.SessionService;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * The signed-in user's own pages: "Apps with access" ({@code GET /account/apps}), which lists each
 * client the user allowed with its scopes and date, and withdraws a consent ({@code POST
 * /account/apps/revoke}: first a page that asks, then, posted with {@code confirm=yes}, {@code
 * ConsentRevoked} and every grant of that user and client revoked). Without a session the pages
 * send the browser to {@code /account/login}, the sign-in form of the authorization flow posting to
 * itself; other pages that need a signed-in person (the device verification page) send it there
 * too, with {@code next}, the local page to return to. Every form carries the browser's CSRF token;
 * a POST without it is 403 and changes nothing; a POST that acts answers 303.
 */
public final class AccountRoutes implements RouteGroup {
  public static final String APPS = "/account/apps";
  public static final String LOGIN = "/account/login";
  public static final String SESSIONS = "/account/sessions";
  private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._~-]{1,128}");

  /**
   * A page of this server to return to after signing in: a path (never {@code //host} or a
   * backslash, which browsers read as another origin) with an optional query of plain characters.
   * Nothing else is ever followed, so {@code next} opens no redirect.
   */
  private static final Pattern NEXT =
      Pattern.compile("/[A-Za-z0-9_~.-][A-Za-z0-9/_~.-]{0,99}(\\?[A-Za-z0-9_~.=&%-]{0,200})?");

  private final OAuthServices s;
  private final ConsentService consents;

  public AccountRoutes(OAuthServices services, ConsentService consents) {
    this.s = services;
    this.consents = consents;
  }

  @Override
  public void mount(Router router) {
    BodyHandler forms = BodyHandler.create(false).setBodyLimit(16 * 1024);
    router.get("/account").handler(ctx -> seeOther(ctx, APPS));
    router.get(LOGIN).handler(this::loginPage);
    router.post(LOGIN).handler(forms).handler(this::login);
    router.get(APPS).handler(this::apps);
    router.post(APPS + "/revoke").handler(forms).handler(this::revoke);
    router.post("/account/logout").handler(forms).handler(this::logout);
    router.post(SESSIONS + "/end").handler(forms).handler(this::endSession);
    router.post(SESSIONS + "/end-others").handler(forms).handler(this::endOtherSessions);
  }

  // ---------------------------------------------------------------- sign-in

  /**
   * The sign-in page for {@code next} (a local page, see {@link #NEXT}) or the account pages: the
   * URL a page sends a browser without a session to.
   */
  public static String loginFor(String next) {
    return LOGIN + "?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8);
  }

  private void loginPage(RoutingContext ctx) {
    String next = next(ctx.request().getParam("next"));
    s.sessions
        .current(ctx)
        .onFailure(ctx::fail)
        .onSuccess(
            session -> {
              if (session.isPresent()) {
                seeOther(ctx, next == null ? APPS : next);
              } else {
                showLogin(ctx, "", null, 200, next);
              }
            });
  }

  /** {@code value} if it is a local page to return to, else null. */
  private static String next(String value) {
    return value != null && NEXT.matcher(value).matches() ? value : null;
  }

  private void login(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    if (!s.csrf.valid(ctx, form.get("csrf"))) {
      csrfRefused(ctx);
      return;
    }
    String next = next(form.get("next"));
    String username = form.get("username");
    String password = form.get("password");
    if (username == null || username.isBlank() || password == null || password.isEmpty()) {
      showLogin(ctx, username, Text.of("login.missing"), 400, next);
      return;
    }
    s.signIn(ctx, username, password)
        .compose(
            user ->
                user.isEmpty()
                    ? Future.succeededFuture(false)
                    : s.sessions.start(ctx, user.get()).map(true))
        .onFailure(ctx::fail)
        .onSuccess(
            signedIn -> {
              if (!signedIn) {
                showLogin(ctx, username, Text.of("login.wrong"), 401, next);
              } else {
                seeOther(ctx, next == null ? APPS : next);
              }
            });
  }

  /** Ends this browser's session on the server, on every instance, and removes its cookie. */
  private void logout(RoutingContext ctx) {
    if (!s.csrf.valid(ctx, ctx.request().getFormAttribute("csrf"))) {
      csrfRefused(ctx);
      return;
    }
    s.sessions.signOut(ctx).onFailure(ctx::fail).onSuccess(v -> seeOther(ctx, LOGIN));
  }

  /**
   * The one field an account form acts on, from a form this browser's page sent (CSRF) and in the
   * shape {@code valid} allows; or null, after answering 403 or a 400 page saying {@code missing}.
   */
  private String formField(RoutingContext ctx, String name, Pattern valid, Text missing) {
    MultiMap form = ctx.request().formAttributes();
    if (!s.csrf.valid(ctx, form.get("csrf"))) {
      csrfRefused(ctx);
      return null;
    }
    String value = form.get(name);
    if (value == null || !valid.matcher(value).matches()) {
      Pages.cannotComplete(ctx, missing, "invalid_request");
      return null;
    }
    return value;
  }

  /** Ends one of the user's other sessions (a form per session on the account page). */
  private void endSession(RoutingContext ctx) {
    String sessionId = formField(ctx, "session_id", SESSION_ID, Text.of("error.noSession"));
    if (sessionId == null) {
      return;
    }
    withUser(
        ctx,
        (user, session) ->
            s.sessions
                .service()
                .end(user.userId(), sessionId, SessionEndReason.SIGNED_OUT, who(ctx, user))
                .onFailure(ctx::fail)
                .onSuccess(
                    n ->
                        seeOther(
                            ctx,
                            sessionId.equals(session.sessionId())
                                ? LOGIN
                                : APPS + "?signed-out=" + n)));
  }

  /** "Sign out everywhere else": every session of the user but this one ends. */
  private void endOtherSessions(RoutingContext ctx) {
    if (!s.csrf.valid(ctx, ctx.request().getFormAttribute("csrf"))) {
      csrfRefused(ctx);
      return;
    }
    withUser(
        ctx,
        (user, session) ->
            s.sessions
                .service()
                .endAll(
                    user.userId(),
                    SessionEndReason.SIGNED_OUT,
                    Optional.of(session.sessionId()),
                    who(ctx, user))
                .onFailure(ctx::fail)
                .onSuccess(n -> seeOther(ctx, APPS + "?signed-out=" + n)));
  }

  private static Aggregate.Metadata who(RoutingContext ctx, UserState.Registered user) {
    return new Aggregate.Metadata("user:" + user.userId(), ctx.get("requestId"), null);
  }

  private void showLogin(RoutingContext ctx, String username, Text error, int status, String next) {
    Pages.send(
        ctx,
        status,
        "login.jte",
        new LoginPage(
            null,
            null,
            username == null ? "" : username,
            error,
            s.csrf.token(ctx),
            null,
            LOGIN,
            next));
  }

  // ---------------------------------------------------------------- apps with access

  private void apps(RoutingContext ctx) {
    withUser(
        ctx,
        (user, session) ->
            consents
                .list(user.userId(), false)
                .compose(
                    listed ->
                        s.sessions
                            .service()
                            .list(user.userId())
                            .map(live -> page(ctx, user, session, listed, live)))
                .onFailure(ctx::fail)
                .onSuccess(page -> Pages.send(ctx, 200, "apps.jte", page)));
  }

  private AppsPage page(
      RoutingContext ctx,
      UserState.Registered user,
      SessionService.Live current,
      List<ConsentService.Listed> listed,
      List<SessionService.Listed> live) {
    List<AppsPage.App> apps = new ArrayList<>(listed.size());
    for (ConsentService.Listed c : listed) {
      List<ConsentPage.ScopeText> scopes = ScopeTexts.inReadingOrder(Scopes.parse(c.scopes()));
      apps.add(
          new AppsPage.App(
              c.clientId(),
              c.clientName().orElse(c.clientId()),
              c.logoUri().orElse(null),
              scopes,
              c.grantedAt()));
    }
    List<AppsPage.Session> sessions = new ArrayList<>(live.size());
    for (SessionService.Listed l : live) {
      sessions.add(
          new AppsPage.Session(
              l.sessionId(),
              l.sessionId().equals(current.sessionId()),
              l.authTime(),
              l.address().orElse(null),
              UserAgents.describe(l.userAgent().orElse(null))));
    }
    Text notice = null;
    if ("1".equals(ctx.request().getParam("revoked"))) {
      notice = Text.of("apps.revoked");
    } else if (ctx.request().getParam("signed-out") != null) {
      notice = Text.of("apps.signedOutOthers");
    }
    return new AppsPage(user.username(), apps, sessions, s.csrf.token(ctx), notice);
  }

  private void revoke(RoutingContext ctx) {
    String clientId = formField(ctx, "client_id", CLIENT_ID, Text.of("error.noApplication"));
    if (clientId == null) {
      return;
    }
    if (!"yes".equals(ctx.request().getFormAttribute("confirm"))) {
      confirmRevoke(ctx, clientId);
      return;
    }
    withUser(
        ctx,
        (user, session) ->
            consents
                .withdraw(
                    user.userId(),
                    clientId,
                    new Aggregate.Metadata("user:" + user.userId(), ctx.get("requestId"), null))
                .onFailure(ctx::fail)
                .onSuccess(done -> seeOther(ctx, APPS + "?revoked=1")));
  }

  /**
   * The revoke form without {@code confirm=yes} (the "Revoke access" button of the apps page):
   * nothing is revoked; the page that asks is shown, for an app that has access.
   */
  private void confirmRevoke(RoutingContext ctx, String clientId) {
    withUser(
        ctx,
        (user, session) ->
            consents
                .list(user.userId(), false)
                .onFailure(ctx::fail)
                .onSuccess(
                    listed -> {
                      Optional<AppsPage.App> app =
                          page(ctx, user, session, listed, List.of()).apps().stream()
                              .filter(a -> a.clientId().equals(clientId))
                              .findFirst();
                      if (app.isEmpty()) {
                        seeOther(ctx, APPS);
                        return;
                      }
                      Pages.send(
                          ctx, 200, "revoke.jte", new RevokePage(app.get(), s.csrf.token(ctx)));
                    }));
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Runs {@code then} with the signed-in, enabled user and their live session; otherwise sends the
   * browser to sign in.
   */
  private void withUser(
      RoutingContext ctx, BiConsumer<UserState.Registered, SessionService.Live> then) {
    s.sessions
        .current(ctx)
        .onFailure(ctx::fail)
        .onSuccess(
            session -> {
              if (session.isEmpty()) {
                seeOther(ctx, LOGIN);
                return;
              }
              s.users
                  .findById(session.get().userId())
                  .onFailure(ctx::fail)
                  .onSuccess(
                      user -> {
                        if (user.isEmpty() || user.get().disabled()) {
                          seeOther(ctx, LOGIN);
                        } else {
                          then.accept(user.get(), session.get());
                        }
                      });
            });
  }

  private static void csrfRefused(RoutingContext ctx) {
    Pages.csrfRefused(ctx, Text.of("error.csrfAccount"));
  }

  private static void seeOther(RoutingContext ctx, String location) {
    ctx.response()
        .setStatusCode(303)
        .putHeader("Location", location)
        .putHeader("Cache-Control", "no-store")
        .putHeader("Referrer-Policy", "no-referrer")
        .end();
  }
}
