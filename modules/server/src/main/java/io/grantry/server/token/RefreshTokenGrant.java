package io.grantry.server.token;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenReuseDetected;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import io.grantry.server.app.Aggregate;
import io.grantry.server.browser.SignedValues;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.ops.OpsMetrics;
import io.grantry.server.tokenstate.TokenState;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code grant_type=refresh_token} (RFC 6749 §6) with rotation on every use; a rotated token
 * presented again revokes the whole grant (RFC 9700 §4.14.2). The successor's secret is derived
 * from the presented one with a server key, so that within the optional grace period a retry gets
 * the very same successor instead of revoking the grant (see GrantDecider).
 */
final class RefreshTokenGrant implements TokenRoutes.TokenGrant {
  private final OAuthServices s;
  private final Minting minting;
  private final SignedValues successors;
  private final SignedValues accessSecrets;
  private final Duration grace;
  private final Duration fapiGrace;

  /** The shortest grace period of a FAPI 2.0 client's refresh tokens. */
  static final Duration FAPI_GRACE = Duration.ofSeconds(60);

  private final TokenState tokenState;
  private final Counter reuseDetected;

  RefreshTokenGrant(OAuthServices s) {
    this.s = s;
    this.minting = new Minting(s);
    this.tokenState = s.tokenState;
    this.reuseDetected = OpsMetrics.reuseDetected(s.registry);
    this.successors = new SignedValues(s.serverSecret, "refresh-successor");
    this.accessSecrets = new SignedValues(s.serverSecret, "refresh-opaque-access");
    this.grace = s.refreshGrace;
    // FAPI 2.0 §5.3.2.1: rotation only where a client that lost the answer may retry with the
    // token it sent; for FAPI clients a retry is answered for a minute at least.
    this.fapiGrace = grace.compareTo(FAPI_GRACE) >= 0 ? grace : FAPI_GRACE;
  }

  @Override
  public GrantType type() {
    return GrantType.REFRESH_TOKEN;
  }

  @Override
  public Future<TokenRoutes.Result> exchange(
      RoutingContext ctx, MultiMap form, ClientState.Registered client) {
    String token = form.get("refresh_token");
    if (token == null || token.isEmpty()) {
      return Future.succeededFuture(
          TokenRoutes.Result.refused(OAuthError.invalidRequest("refresh_token is missing")));
    }
    Optional<Scopes> requested = Optional.empty();
    String scope = form.get("scope");
    if (scope != null && !scope.isBlank()) {
      try {
        requested = Optional.of(Scopes.parse(scope));
      } catch (IllegalArgumentException e) {
        return Future.succeededFuture(
            TokenRoutes.Result.refused(
                OAuthError.invalidScope("the scope parameter is malformed")));
      }
    }
    Optional<String> grantId = GrantTokens.grantIdOf(token);
    Optional<String> secret = GrantTokens.secretOf(token);
    if (grantId.isEmpty() || secret.isEmpty()) {
      return Future.succeededFuture(
          TokenRoutes.Result.refused(OAuthError.invalidGrant("the refresh token is not valid")));
    }
    String id = grantId.get();
    Optional<Scopes> asked = requested;
    // A disabled user's grants cannot be refreshed (their access tokens end with their lifetime).
    // The user read here also gives the ID token its claims.
    return userOf(id)
        .compose(
            user ->
                user.isPresent() && (user.get().isEmpty() || user.get().get().disabled())
                    ? Future.succeededFuture(
                        TokenRoutes.Result.refused(
                            OAuthError.invalidGrant("the refresh token is not valid")))
                    : rotate(ctx, client, id, secret.get(), asked, user.flatMap(u -> u)));
  }

  /**
   * The grant's user as the directory has it now: empty for a grant without a user (or an unknown
   * grant), else the lookup (itself empty for a user that no longer exists). The grant's user id
   * never changes, so a cached grant state gives it without asking the token-state projection.
   */
  private Future<Optional<Optional<UserState.Registered>>> userOf(String grantId) {
    String stream = GrantTokens.streamId(grantId);
    Optional<GrantState> cached = s.grants.peek(stream);
    // Not cached: with a cache, the grant's state is loaded now (its snapshot and the events after
    // it), which gives its user and leaves it cached for the decision, instead of a read of the
    // token-state projection followed by that load.
    Future<Optional<String>> userId =
        cached.isPresent()
            ? Future.succeededFuture(cached.flatMap(RefreshTokenGrant::userIdOf))
            : s.grants.caches()
                ? s.grants.load(stream).map(loaded -> userIdOf(loaded.state()))
                : tokenState.userOf(grantId);
    return userId.compose(
        u ->
            u.isEmpty()
                ? Future.succeededFuture(Optional.empty())
                : s.users.findById(u.get()).map(Optional::of));
  }

  private static Optional<String> userIdOf(GrantState state) {
    GrantState st = state instanceof GrantState.Revoked r ? r.before() : state;
    if (st instanceof GrantState.Active a) {
      return a.userId();
    }
    return st instanceof GrantState.CodeIssued c
        ? Optional.of(c.code().userId())
        : Optional.empty();
  }

  private Future<TokenRoutes.Result> rotate(
      RoutingContext ctx,
      ClientState.Registered client,
      String id,
      String presented,
      Optional<Scopes> requested,
      Optional<UserState.Registered> user) {
    String nextSecret = successors.tag(presented);
    // An opaque access token's secret is derived like the successor's, so that a grace-period
    // retry answers the very token the first request recorded (only its hash is in the ledger).
    Minting.Access access = Minting.newAccess(client, id, () -> accessSecrets.tag(presented));
    String jti = access.jti();
    Instant now = s.clock.instant();
    GrantCommand.Refresh cmd =
        new GrantCommand.Refresh(
                id,
                client.clientId(),
                GrantTokens.hash(presented),
                requested,
                GrantTokens.hash(nextSecret),
                jti,
                s.lifetimes,
                client.metadata().security().fapi2() ? fapiGrace : grace)
            .withDpop(Minting.dpopKey(ctx, client));
    Aggregate.Metadata who =
        new Aggregate.Metadata("client:" + client.clientId(), ctx.get("requestId"), null);
    // Decided once, from the grant's state and, when the presented token is not the grant's
    // current one, whether the grant issued it (reuse, or a retry within the grace period) or not
    // (a guess): the token-state projection tells, which the grant state does not duplicate. A
    // rotation asks nothing more.
    return s.grants
        .execute(
            GrantTokens.streamId(id),
            state -> facts(state, cmd),
            (state, f) ->
                f.chainRevoked()
                    ? Decision.<GrantEvent>reject(
                        new DomainError.OAuth(
                            OAuthError.invalidGrant(
                                "the grant this one was exchanged from is revoked")))
                    : minting.signed(
                        client,
                        access,
                        GrantDecider.decide(state, f.issued() ? cmd.issuedByGrant() : cmd, now),
                        Minting.exchangeOf(state)),
            who)
        .compose(
            outcome -> {
              if (outcome.events().stream().anyMatch(RefreshTokenReuseDetected.class::isInstance)) {
                reuseDetected.increment();
              }
              Optional<TokenRoutes.Result> refusal = TokenRoutes.Result.refusalOf(outcome);
              if (refusal.isPresent()) {
                return Future.succeededFuture(refusal.get());
              }
              GrantState.Active active = (GrantState.Active) outcome.state();
              // A rotation now, or (grace retry, no events) the rotation recorded before.
              Optional<RefreshTokenRotated> rotated =
                  outcome.events().stream()
                      .filter(RefreshTokenRotated.class::isInstance)
                      .map(RefreshTokenRotated.class::cast)
                      .findFirst()
                      .or(active::lastRotation);
              if (rotated.isEmpty()) {
                return Future.succeededFuture(
                    TokenRoutes.Result.refused(
                        OAuthError.invalidGrant("the refresh token is not valid")));
              }
              RefreshTokenRotated r = rotated.get();
              return minting
                  .response(
                      client,
                      access,
                      r.userId(),
                      r.accessTokenJti(),
                      r.scopes(),
                      r.rotatedAt(),
                      r.accessTokenExpiresAt(),
                      active.authentication(),
                      GrantTokens.token(id, nextSecret),
                      true,
                      user.filter(u -> u.userId().equals(r.userId())),
                      Minting.bound(Minting.exchangeClaims(active.exchange()), r.dpopJkt()))
                  .map(TokenRoutes.Result::ok);
            });
  }

  /**
   * What a refresh decision needs besides the grant's state: whether the grant issued a presented
   * token that is not its current one, and, for a grant made by a token exchange, whether a grant
   * it descends from was revoked (then it is dead too, though its own stream says nothing of it:
   * see {@link TokenState}).
   */
  private record Facts(boolean issued, boolean chainRevoked) {}

  private Future<Facts> facts(GrantState state, GrantCommand.Refresh cmd) {
    Future<Boolean> issued =
        GrantDecider.needsIssuedLookup(state, cmd)
            ? tokenState.refreshIssuedBy(cmd.grantId(), cmd.presentedHash())
            : Future.succeededFuture(false);
    List<String> chain =
        state instanceof GrantState.Active a
            ? a.exchange().map(TokenExchanged::grantChain).orElse(List.of())
            : List.of();
    if (chain.isEmpty()) {
      return issued.map(i -> new Facts(i, false));
    }
    return issued.compose(i -> tokenState.anyRevoked(chain).map(r -> new Facts(i, r)));
  }
}
