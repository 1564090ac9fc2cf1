package io.grantry.server.authorize;

import io.grantry.domain.authorize.AuthorizationFlow;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.domain.authorize.Parameters;
import io.grantry.server.browser.SignedParameters;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code GET} and {@code POST /authorize} (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): the first step of
 * the flow. The request is checked, and the flow decides from the browser's session whether the
 * person signs in, consents, or is sent back with a code or an error.
 */
final class AuthorizeEndpoint {
  private final AuthorizationSteps steps;

  AuthorizeEndpoint(AuthorizationSteps steps) {
    this.steps = steps;
  }

  void handle(RoutingContext ctx) {
    Parameters params =
        SignedParameters.of(
            ctx.request().method() == HttpMethod.POST
                ? ctx.request().formAttributes()
                : ctx.queryParams());
    steps
        .check(params)
        .onFailure(ctx::fail)
        .onSuccess(
            checked -> {
              if (checked instanceof Refused refused) {
                steps.refuse(ctx, refused);
              } else {
                steps.proceedInBrowserSession(
                    ctx, params, (Valid) checked, new AuthorizationFlow.Start(), Optional.empty());
              }
            });
  }
}
