package io.grantry.server.authorize;

import io.grantry.server.pages.Text;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /login/cancel}: "Cancel and return to the app" on the sign-in and consent pages. The
 * form carries this browser's CSRF token and the pending request we signed; the request is checked
 * again against the client's current registration, and only then is the browser sent back, exactly
 * as a denial is ({@code access_denied}, {@code state}, {@code iss}) to the redirect URI that check
 * accepted. A pending request that is not ours (changed, expired) is shown on a page: nothing
 * trusted says where to go, so this is never an open redirect.
 */
final class CancelEndpoint {
  private final AuthorizationSteps steps;

  CancelEndpoint(AuthorizationSteps steps) {
    this.steps = steps;
  }

  void handle(RoutingContext ctx) {
    steps.posted(ctx, Text.of("error.csrfSignIn"), (pending, valid) -> steps.cancel(ctx, valid));
  }
}
