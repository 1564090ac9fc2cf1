package io.grantry.server.authorize;

import io.grantry.domain.authorize.AuthorizationFlow;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.Text;
import io.grantry.server.sessions.SessionService;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code POST /login}: the sign-in form of the flow. The form must carry this browser's CSRF token
 * and a pending request we signed; the request is checked again against the client's current
 * registration, the password is checked (slowed down after failures), a server-side session starts,
 * and the flow goes on from there with that session as the one that signed in during this flow.
 */
final class LoginEndpoint {
  private final OAuthServices s;
  private final AuthorizationSteps steps;

  LoginEndpoint(OAuthServices services, AuthorizationSteps steps) {
    this.s = services;
    this.steps = steps;
  }

  void handle(RoutingContext ctx) {
    steps.posted(
        ctx,
        Text.of("error.csrfSignIn"),
        (pending, valid) -> signIn(ctx, ctx.request().formAttributes(), pending, valid));
  }

  private void signIn(
      RoutingContext ctx, MultiMap form, PendingRequests.Pending pending, Valid valid) {
    String username = form.get("username");
    String password = form.get("password");
    if (username == null || username.isBlank() || password == null || password.isEmpty()) {
      steps.showLogin(ctx, pending.params(), valid, username, Text.of("login.missing"), 400);
      return;
    }
    s.signIn(ctx, username, password)
        .compose(
            user -> {
              if (user.isEmpty()) {
                return Future.succeededFuture(Optional.<SessionService.Live>empty());
              }
              return s.sessions.start(ctx, user.get()).map(Optional::of);
            })
        .onFailure(ctx::fail)
        .onSuccess(
            started -> {
              if (started.isEmpty()) {
                // The same words for an unknown user and a wrong password.
                steps.showLogin(
                    ctx, pending.params(), valid, username, Text.of("login.wrong"), 401);
                return;
              }
              steps.proceed(
                  ctx,
                  pending.params(),
                  valid,
                  new AuthorizationFlow.SignedIn(started.get().sessionId()),
                  pending.freshSession(),
                  started);
            });
  }
}
