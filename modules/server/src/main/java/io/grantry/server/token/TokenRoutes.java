package io.grantry.server.token;

import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.app.Aggregate;
import io.grantry.server.devicecodes.DeviceCodes;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.FormBody;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.ops.OpsMetrics;
import io.grantry.server.tokens.DpopProofs;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code POST /token} (RFC 6749 §3.2): checks the request's form, authenticates the client and
 * hands the request to the class of its grant type. Every answer carries {@code Cache-Control:
 * no-store}; bad input is always a §5.2 error, never a 5xx.
 */
public final class TokenRoutes implements RouteGroup {
  /**
   * Parameters that may appear once only (RFC 6749 §3.2: "MUST NOT be included more than once").
   */
  private static final Set<String> SINGLE =
      Set.of(
          "grant_type",
          "code",
          "redirect_uri",
          "code_verifier",
          "refresh_token",
          "device_code",
          "scope",
          "client_id",
          "client_secret",
          // RFC 8693 §2.1; audience and resource may be repeated.
          "subject_token",
          "subject_token_type",
          "actor_token",
          "actor_token_type",
          "requested_token_type");

  /** RFC 9449 §8: the header that hands the client a nonce for its next proof. */
  static final String NONCE = "DPoP-Nonce";

  /** Where the routing context holds the thumbprint of the request's checked DPoP key. */
  static final String DPOP_JKT = "grantry.dpop.jkt";

  private final OAuthServices s;
  private final ClientAuthenticator authenticator;
  private final Map<String, TokenGrant> grants;
  private final Map<GrantType, Counter> issued = new EnumMap<>(GrantType.class);
  private final EndpointPaths paths;

  public TokenRoutes(OAuthServices services, EndpointPaths paths, DeviceCodes devices) {
    this.s = services;
    this.paths = paths;
    this.authenticator = ClientAuthenticator.of(services);
    this.grants =
        Map.of(
            GrantType.AUTHORIZATION_CODE.wire(), new AuthorizationCodeGrant(services),
            GrantType.REFRESH_TOKEN.wire(), new RefreshTokenGrant(services),
            GrantType.CLIENT_CREDENTIALS.wire(), new ClientCredentialsGrant(services),
            GrantType.TOKEN_EXCHANGE.wire(), new TokenExchangeGrant(services),
            GrantType.DEVICE_CODE.wire(), new DeviceCodeGrant(services, devices));
    this.grants
        .values()
        .forEach(g -> issued.put(g.type(), OpsMetrics.tokensIssued(services.registry, g.type())));
  }

  /** One grant type's exchange: the token response, or the error to answer. */
  public interface TokenGrant {
    GrantType type();

    Future<Result> exchange(RoutingContext ctx, MultiMap form, ClientState.Registered client);
  }

  public record Result(JsonObject response, OAuthError error) {
    public static Result ok(JsonObject response) {
      return new Result(response, null);
    }

    public static Result refused(OAuthError error) {
      return new Result(null, error);
    }

    /**
     * The refusal a grant decision's outcome stands for: the decision refused, or accepted with
     * events that record a refusal (a replayed code, a reused refresh token); empty for a success.
     */
    public static Optional<Result> refusalOf(Aggregate.Outcome<GrantState, GrantEvent> outcome) {
      if (!outcome.accepted()) {
        return Optional.of(refused(outcome.error()));
      }
      return GrantDecider.refusalIn(outcome.events()).map(Result::refused);
    }

    /**
     * A refused domain decision: its OAuth error, or invalid_grant for anything else (unknown
     * grant).
     */
    public static Result refused(DomainError error) {
      return new Result(
          null,
          error instanceof DomainError.OAuth o
              ? o.error()
              : OAuthError.invalidGrant("the grant is not valid"));
    }
  }

  /**
   * The answer to a token request whose DPoP proof is refused (RFC 9449 §5.2, §8): 400 {@code
   * invalid_dpop_proof}, or {@code use_dpop_nonce} with the nonce to retry with.
   */
  static void dpopRefused(RoutingContext ctx, OAuthServices s, DpopProofs.Result proof) {
    s.dpop.currentNonce().ifPresent(n -> ctx.response().putHeader(NONCE, n));
    OAuthResponses.json(
        ctx,
        400,
        new JsonObject().put("error", proof.errorCode()).put("error_description", proof.error()));
  }

  /**
   * For an endpoint whose request may bind a code to a DPoP key (RFC 9449 §10.1: {@code /par}; the
   * device authorization endpoint likewise): the key of the request's DPoP proof, checked, handed
   * to {@code then}; empty without a proof. A refused proof, or a {@code dpop_jkt} naming another
   * key than the proof's, is answered here (400 {@code invalid_dpop_proof}) and {@code then} is not
   * called.
   */
  static void proofKey(
      RoutingContext ctx, OAuthServices s, MultiMap form, Consumer<Optional<String>> then) {
    List<String> proofs = ctx.request().headers().getAll("DPoP");
    if (proofs.isEmpty()) {
      then.accept(Optional.empty());
      return;
    }
    // The path this request was routed to: the canonical one or an alias (EndpointPaths).
    s.dpop
        .check(proofs, "POST", ctx.currentRoute().getPath(), Optional.empty())
        .onFailure(ctx::fail)
        .onSuccess(
            proof -> {
              if (!proof.ok()) {
                dpopRefused(ctx, s, proof);
                return;
              }
              String asked = form.get("dpop_jkt");
              if (asked != null && !asked.equals(proof.jkt())) {
                dpopRefused(
                    ctx, s, DpopProofs.Result.refused("dpop_jkt is not the key of the DPoP proof"));
                return;
              }
              s.dpop.currentNonce().ifPresent(n -> ctx.response().putHeader(NONCE, n));
              then.accept(Optional.of(proof.jkt()));
            });
  }

  /** The request's DPoP proof checked (RFC 9449 §5): a result without a key when it has none. */
  private Future<DpopProofs.Result> dpop(RoutingContext ctx) {
    List<String> proofs = ctx.request().headers().getAll("DPoP");
    if (proofs.isEmpty()) {
      return Future.succeededFuture(DpopProofs.Result.NONE);
    }
    // The path this request was routed to: the canonical one or an alias (EndpointPaths).
    return s.dpop.check(proofs, "POST", ctx.currentRoute().getPath(), Optional.empty());
  }

  @Override
  public void mount(Router router) {
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.TOKEN)) {
      r.handler(FormBody.limit(16 * 1024)).handler(this::token);
    }
  }

  private void token(RoutingContext ctx) {
    MultiMap form = TokenRequests.parsed(ctx);
    if (form == null) {
      return;
    }
    for (String name : SINGLE) {
      if (form.getAll(name).size() > 1) {
        OAuthResponses.error(
            ctx, OAuthError.invalidRequest("the parameter " + name + " is repeated"));
        return;
      }
    }
    String grantType = form.get("grant_type");
    if (grantType == null || grantType.isEmpty()) {
      OAuthResponses.error(ctx, OAuthError.invalidRequest("grant_type is missing"));
      return;
    }
    TokenGrant grant = grants.get(grantType);
    authenticator
        .authenticate(ctx, form)
        .onFailure(ctx::fail)
        .onSuccess(
            auth -> {
              if (!auth.ok()) {
                OAuthResponses.error(ctx, auth.error());
                return;
              }
              if (grant == null) {
                OAuthResponses.error(
                    ctx,
                    OAuthError.unsupportedGrantType(
                        "grant_type " + grantType + " is not supported"));
                return;
              }
              if (grant.type() == GrantType.CLIENT_CREDENTIALS
                  && auth.client().metadata().tokenEndpointAuthMethod()
                      == TokenEndpointAuthMethod.NONE) {
                // RFC 6749 §4.4.2: the client MUST authenticate; naming a public client is not that
                // (§5.2).
                OAuthResponses.error(
                    ctx,
                    OAuthError.invalidClient("client_credentials needs client authentication"));
                return;
              }
              if (!auth.client().metadata().allows(grant.type())) {
                OAuthResponses.error(
                    ctx, OAuthError.unauthorizedClient("the client may not use " + grantType));
                return;
              }
              dpop(ctx)
                  .compose(
                      proof -> {
                        if (!proof.ok()) {
                          dpopRefused(ctx, s, proof);
                          return Future.succeededFuture();
                        }
                        if (proof.jkt() == null
                            && auth.client().metadata().security().requiresDpop()) {
                          // RFC 9449 §5.2: dpop_bound_access_tokens (and FAPI 2.0, §5.3.2.1).
                          dpopRefused(
                              ctx,
                              s,
                              DpopProofs.Result.refused(
                                  "this client's token requests must carry a DPoP proof"));
                          return Future.succeededFuture();
                        }
                        if (proof.jkt() != null) {
                          ctx.put(DPOP_JKT, proof.jkt());
                        }
                        s.dpop.currentNonce().ifPresent(n -> ctx.response().putHeader(NONCE, n));
                        return grant.exchange(ctx, form, auth.client());
                      })
                  .onFailure(ctx::fail)
                  .onSuccess(
                      r -> {
                        if (r == null) {
                          return; // answered: the DPoP proof was refused
                        }
                        if (r.error() != null) {
                          OAuthResponses.error(ctx, r.error());
                        } else {
                          issued.get(grant.type()).increment();
                          OAuthResponses.json(ctx, 200, r.response());
                        }
                      });
            });
  }
}
