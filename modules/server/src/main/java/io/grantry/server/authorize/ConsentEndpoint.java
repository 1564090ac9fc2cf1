package io.grantry.server.authorize;

import io.grantry.domain.authorize.AuthorizationFlow;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.Text;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /consent}: the person's Allow or Deny. Like every step it re-enters the flow with the
 * request checked against the client's current registration and the browser's live session, so a
 * consent form posted with an old session still meets {@code prompt=login} and {@code max_age}.
 */
final class ConsentEndpoint {
  private final AuthorizationSteps steps;

  ConsentEndpoint(AuthorizationSteps steps) {
    this.steps = steps;
  }

  void handle(RoutingContext ctx) {
    String decision = ctx.request().formAttributes().get("decision");
    AuthorizationFlow.Step step =
        "allow".equals(decision)
            ? new AuthorizationFlow.Consented()
            : "deny".equals(decision) ? new AuthorizationFlow.Denied() : null;
    steps.posted(
        ctx,
        Text.of("error.csrfConsent"),
        () -> {
          if (step == null) {
            Pages.cannotComplete(ctx, Text.of("error.chooseAllowOrDeny"), "invalid_request");
            return false;
          }
          return true;
        },
        pending -> true,
        (pending, valid) ->
            steps.proceedInBrowserSession(
                ctx, pending.params(), valid, step, pending.freshSession()));
  }
}
