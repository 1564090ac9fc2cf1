package io.grantry.server.authorize;

import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.Text;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code POST /login/cancel}: "Cancel and return to the app" on the sign-in and consent pages. The
 * form carries this browser's CSRF token and the pending request we signed; the request is checked
 * again against the client's current registration, and only then is the browser sent back, exactly
 * as a denial is ({@code access_denied}, {@code state}, {@code iss}) to the redirect URI that check
 * accepted. A pending request that is not ours (changed, expired) is shown on a page: nothing
 * trusted says where to go, so this is never an open redirect.
 */
final class CancelEndpoint {
  private final OAuthServices s;
  private final AuthorizationSteps steps;

  CancelEndpoint(OAuthServices services, AuthorizationSteps steps) {
    this.s = services;
    this.steps = steps;
  }

  void handle(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    Optional<PendingRequests.Pending> pending = steps.open(ctx, form.get("request"));
    if (!s.csrf.valid(ctx, form.get("csrf"))) {
      Pages.csrfRefused(ctx, Text.of("error.csrfSignIn"));
      return;
    }
    if (pending.isEmpty()) {
      AuthorizationSteps.expired(ctx);
      return;
    }
    steps
        .check(pending.get().params(), pending.get().pushed())
        .onFailure(ctx::fail)
        .onSuccess(
            checked -> {
              if (checked instanceof Refused refused) {
                steps.refuse(ctx, refused);
              } else {
                steps.cancel(ctx, (Valid) checked);
              }
            });
  }
}
