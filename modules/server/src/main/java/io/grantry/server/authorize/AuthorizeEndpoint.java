package io.grantry.server.authorize;

import io.grantry.domain.DomainError;
import io.grantry.domain.authorize.AuthorizationFlow;
import io.grantry.domain.authorize.AuthorizationRequestChecks;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.domain.authorize.Parameters;
import io.grantry.domain.authorize.PushedRequests;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.app.Aggregate;
import io.grantry.server.browser.SignedParameters;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.PageLanguage;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * {@code GET} and {@code POST /authorize} (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): the first step of
 * the flow. The request is checked, and the flow decides from the browser's session whether the
 * person signs in, consents, or is sent back with a code or an error.
 *
 * <p>With a {@code request_uri} (RFC 9126 §4) the request is the one its client pushed: the {@code
 * request_uri} is spent here, once, for the client named beside it, and the pushed parameters are
 * checked and run through the flow as if they had been sent (they travel on in the pages' forms).
 * Every other front-channel parameter is ignored then. A {@code request_uri} that is unknown,
 * spent, expired or another client's is shown on an error page, never redirected: nothing trusted
 * says where to.
 */
final class AuthorizeEndpoint {
  private final OAuthServices s;
  private final AuthorizationSteps steps;

  AuthorizeEndpoint(OAuthServices services, AuthorizationSteps steps) {
    this.s = services;
    this.steps = steps;
  }

  void handle(RoutingContext ctx) {
    Parameters params =
        SignedParameters.of(
            ctx.request().method() == HttpMethod.POST
                ? ctx.request().formAttributes()
                : ctx.queryParams());
    // OIDC Core §3.1.2.1: the language the person reads the pages in, from the first step on.
    PageLanguage.prefer(ctx, params.first("ui_locales"));
    if (params.contains("request_uri")) {
      resolve(ctx, params);
    } else {
      run(ctx, params, false);
    }
  }

  private void run(RoutingContext ctx, Parameters params, boolean pushed) {
    steps
        .check(params, pushed)
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

  /** Spends the {@code request_uri} and runs the flow with the parameters it stands for. */
  private void resolve(RoutingContext ctx, Parameters front) {
    Optional<String> clientId = AuthorizationRequestChecks.clientId(front);
    String requestUri = front.single("request_uri");
    if (clientId.isEmpty()) {
      steps.showError(
          ctx,
          OAuthError.invalidRequest("The request names no application (client_id is missing).")
              .notRedirectable());
      return;
    }
    if (!PushedRequests.isRequestUri(requestUri)) {
      steps.showError(
          ctx,
          OAuthError.of(OAuthError.Code.INVALID_REQUEST_URI, "The request_uri is not valid.")
              .notRedirectable());
      return;
    }
    s.pushedRequests
        .execute(
            PushedRequests.streamId(requestUri),
            state -> PushedRequests.use(state, clientId.get(), s.clock.instant()),
            new Aggregate.Metadata(
                "client:" + clientId.get(), AuthorizationSteps.requestId(ctx), null))
        .onFailure(ctx::fail)
        .onSuccess(
            outcome -> {
              Optional<Parameters> pushed = PushedRequests.parameters(outcome.state());
              if (!outcome.accepted() || pushed.isEmpty()) {
                steps.showError(
                    ctx,
                    outcome.error() instanceof DomainError.OAuth o
                        ? o.error()
                        : OAuthError.of(
                                OAuthError.Code.INVALID_REQUEST_URI,
                                "The request_uri is not valid.")
                            .notRedirectable());
                return;
              }
              PageLanguage.prefer(ctx, pushed.get().first("ui_locales"));
              run(ctx, pushed.get(), true);
            });
  }
}
