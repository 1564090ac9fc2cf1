package io.grantry.server.authorize;

import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.Text;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

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
    MultiMap form = ctx.request().formAttributes();
    Optional<PendingRequests.Pending> pending = steps.open(ctx, form.get("request"));
    if (!s.csrf.valid(ctx, form.get("csrf"))) {
      Pages.csrfRefused(ctx, Text.of("error.csrfConsent"));
      return;
    }
    if (pending.isEmpty() || pending.get().shownTo().isEmpty()) {
      AuthorizationSteps.expired(ctx);
      return;
    }
    String shownTo = pending.get().shownTo().get();
    steps
        .check(pending.get().params(), pending.get().pushed())
        .compose(
            checked -> {
              if (checked instanceof Refused) {
                return Future.succeededFuture(checked);
              }
              return s.sessions
                  .current(ctx)
                  .compose(
                      live ->
                          live.isPresent() && live.get().sessionId().equals(shownTo)
                              ? s.sessions.signOut(ctx)
                              : Future.<Void>succeededFuture())
                  .map(checked);
            })
        .onFailure(ctx::fail)
        .onSuccess(
            checked -> {
              if (checked instanceof Refused refused) {
                steps.refuse(ctx, refused);
              } else {
                steps.showLogin(ctx, pending.get().params(), (Valid) checked, "", null, 200);
              }
            });
  }
}
