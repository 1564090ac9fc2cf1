package io.grantry.server.account;

import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import io.grantry.server.app.Aggregate;
import io.grantry.server.authorize.AuthorizeRoutes;
import io.grantry.server.browser.BrowserSession;
import io.grantry.server.consents.ConsentService;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.AppsPage;
import io.grantry.server.pages.ConsentPage;
import io.grantry.server.pages.LoginPage;
import io.grantry.server.pages.Pages;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The signed-in user's own pages: "Apps with access" ({@code GET /account/apps}), which lists each
 * client the user allowed with its scopes and date, and withdraws a consent ({@code POST
 * /account/apps/revoke}: {@code ConsentRevoked}, then every grant of that user and client revoked).
 * Without a session the pages send the browser to {@code /account/login}, the sign-in form of the
 * authorization flow posting to itself. Every form carries the browser's CSRF token; a POST without
 * it is 403 and changes nothing; a POST that acts answers 303.
 */
public final class AccountRoutes implements RouteGroup {
  public static final String APPS = "/account/apps";
  public static final String LOGIN = "/account/login";
  private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._~-]{1,128}");
  private static final DateTimeFormatter SHOWN =
      DateTimeFormatter.ofPattern("d MMMM yyyy, HH:mm 'UTC'", Locale.ENGLISH)
          .withZone(ZoneOffset.UTC);

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
  }

  // ---------------------------------------------------------------- sign-in

  private void loginPage(RoutingContext ctx) {
    if (s.browser.current(ctx, s.clock.instant()).isPresent()) {
      seeOther(ctx, APPS);
      return;
    }
    showLogin(ctx, "", null, 200);
  }

  private void login(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    if (!s.browser.csrfValid(ctx, form.get("csrf"))) {
      csrfRefused(ctx);
      return;
    }
    String username = form.get("username");
    String password = form.get("password");
    if (username == null || username.isBlank() || password == null || password.isEmpty()) {
      showLogin(ctx, username, "Enter your username and password.", 400);
      return;
    }
    s.signIn(ctx, username, password)
        .onFailure(ctx::fail)
        .onSuccess(
            user -> {
              if (user.isEmpty()) {
                showLogin(ctx, username, "Wrong username or password.", 401);
                return;
              }
              Instant now = s.clock.instant();
              s.browser.signIn(
                  ctx,
                  new BrowserSession.Session(user.get().userId(), user.get().username(), now),
                  now);
              seeOther(ctx, APPS);
            });
  }

  private void logout(RoutingContext ctx) {
    if (!s.browser.csrfValid(ctx, ctx.request().getFormAttribute("csrf"))) {
      csrfRefused(ctx);
      return;
    }
    s.browser.signOut(ctx);
    seeOther(ctx, LOGIN);
  }

  private void showLogin(RoutingContext ctx, String username, String error, int status) {
    Pages.send(
        ctx,
        status,
        "login.jte",
        new LoginPage(
            "your account",
            null,
            username == null ? "" : username,
            error,
            s.browser.csrfToken(ctx),
            null,
            LOGIN));
  }

  // ---------------------------------------------------------------- apps with access

  private void apps(RoutingContext ctx) {
    withUser(
        ctx,
        user ->
            consents
                .list(user.userId(), false)
                .onFailure(ctx::fail)
                .onSuccess(
                    listed -> {
                      List<AppsPage.App> apps = new ArrayList<>(listed.size());
                      for (ConsentService.Listed c : listed) {
                        List<ConsentPage.ScopeText> scopes = new ArrayList<>();
                        for (String scope : Scopes.parse(c.scopes())) {
                          scopes.add(AuthorizeRoutes.describe(scope));
                        }
                        apps.add(
                            new AppsPage.App(
                                c.clientId(),
                                c.clientName().orElse(c.clientId()),
                                c.logoUri().orElse(null),
                                scopes,
                                SHOWN.format(c.grantedAt()),
                                c.grantedAt().toString()));
                      }
                      String notice =
                          "1".equals(ctx.request().getParam("revoked")) ? "Access revoked." : null;
                      Pages.send(
                          ctx,
                          200,
                          "apps.jte",
                          new AppsPage(user.username(), apps, s.browser.csrfToken(ctx), notice));
                    }));
  }

  private void revoke(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    if (!s.browser.csrfValid(ctx, form.get("csrf"))) {
      csrfRefused(ctx);
      return;
    }
    String clientId = form.get("client_id");
    if (clientId == null || !CLIENT_ID.matcher(clientId).matches()) {
      Pages.error(
          ctx,
          400,
          "This request cannot be completed",
          "The form names no application.",
          "invalid_request");
      return;
    }
    withUser(
        ctx,
        user ->
            consents
                .withdraw(
                    user.userId(),
                    clientId,
                    new Aggregate.Metadata("user:" + user.userId(), ctx.get("requestId"), null))
                .onFailure(ctx::fail)
                .onSuccess(done -> seeOther(ctx, APPS + "?revoked=1")));
  }

  // ---------------------------------------------------------------- helpers

  /** Runs {@code then} with the signed-in, enabled user; otherwise sends the browser to sign in. */
  private void withUser(RoutingContext ctx, Consumer<UserState.Registered> then) {
    Optional<BrowserSession.Session> session = s.browser.current(ctx, s.clock.instant());
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
                s.browser.signOut(ctx);
                seeOther(ctx, LOGIN);
                return;
              }
              then.accept(user.get());
            });
  }

  private static void csrfRefused(RoutingContext ctx) {
    Pages.error(
        ctx,
        403,
        "Request refused",
        "This form was not sent from this browser's account page. "
            + "Open the page again and retry.",
        "csrf");
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
