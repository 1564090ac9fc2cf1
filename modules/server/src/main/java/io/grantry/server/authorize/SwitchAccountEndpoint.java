package io.grantry.server.authorize;

import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.Text;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /consent/switch-account}: "Not you? Switch account" on the consent page. The session
 * the page was shown to (sealed in the pending request) ends, its cookie goes, and the sign-in page
 * of the same authorization request is shown. Only that session ends: the form replayed after
 * someone else signed in in this browser leaves their session alone and shows the sign-in page.
 */
final class SwitchAccountEndpoint {
  private final OAuthServices s;
  private final AuthorizationSteps steps;

  SwitchAccountEndpoint(OAuthServices services, AuthorizationSteps steps) {
    this.s = services;
    this.steps = steps;
  }

  void handle(RoutingContext ctx) {
    steps.posted(
        ctx,
        Text.of("error.csrfConsent"),
        () -> true,
        pending -> pending.shownTo().isPresent(),
        (pending, valid) -> {
          String shownTo = pending.shownTo().get();
          s.sessions
              .current(ctx)
              .compose(
                  live ->
                      live.isPresent() && live.get().sessionId().equals(shownTo)
                          ? s.sessions.signOut(ctx)
                          : Future.<Void>succeededFuture())
              .onFailure(ctx::fail)
              .onSuccess(v -> steps.showLogin(ctx, pending.params(), valid, "", null, 200));
        });
  }
}
