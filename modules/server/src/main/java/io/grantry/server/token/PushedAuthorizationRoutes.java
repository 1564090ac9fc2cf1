package io.grantry.server.token;

import io.grantry.domain.authorize.AuthorizationRequestChecks;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Channel;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.Parameters;
import io.grantry.domain.authorize.PushedRequests;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.app.Aggregate;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.FormBody;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /par}, the pushed authorization request endpoint (RFC 9126 §2): the client
 * authenticates as at {@code /token}, its parameters meet the very checks of {@code /authorize}
 * ({@link AuthorizationRequestChecks}, errors answered here as JSON, never redirected), and it gets
 * a {@code request_uri} (256 random bits) to send the browser to {@code /authorize} with, single
 * use, bound to it, for GRANTRY_PAR_REQUEST_URI_TTL_SECONDS. The push is an event on its own stream
 * ({@code par:<SHA-256 of the request_uri>}) holding the parameters as requested, less the client's
 * credentials.
 */
public final class PushedAuthorizationRoutes implements RouteGroup {
  private final OAuthServices s;
  private final ClientAuthenticator authenticator;
  private final EndpointPaths paths;

  public PushedAuthorizationRoutes(OAuthServices services, EndpointPaths paths) {
    this.s = services;
    this.paths = paths;
    this.authenticator = ClientAuthenticator.of(services);
  }

  @Override
  public void mount(Router router) {
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.PAR)) {
      r.handler(FormBody.limit(64 * 1024)).handler(this::push);
    }
  }

  private void push(RoutingContext ctx) {
    MultiMap form = TokenRequests.parsed(ctx);
    if (form == null) {
      return;
    }
    authenticator.then(ctx, form, client -> push(ctx, form, client));
  }

  /**
   * RFC 9449 §10.1: a DPoP proof sent with the push binds the code to its key, as {@code dpop_jkt}
   * does; both must then name the same key.
   */
  private void push(RoutingContext ctx, MultiMap form, ClientState.Registered client) {
    TokenRoutes.proofKey(ctx, s, form, jkt -> push(ctx, form, client, jkt));
  }

  private void push(
      RoutingContext ctx, MultiMap form, ClientState.Registered client, Optional<String> jkt) {
    Parameters params = requested(form, client.clientId(), jkt);
    // The same checks as a request sent to /authorize (RFC 9126 §2.1), as pushed; any refusal is
    // answered here (§2.3), including those /authorize would show rather than redirect.
    if (AuthorizationRequestChecks.check(
            params, Optional.of(client), Channel.PUSHED, s.par.required())
        instanceof Refused refused) {
      OAuthResponses.error(ctx, refused.error().notRedirectable());
      return;
    }
    String requestUri = PushedRequests.REQUEST_URI_PREFIX + TokenIssuer.secret();
    Instant now = s.clock.instant();
    s.pushedRequests
        .create(
            PushedRequests.streamId(requestUri),
            state ->
                PushedRequests.push(
                    state, client.clientId(), requestUri, params, s.par.requestUriLifetime(), now),
            new Aggregate.Metadata("client:" + client.clientId(), ctx.get("requestId"), null))
        .onFailure(ctx::fail)
        .onSuccess(
            outcome -> {
              if (!outcome.accepted()) {
                OAuthResponses.error(
                    ctx, OAuthError.serverError("the request could not be recorded"));
                return;
              }
              OAuthResponses.json(
                  ctx,
                  201,
                  new JsonObject()
                      .put("request_uri", requestUri)
                      .put("expires_in", s.par.requestUriLifetime().toSeconds()));
            });
  }

  /**
   * The authorization request's parameters as the client pushed them, without its credentials, and
   * with its {@code client_id} (which Basic authentication carries in the header).
   */
  static Parameters requested(MultiMap form, String clientId, Optional<String> proofJkt) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    if (!form.contains("client_id")) {
      values.put("client_id", List.of(clientId));
    }
    for (String name : form.names()) {
      if (!PushedRequests.CREDENTIALS.contains(name)) {
        values.put(name, new ArrayList<>(form.getAll(name)));
      }
    }
    // The key of the push's DPoP proof, as if the client had named it (RFC 9449 §10.1).
    proofJkt.ifPresent(k -> values.putIfAbsent("dpop_jkt", List.of(k)));
    return new Parameters(values);
  }
}
