package io.grantry.server.token;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.PresentedToken;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import io.grantry.server.app.Aggregate;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code grant_type=urn:ietf:params:oauth:grant-type:token-exchange} (RFC 8693): a client presents
 * a token of ours (and, to act for its subject, one of its own as the actor) and gets a token for
 * the same subject, for the audience it asks for, never with more scope. The exchange is the first
 * event of a grant of its own ({@code grant.token_exchanged.v1}), created like a client_credentials
 * token (a fresh stream, no read, group-committed), linked to the subject token's grant: revoking
 * that grant revokes this one ({@link io.grantry.server.tokenstate.TokenState}).
 *
 * <p>The parse here is RFC 8693 §2.1's: {@code subject_token} and {@code subject_token_type}
 * required, {@code actor_token} and {@code actor_token_type} together or not at all, {@code
 * audience} and {@code resource} possibly repeated. A missing or malformed parameter is {@code
 * invalid_request}. The tokens are checked by {@link PresentedTokens}; what the client may have
 * from them is {@link GrantDecider}'s decision.
 *
 * <p><b>Errors for a dead token.</b> A revoked, expired or foreign subject or actor token is
 * answered {@code invalid_grant}, as for every other grant (RFC 6749 §5.2: "invalid, expired,
 * revoked"), which is what issue 16 asks. RFC 8693 §2.2.2 says {@code invalid_request} for a
 * subject or actor token that is "invalid for any reason"; the two are one line apart in {@link
 * GrantDecider} and {@link PresentedTokens} should that be preferred.
 *
 * <p><b>DPoP (RFC 9449).</b> The request's DPoP proof binds the issued access token to its key
 * ({@code token_type} DPoP, {@code cnf.jkt}), as at every grant (§5), and a public client's refresh
 * token. A subject or actor token bound to a key is exchanged only with a proof of that key, and
 * only for a token bound to it again (a JWT): presenting it here is using it, and a bound token is
 * never used as a bearer token.
 */
final class TokenExchangeGrant implements TokenRoutes.TokenGrant {
  /** Most {@code audience} plus {@code resource} values one request may name. */
  static final int MAX_TARGETS = 20;

  private static final int MAX_TARGET_LENGTH = 2000;

  private final OAuthServices s;
  private final Minting minting;
  private final PresentedTokens presented;

  TokenExchangeGrant(OAuthServices s) {
    this.s = s;
    this.minting = new Minting(s);
    this.presented = new PresentedTokens(s);
  }

  @Override
  public GrantType type() {
    return GrantType.TOKEN_EXCHANGE;
  }

  /** A parsed request, or the error it gets. */
  private record Request(
      String subjectToken,
      TokenType subjectType,
      Optional<String> actorToken,
      Optional<TokenType> actorType,
      TokenType requested,
      Optional<Scopes> scope,
      List<String> audiences,
      List<String> resources) {}

  @Override
  public Future<TokenRoutes.Result> exchange(
      RoutingContext ctx, MultiMap form, ClientState.Registered client) {
    Request r;
    try {
      r = parse(form);
    } catch (Refused e) {
      return Future.succeededFuture(TokenRoutes.Result.refused(e.error));
    }
    Instant now = s.clock.instant();
    return presented
        .check(r.subjectToken(), r.subjectType(), "subject_token", now)
        .compose(
            subject -> {
              if (subject.error() != null) {
                return Future.succeededFuture(TokenRoutes.Result.refused(subject.error()));
              }
              if (r.actorToken().isEmpty()) {
                return decide(ctx, client, r, subject.token(), Optional.empty(), now);
              }
              return presented
                  .check(r.actorToken().get(), r.actorType().orElseThrow(), "actor_token", now)
                  .compose(
                      actor ->
                          actor.error() != null
                              ? Future.succeededFuture(TokenRoutes.Result.refused(actor.error()))
                              : decide(
                                  ctx,
                                  client,
                                  r,
                                  subject.token(),
                                  Optional.of(actor.token()),
                                  now));
            });
  }

  private Future<TokenRoutes.Result> decide(
      RoutingContext ctx,
      ClientState.Registered client,
      Request r,
      PresentedToken subject,
      Optional<PresentedToken> actor,
      Instant now) {
    String grantId = TokenIssuer.grantId(s.clock.millis());
    // requested_token_type=jwt asks for a JWT whatever format the client's access tokens have.
    Minting.Access access =
        r.requested() == TokenType.JWT
            ? new Minting.Access(
                GrantTokens.jti(grantId, TokenIssuer.secret().substring(0, 16)), null)
            : Minting.newAccess(client, grantId);
    String refreshSecret = TokenIssuer.secret();
    GrantCommand.ExchangeToken cmd =
        new GrantCommand.ExchangeToken(
            grantId,
            client.clientId(),
            client.metadata().allowedScopes(),
            client.metadata().tokenExchange(),
            subject,
            actor,
            r.scope(),
            r.audiences(),
            r.resources(),
            r.requested(),
            access.jti(),
            GrantTokens.hash(refreshSecret),
            s.lifetimes,
            Minting.dpopKey(ctx, client, access.opaqueToken() == null));
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
              TokenExchanged e = (TokenExchanged) outcome.events().get(0);
              if (e.refreshTokenHash().isPresent()) {
                // RFC 8693 §2.2.1: the issued token travels in access_token; it is not one, so
                // its token_type is N_A.
                return Future.succeededFuture(
                    TokenRoutes.Result.ok(
                        new JsonObject()
                            .put("access_token", GrantTokens.token(grantId, refreshSecret))
                            .put("issued_token_type", TokenType.REFRESH_TOKEN.wire())
                            .put("token_type", "N_A")
                            .put(
                                "expires_in",
                                Duration.between(e.exchangedAt(), e.refreshTokenExpiresAt().get())
                                    .getSeconds())
                            .put("scope", e.scopes().value())));
              }
              Instant expires = e.accessTokenExpiresAt().orElseThrow();
              String token =
                  minting.accessToken(
                      client,
                      access,
                      e.accessTokenJti().orElseThrow(),
                      e.subject(),
                      e.scopes(),
                      e.exchangedAt(),
                      expires,
                      Minting.bound(Minting.exchangeClaims(Optional.of(e)), e.dpopJkt()));
              return Future.succeededFuture(
                  TokenRoutes.Result.ok(
                      new JsonObject()
                          .put("access_token", token)
                          .put(
                              "issued_token_type",
                              (r.requested() == TokenType.JWT
                                      ? TokenType.JWT
                                      : TokenType.ACCESS_TOKEN)
                                  .wire())
                          .put("token_type", e.dpopJkt().isPresent() ? "DPoP" : "Bearer")
                          .put(
                              "expires_in",
                              Math.max(0, Duration.between(e.exchangedAt(), expires).getSeconds()))
                          .put("scope", e.scopes().value())));
            });
  }

  private static Request parse(MultiMap form) throws Refused {
    String subjectToken = required(form, "subject_token");
    TokenType subjectType = type(required(form, "subject_token_type"), "subject_token_type");
    Optional<String> actorToken = optional(form, "actor_token");
    Optional<String> actorTypeName = optional(form, "actor_token_type");
    // RFC 8693 §2.1: actor_token_type is REQUIRED with an actor token and MUST NOT be without.
    if (actorToken.isPresent() != actorTypeName.isPresent()) {
      throw new Refused(
          OAuthError.invalidRequest(
              "actor_token and actor_token_type are sent together or not at all"));
    }
    Optional<TokenType> actorType =
        actorTypeName.isPresent()
            ? Optional.of(type(actorTypeName.get(), "actor_token_type"))
            : Optional.empty();
    TokenType requested =
        optional(form, "requested_token_type").isPresent()
            ? type(form.get("requested_token_type"), "requested_token_type")
            : TokenType.ACCESS_TOKEN;
    Optional<Scopes> scope = Optional.empty();
    String scopeValue = form.get("scope");
    if (scopeValue != null && !scopeValue.isBlank()) {
      try {
        scope = Optional.of(Scopes.parse(scopeValue));
      } catch (IllegalArgumentException e) {
        throw new Refused(OAuthError.invalidScope("the scope parameter is malformed"));
      }
    }
    List<String> audiences = targets(form, "audience");
    List<String> resources = targets(form, "resource");
    if (audiences.size() + resources.size() > MAX_TARGETS) {
      throw new Refused(
          OAuthError.invalidRequest(
              "at most " + MAX_TARGETS + " audience and resource values in one request"));
    }
    return new Request(
        subjectToken, subjectType, actorToken, actorType, requested, scope, audiences, resources);
  }

  private static String required(MultiMap form, String name) throws Refused {
    String v = form.get(name);
    if (v == null || v.isEmpty()) {
      throw new Refused(OAuthError.invalidRequest(name + " is missing"));
    }
    return v;
  }

  private static Optional<String> optional(MultiMap form, String name) {
    String v = form.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  private static TokenType type(String value, String name) throws Refused {
    return TokenType.fromWire(value)
        .orElseThrow(
            () ->
                new Refused(
                    OAuthError.invalidRequest(
                        name
                            + " must be one of the token types of RFC 8693 §3 this server"
                            + " knows: access_token, id_token, jwt, refresh_token")));
  }

  private static List<String> targets(MultiMap form, String name) throws Refused {
    List<String> values = form.getAll(name);
    for (String v : values) {
      if (v.isEmpty() || v.length() > MAX_TARGET_LENGTH) {
        throw new Refused(
            OAuthError.invalidRequest(name + " values are 1-" + MAX_TARGET_LENGTH + " characters"));
      }
    }
    return List.copyOf(values);
  }

  /** A request refused while parsing. */
  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final transient OAuthError error;

    Refused(OAuthError error) {
      super(error.description(), null, false, false);
      this.error = error;
    }
  }
}
