package io.grantry.server.authorize;

import io.grantry.domain.authorize.AuthorizationFlow;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.Text;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code POST /consent}: the person's Allow or Deny. Like every step it re-enters the flow with the
 * request checked against the client's current registration and the browser's live session, so a
 * consent form posted with an old session still meets {@code prompt=login} and {@code max_age}.
 */
final class ConsentEndpoint {
  private final OAuthServices s;
  private final AuthorizationSteps steps;

  ConsentEndpoint(OAuthServices services, AuthorizationSteps steps) {
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
    String decision = form.get("decision");
    AuthorizationFlow.Step step =
        "allow".equals(decision)
            ? new AuthorizationFlow.Consented()
            : "deny".equals(decision) ? new AuthorizationFlow.Denied() : null;
    if (step == null) {
      Pages.cannotComplete(ctx, Text.of("error.chooseAllowOrDeny"), "invalid_request");
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
                steps.proceedInBrowserSession(
                    ctx,
                    pending.get().params(),
                    (Valid) checked,
                    step,
                    pending.get().freshSession());
              }
            });
  }
}
