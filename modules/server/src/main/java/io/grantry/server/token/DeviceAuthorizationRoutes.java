package io.grantry.server.token;

import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.UserCodes;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.app.Aggregate;
import io.grantry.server.config.DeviceSettings;
import io.grantry.server.devicecodes.DeviceCodes;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.FormBody;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.http.TrustedProxies;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.throttle.DeviceRequestThrottle;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@code POST /device_authorization}, the device authorization endpoint (RFC 8628 §3.1-§3.2): a
 * client allowed the device code grant (authenticated as at the token endpoint; a public client
 * names itself) gets a device code to poll the token endpoint with and a user code for its user to
 * enter at {@code verification_uri}. The user code is claimed first, then the grant's first event
 * is appended; a user code whose grant was never written (the second append failed) names no grant
 * and expires unused. Every answer is JSON with {@code Cache-Control: no-store}; bad input is an
 * RFC 6749 §5.2 error. Served at the endpoint profiles' paths too ({@link EndpointPaths}). An
 * address past its allowance ({@link DeviceRequestThrottle}) gets 429 and {@code slow_down} before
 * anything is written, and before its DPoP proof is checked (no signature check, no jti stored).
 *
 * <p>A DPoP proof on the request, or a {@code dpop_jkt} parameter, binds the device code to that
 * key (as RFC 9449 §10 binds an authorization code): every poll must then prove it, and the tokens
 * are bound to it. Without either, the tokens are bound to the key of the poll that gets them, if
 * that poll carries a proof (see ops/endpoints.md for why the first poll does not bind).
 */
public final class DeviceAuthorizationRoutes implements RouteGroup {
  public static final String PATH = Endpoint.DEVICE_AUTHORIZATION.canonical();

  /**
   * The verification page (RFC 8628 §3.2 {@code verification_uri}), served by the device routes.
   */
  public static final String VERIFICATION_PATH = "/device";

  private final OAuthServices s;
  private final DeviceCodes devices;
  private final ClientAuthenticator authenticator;
  private final DeviceRequestThrottle requests;
  private final EndpointPaths paths;

  public DeviceAuthorizationRoutes(
      OAuthServices services,
      DeviceCodes devices,
      DeviceRequestThrottle requests,
      EndpointPaths paths) {
    this.s = services;
    this.paths = paths;
    this.devices = devices;
    this.requests = requests;
    this.authenticator = ClientAuthenticator.of(services);
  }

  @Override
  public void mount(Router router) {
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.DEVICE_AUTHORIZATION)) {
      r.handler(FormBody.limit(16 * 1024)).handler(this::authorize);
    }
  }

  private void authorize(RoutingContext ctx) {
    MultiMap form = TokenRequests.form(ctx);
    if (form == null) {
      return;
    }
    authenticator.then(
        ctx,
        form,
        client -> {
          if (!client.metadata().allows(GrantType.DEVICE_CODE)) {
            OAuthResponses.error(
                ctx,
                OAuthError.unauthorizedClient(
                    "the client may not use the device authorization grant"));
            return;
          }
          Scopes scopes;
          try {
            String scope = form.get("scope");
            scopes =
                scope == null || scope.isBlank()
                    ? client.metadata().allowedScopes()
                    : Scopes.parse(scope);
          } catch (IllegalArgumentException e) {
            OAuthResponses.error(ctx, OAuthError.invalidScope("the scope parameter is malformed"));
            return;
          }
          if (!scopes.isSubsetOf(client.metadata().allowedScopes())) {
            OAuthResponses.error(
                ctx, OAuthError.invalidScope("the client may not ask for some of these scopes"));
            return;
          }
          List<String> named = form.getAll("dpop_jkt");
          if (named.size() > 1) {
            OAuthResponses.error(
                ctx, OAuthError.invalidRequest("the parameter dpop_jkt is repeated"));
            return;
          }
          if (!named.isEmpty() && !GrantDecider.isThumbprint(named.get(0))) {
            OAuthResponses.error(
                ctx,
                OAuthError.invalidRequest(
                    "dpop_jkt must be a SHA-256 JWK thumbprint: 43 base64url characters (RFC 9449"
                        + " §10)"));
            return;
          }
          bind(ctx, form, client, scopes, named.stream().findFirst());
        });
  }

  /**
   * Counts the request against its address and binds the device code to a key: the request's DPoP
   * proof's, else its {@code dpop_jkt}'s (RFC 9449 §10 and §10.1 bind an authorization code so; the
   * same holds here), else none.
   */
  private void bind(
      RoutingContext ctx,
      MultiMap form,
      ClientState.Registered client,
      Scopes scopes,
      Optional<String> named) {
    // Counted only here: what authorize refuses writes nothing. Asked before the proof is checked,
    // so that an address past its allowance costs no signature check and no jti insert; a refused
    // proof counts too (DeviceRequestThrottle).
    String address = TrustedProxies.clientAddress(ctx);
    OptionalLong retryAfter = requests.attempt(address);
    if (retryAfter.isPresent()) {
      ctx.response().putHeader("Retry-After", String.valueOf(retryAfter.getAsLong()));
      OAuthResponses.json(
          ctx,
          429,
          new JsonObject()
              .put("error", "slow_down")
              .put(
                  "error_description",
                  "too many device authorization requests from this address; retry later"));
      return;
    }
    TokenRoutes.proofKey(ctx, s, form, proof -> start(ctx, client, scopes, proof.or(() -> named)));
  }

  private void start(
      RoutingContext ctx, ClientState.Registered client, Scopes scopes, Optional<String> jkt) {
    DeviceSettings settings = devices.settings();
    Instant now = s.clock.instant();
    Instant expiresAt = now.plus(settings.lifetime());
    String grantId = TokenIssuer.grantId(now.toEpochMilli());
    String secret = TokenIssuer.secret();
    Aggregate.Metadata who =
        new Aggregate.Metadata("client:" + client.clientId(), ctx.get("requestId"), null);
    devices
        .claimUserCode(grantId, expiresAt, who)
        .compose(
            userCode -> {
              GrantCommand.RequestDeviceAuthorization cmd =
                  new GrantCommand.RequestDeviceAuthorization(
                      grantId,
                      client.clientId(),
                      scopes,
                      GrantTokens.hash(secret),
                      devices.userCodeHash(userCode),
                      settings.interval(),
                      settings.lifetime(),
                      jkt);
              return s.grants
                  .create(
                      GrantTokens.streamId(grantId),
                      state -> GrantDecider.decide(state, cmd, now),
                      who)
                  .map(outcome -> outcome.accepted() ? userCode : refusal(outcome.error()));
            })
        .onFailure(ctx::fail)
        .onSuccess(
            userCode -> {
              String shown = UserCodes.display(userCode);
              String verification = s.issuer + VERIFICATION_PATH;
              OAuthResponses.json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("device_code", GrantTokens.token(grantId, secret))
                      .put("user_code", shown)
                      .put("verification_uri", verification)
                      .put("verification_uri_complete", verification + "?user_code=" + shown)
                      .put("expires_in", settings.lifetime().toSeconds())
                      .put("interval", settings.interval().toSeconds()));
            });
  }

  /** A refused request decision is a broken contract here (fresh ids, hashes): a server error. */
  private static String refusal(DomainError error) {
    throw new IllegalStateException("device authorization refused: " + error.message());
  }
}
