package io.grantry.server.token;

import io.grantry.domain.client.AccessTokenFormat;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.app.Aggregate;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * {@code grant_type=client_credentials} (RFC 6749 §4.4): a confidential client gets an access token
 * for itself ({@code sub} is its client id), never a refresh token. Each issuance is an event on a
 * stream of its own, so concurrent requests never conflict and are group-committed.
 */
final class ClientCredentialsGrant implements TokenRoutes.TokenGrant {
  private final OAuthServices s;
  private final Minting minting;

  ClientCredentialsGrant(OAuthServices s) {
    this.s = s;
    this.minting = new Minting(s);
  }

  @Override
  public GrantType type() {
    return GrantType.CLIENT_CREDENTIALS;
  }

  @Override
  public Future<TokenRoutes.Result> exchange(
      RoutingContext ctx, MultiMap form, ClientState.Registered client) {
    Scopes allowed = client.metadata().allowedScopes();
    Scopes scopes;
    String scope = form.get("scope");
    if (scope == null || scope.isBlank()) {
      // Without a scope parameter (RFC 6749 §3.3 lets the server choose): what the client may have,
      // less what only a user can grant.
      scopes = allowed.withoutUserOnly();
    } else {
      try {
        scopes = Scopes.parse(scope);
      } catch (IllegalArgumentException e) {
        return Future.succeededFuture(
            TokenRoutes.Result.refused(
                OAuthError.invalidScope("the scope parameter is malformed")));
      }
      if (!scopes.isSubsetOf(allowed)) {
        return Future.succeededFuture(
            TokenRoutes.Result.refused(
                OAuthError.invalidScope("the client may not ask for some of these scopes")));
      }
      // A user-only scope is refused by GrantDecider (invalid_scope).
    }
    String grantId = TokenIssuer.grantId(s.clock.millis());
    Minting.Access access = Minting.newAccess(client, grantId);
    Instant now = s.clock.instant();
    // RFC 9449 §5: a checked DPoP proof binds the token to its key. Only a JWT carries the binding
    // (cnf.jkt) for now; an opaque token stays a bearer token, and its token_type says so (§5).
    Optional<String> jkt =
        client.metadata().accessTokenFormat() == AccessTokenFormat.JWT
            ? Optional.ofNullable(ctx.get(TokenRoutes.DPOP_JKT))
            : Optional.empty();
    GrantCommand.IssueClientCredentials cmd =
        new GrantCommand.IssueClientCredentials(
            grantId, client.clientId(), access.jti(), scopes, s.lifetimes.accessToken(), jkt);
    return s.grants
        .create(
            GrantTokens.streamId(grantId),
            state ->
                minting.signed(
                    client, access, GrantDecider.decide(state, cmd, now), Optional.empty()),
            new Aggregate.Metadata("client:" + client.clientId(), ctx.get("requestId"), null))
        .compose(
            outcome -> {
              if (!outcome.accepted()) {
                return Future.succeededFuture(TokenRoutes.Result.refused(outcome.error()));
              }
              ClientCredentialsIssued e = (ClientCredentialsIssued) outcome.events().get(0);
              return minting
                  .response(
                      client,
                      access,
                      client.clientId(),
                      e.jti(),
                      e.scopes(),
                      e.issuedAt(),
                      e.expiresAt(),
                      Optional.empty(),
                      null,
                      false,
                      Optional.empty(),
                      Minting.bound(Map.of(), e.jkt()))
                  .map(TokenRoutes.Result::ok);
            });
  }
}
