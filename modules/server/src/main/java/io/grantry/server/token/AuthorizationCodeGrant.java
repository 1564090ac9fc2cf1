package io.grantry.server.token;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantState;
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
import java.util.Optional;

/**
 * {@code grant_type=authorization_code} (RFC 6749 §4.1.3, RFC 7636 §4.5). The code finds its
 * grant's stream; the grant decides (single use, 60 s, bound to client, redirect URI, PKCE); a
 * second use revokes what the first one issued and is answered {@code invalid_grant}.
 */
final class AuthorizationCodeGrant implements TokenRoutes.TokenGrant {
  private final OAuthServices s;
  private final Minting minting;

  AuthorizationCodeGrant(OAuthServices s) {
    this.s = s;
    this.minting = new Minting(s);
  }

  @Override
  public GrantType type() {
    return GrantType.AUTHORIZATION_CODE;
  }

  @Override
  public Future<TokenRoutes.Result> exchange(
      RoutingContext ctx, MultiMap form, ClientState.Registered client) {
    String code = form.get("code");
    if (code == null || code.isEmpty()) {
      return Future.succeededFuture(
          TokenRoutes.Result.refused(OAuthError.invalidRequest("code is missing")));
    }
    Optional<String> grantId = GrantTokens.grantIdOf(code);
    Optional<String> secret = GrantTokens.secretOf(code);
    if (grantId.isEmpty() || secret.isEmpty()) {
      return Future.succeededFuture(
          TokenRoutes.Result.refused(OAuthError.invalidGrant("the code is not valid")));
    }
    String id = grantId.get();
    Minting.Access access = Minting.newAccess(client, id);
    String jti = access.jti();
    String refreshSecret = TokenIssuer.secret();
    boolean mayRefresh = client.metadata().allows(GrantType.REFRESH_TOKEN);
    Instant now = s.clock.instant();
    return s.grants
        .execute(
            GrantTokens.streamId(id),
            state -> {
              boolean offline =
                  mayRefresh
                      && state instanceof GrantState.CodeIssued c
                      && c.code().scopes().contains(Scopes.OFFLINE_ACCESS);
              return minting.signed(
                  client,
                  access,
                  GrantDecider.decide(
                      state,
                      new GrantCommand.RedeemCode(
                          id,
                          client.clientId(),
                          GrantTokens.hash(secret.get()),
                          Optional.ofNullable(form.get("redirect_uri")),
                          Optional.ofNullable(form.get("code_verifier")),
                          jti,
                          offline ? Optional.of(GrantTokens.hash(refreshSecret)) : Optional.empty(),
                          s.lifetimes,
                          Minting.dpopKey(ctx, client)),
                      now),
                  Optional.empty());
            },
            new Aggregate.Metadata("client:" + client.clientId(), ctx.get("requestId"), null))
        .compose(outcome -> minting.redeemed(client, access, refreshSecret, outcome));
  }
}
