package io.grantry.server.token;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.app.Aggregate;
import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.FormBody;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.tokenstate.TokenState;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /revoke} (RFC 7009). The client authenticates; the token (hint or not) is tried as an
 * opaque access token ({@code <grantId>~<secret>}), an access token JWT, then as a refresh token.
 * Revoking a refresh token revokes its grant and everything issued from it; revoking an access
 * token marks its jti. An unknown, malformed or already revoked token, or another client's, is
 * answered 200 and changes nothing (§2.2).
 */
public final class RevocationRoutes implements RouteGroup {
  private static final Logger log = LoggerFactory.getLogger(RevocationRoutes.class);
  private final OAuthServices s;
  private final ClientAuthenticator authenticator;
  private final TokenState tokenState;
  private final EndpointPaths paths;

  public RevocationRoutes(OAuthServices services, EndpointPaths paths) {
    this.paths = paths;
    this.s = services;
    this.tokenState = services.tokenState;
    this.authenticator = ClientAuthenticator.of(services);
  }

  @Override
  public void mount(Router router) {
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.REVOCATION)) {
      r.handler(FormBody.limit(16 * 1024)).handler(this::revoke);
    }
  }

  private void revoke(RoutingContext ctx) {
    MultiMap form = TokenRequests.form(ctx);
    if (form == null) {
      return;
    }
    authenticator.then(
        ctx,
        form,
        client -> {
          String token = form.get("token");
          if (token == null || token.isEmpty()) {
            OAuthResponses.error(ctx, OAuthError.invalidRequest("token is missing"));
            return;
          }
          revoke(ctx, client, token)
              .onFailure(ctx::fail)
              .onSuccess(v -> OAuthResponses.json(ctx, 200, new JsonObject()));
        });
  }

  private Future<Void> revoke(RoutingContext ctx, ClientState.Registered client, String token) {
    Aggregate.Metadata who =
        new Aggregate.Metadata("client:" + client.clientId(), ctx.get("requestId"), null);
    Optional<String> opaqueJti = GrantTokens.opaqueJtiOf(token);
    if (opaqueJti.isPresent()) {
      return revokeAccess(client, opaqueJti.get(), who);
    }
    if (token.chars().filter(c -> c == '.').count() == 2) {
      JsonObject claims;
      try {
        claims = s.keys.verifier().verify(token, JwsSigner.TYP_ACCESS_TOKEN).payload();
      } catch (InvalidJwsException e) {
        return Future.succeededFuture();
      }
      return revokeAccess(client, claims.getString("jti"), who);
    }
    Optional<String> grantId = GrantTokens.grantIdOf(token);
    Optional<String> secret = GrantTokens.secretOf(token);
    if (grantId.isEmpty() || secret.isEmpty()) {
      return Future.succeededFuture();
    }
    String hash = GrantTokens.hash(secret.get());
    GrantCommand cmd =
        new GrantCommand.RevokeGrant(
            grantId.get(),
            RevocationReason.REVOKED_BY_CLIENT,
            who.actor(),
            Optional.of(client.clientId()));
    // Only the holder of one of the grant's refresh tokens, current or rotated, may revoke it this
    // way; the grant state keeps only the current one, the token-state projection all of them (read
    // only when the presented one is not the current one).
    return s.grants
        .execute(
            GrantTokens.streamId(grantId.get()),
            st ->
                currentRefreshIs(st, hash)
                    ? Future.succeededFuture(true)
                    : tokenState.refreshIssuedBy(grantId.get(), hash),
            (st, holds) ->
                holds && st instanceof GrantState.Active
                    ? GrantDecider.decide(st, cmd, s.clock.instant())
                    : Decision.<GrantEvent>unchanged(),
            who)
        .map(outcome -> foreign(outcome, client, grantId.get(), who))
        .mapEmpty();
  }

  private static boolean currentRefreshIs(GrantState st, String hash) {
    return st instanceof GrantState.Active a
        && a.refreshToken().map(r -> GrantTokens.hashesEqual(r.hash(), hash)).orElse(false);
  }

  /** Revokes the access token {@code jti} (a JWT's claim, or computed from an opaque token). */
  private Future<Void> revokeAccess(
      ClientState.Registered client, String jti, Aggregate.Metadata who) {
    Optional<String> grantId = jti == null ? Optional.empty() : GrantTokens.grantIdOf(jti);
    if (grantId.isEmpty()) {
      return Future.succeededFuture();
    }
    // The grant state keeps no access tokens: the token-state projection says whether the grant
    // issued this one, when it expires and whether it was revoked (read again on a lost race).
    return s.grants
        .execute(
            GrantTokens.streamId(grantId.get()),
            st ->
                st instanceof GrantState.Active
                    ? tokenState.issuedAccessToken(grantId.get(), jti)
                    : Future.succeededFuture(Optional.<GrantCommand.IssuedAccessToken>empty()),
            (st, issued) ->
                GrantDecider.decide(
                    st,
                    new GrantCommand.RevokeAccessToken(
                        grantId.get(), jti, who.actor(), Optional.of(client.clientId()), issued),
                    s.clock.instant()),
            who)
        .map(outcome -> foreign(outcome, client, grantId.get(), who))
        .mapEmpty();
  }

  /**
   * RFC 7009 §2.1: another client's token is answered 200 and left alone, but the attempt is worth
   * an operator's look (a leaked token, or a confused client), so it is logged, without the token.
   */
  private static <S, E> Aggregate.Outcome<S, E> foreign(
      Aggregate.Outcome<S, E> outcome,
      ClientState.Registered client,
      String grantId,
      Aggregate.Metadata who) {
    if (!outcome.accepted()
        && outcome.error() instanceof DomainError.OAuth o
        && o.error().code() == OAuthError.Code.UNAUTHORIZED_CLIENT) {
      log.warn(
          "Client {} tried to revoke a token of grant {}, issued to another client (request {})",
          client.clientId(),
          grantId,
          who.requestId());
    }
    return outcome;
  }
}
