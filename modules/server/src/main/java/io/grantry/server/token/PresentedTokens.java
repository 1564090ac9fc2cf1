package io.grantry.server.token;

import io.grantry.domain.EventCodecException;
import io.grantry.domain.grant.Actor;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.PresentedToken;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.tokens.IssuedJwts;
import io.grantry.server.tokenstate.TokenState;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The subject and actor tokens of a token exchange, checked as RFC 8693 §2.1 asks ("the appropriate
 * validation procedures for the indicated token type") and turned into the facts the decision reads
 * ({@link PresentedToken}). Only our own tokens are accepted:
 *
 * <ul>
 *   <li>an access token, JWT or opaque, that introspection would call active: for a JWT, the very
 *       string its issuing event recorded the hash of, or else our signature ({@code IssuedJwts},
 *       as introspection decides), and our issuer; known to the token-state projection, not
 *       revoked, not expired, its grant and every grant that one was exchanged from not revoked;
 *   <li>an ID token with our signature and issuer, not expired, whose grant ({@code jti} names it)
 *       is not revoked. ID tokens from before token exchange carry no {@code jti} and are refused.
 * </ul>
 *
 * The declared type must fit: {@code access_token} an access token, {@code id_token} an ID token,
 * {@code jwt} either as a JWT; anything else (a refresh token, SAML) is refused. A token whose user
 * is disabled or gone is refused too. A token that is not ours, not live or of a disabled user is
 * {@code invalid_grant}; a type that does not fit is {@code invalid_request}. A JWT access token's
 * {@code cnf.jkt} comes with it: the decision asks for a proof of that key (RFC 9449).
 */
final class PresentedTokens {
  private static final int MAX_LENGTH = 8192;

  private final OAuthServices s;

  PresentedTokens(OAuthServices s) {
    this.s = s;
  }

  /** The checked token, or why it is refused. */
  record Checked(PresentedToken token, OAuthError error) {
    static Checked refused(OAuthError e) {
      return new Checked(null, e);
    }
  }

  /**
   * Checks {@code value}, presented as {@code param} ({@code subject_token} or {@code actor_token})
   * of type {@code declared}.
   */
  Future<Checked> check(String value, TokenType declared, String param, Instant now) {
    if (declared == TokenType.REFRESH_TOKEN) {
      return refused(
          OAuthError.invalidRequest(
              param
                  + "_type: a refresh token cannot be exchanged; use it at grant_type=refresh_token"));
    }
    if (value.length() > MAX_LENGTH) {
      return notOurs(param);
    }
    Optional<String> opaqueJti = GrantTokens.opaqueJtiOf(value);
    if (opaqueJti.isPresent()) {
      if (declared != TokenType.ACCESS_TOKEN) {
        return refused(
            OAuthError.invalidRequest(
                param
                    + " is an opaque access token, not of "
                    + param
                    + "_type "
                    + declared.wire()));
      }
      return s.tokenState
          .accessToken(opaqueJti.get())
          .compose(row -> accessToken(row, Optional.empty(), param, now));
    }
    if (value.chars().filter(c -> c == '.').count() != 2) {
      return notOurs(param);
    }
    JwsVerifier verifier = s.keys.verifier();
    JwsVerifier.Verified jws;
    try {
      jws = verifier.readUnverified(value, null);
    } catch (InvalidJwsException | RuntimeException e) {
      return notOurs(param);
    }
    if (JwsSigner.TYP_ACCESS_TOKEN.equalsIgnoreCase(String.valueOf(jws.header().getValue("typ")))
        && jws.payload().getValue("jti") instanceof String jti) {
      // An access token JWT: its row is found by the jti of its payload, read before anything is
      // trusted; the token is ours if its SHA-256 equals the hash its issuing event recorded, else
      // if its signature verifies (IssuedJwts, as /introspect decides). The row then serves below.
      return s.tokenState
          .accessToken(jti)
          .compose(
              row ->
                  IssuedJwts.issued(value, row.flatMap(TokenState.Token::tokenHash), verifier)
                      ? ours(jws, row, declared, param, now)
                      : notOurs(param));
    }
    try {
      verifier.verify(value);
    } catch (InvalidJwsException | RuntimeException e) {
      return notOurs(param);
    }
    return ours(jws, Optional.empty(), declared, param, now);
  }

  /**
   * A JWT of ours ({@code jws}, its signature or recorded hash checked): an access token, whose row
   * the caller read ({@code row}; only with a jti), or an ID token.
   */
  private Future<Checked> ours(
      JwsVerifier.Verified jws,
      Optional<TokenState.Token> row,
      TokenType declared,
      String param,
      Instant now) {
    JsonObject claims = jws.payload();
    if (!s.issuer.equals(claims.getValue("iss"))) {
      return notOurs(param);
    }
    Object typ = jws.header().getValue("typ");
    boolean accessToken = JwsSigner.TYP_ACCESS_TOKEN.equalsIgnoreCase(String.valueOf(typ));
    boolean idToken = typ == null || JwsSigner.TYP_JWT.equalsIgnoreCase(String.valueOf(typ));
    if (accessToken) {
      if (declared == TokenType.ID_TOKEN) {
        return refused(OAuthError.invalidRequest(param + " is an access token, not an ID token"));
      }
      return claims.getValue("jti") instanceof String
          ? accessToken(row, boundKey(claims), param, now)
          : notOurs(param);
    }
    if (idToken) {
      if (declared == TokenType.ACCESS_TOKEN) {
        return refused(OAuthError.invalidRequest(param + " is an ID token, not an access token"));
      }
      return idToken(claims, param, now);
    }
    // A logout token, or anything else we sign that is not meant to be presented.
    return notOurs(param);
  }

  /** The DPoP key a JWT access token is bound to (RFC 9449 §6: {@code cnf.jkt}), if it is. */
  private static Optional<String> boundKey(JsonObject claims) {
    return claims.getValue("cnf") instanceof JsonObject cnf
            && cnf.getValue("jkt") instanceof String jkt
        ? Optional.of(jkt)
        : Optional.empty();
  }

  /** An access token of ours, from its row as read. */
  private Future<Checked> accessToken(
      Optional<TokenState.Token> row, Optional<String> jkt, String param, Instant now) {
    if (row.isEmpty() || !row.get().activeAt(now)) {
      return refused(
          OAuthError.invalidGrant(param + " is not active: expired, revoked, or not issued here"));
    }
    TokenState.Token t = row.get();
    Optional<Actor> actor;
    try {
      actor = t.act().map(a -> GrantEventCodec.actorOf(new JsonObject(a)));
    } catch (EventCodecException | DecodeException e) {
      return notOurs(param);
    }
    return withLiveUser(
        new PresentedToken(
            TokenType.ACCESS_TOKEN,
            t.grantId(),
            t.clientId(),
            t.subject(),
            t.userId(),
            Scopes.parse(t.scope()),
            t.audience(),
            actor,
            t.grantChain(),
            t.expiresAt(),
            jkt),
        param);
  }

  /**
   * OIDC Core §3.1.3.7 as far as it applies to a token presented back to its issuer: our signature
   * and issuer (checked by the caller), {@code exp} in the future; its audience is for the decision
   * (the client it was issued to, {@code azp}, must be the one exchanging it, or named in {@code
   * aud}).
   */
  private Future<Checked> idToken(JsonObject claims, String param, Instant now) {
    if (!(claims.getValue("sub") instanceof String sub)
        || !(claims.getValue("exp") instanceof Number exp)) {
      return notOurs(param);
    }
    Instant expiresAt = Instant.ofEpochSecond(exp.longValue());
    if (!now.isBefore(expiresAt)) {
      return refused(OAuthError.invalidGrant(param + " has expired"));
    }
    List<String> audience = new ArrayList<>();
    Object aud = claims.getValue("aud");
    if (aud instanceof String one) {
      audience.add(one);
    } else if (aud instanceof JsonArray many) {
      many.forEach(a -> audience.add(String.valueOf(a)));
    }
    String issuedTo =
        claims.getValue("azp") instanceof String azp
            ? azp
            : audience.size() == 1 ? audience.get(0) : null;
    Optional<String> grantId =
        claims.getValue("jti") instanceof String jti
            ? GrantTokens.grantIdOf(jti)
            : Optional.empty();
    if (issuedTo == null || grantId.isEmpty()) {
      return refused(
          OAuthError.invalidGrant(
              param
                  + " names no grant: an ID token issued before token exchange cannot be exchanged"));
    }
    return s.tokenState
        .grant(grantId.get())
        .compose(
            g -> {
              if (g.isEmpty()
                  || g.get().revoked()
                  || !g.get().clientId().equals(issuedTo)
                  || !g.get().userId().map(sub::equals).orElse(false)) {
                return refused(
                    OAuthError.invalidGrant(
                        param + " is not active: its grant is revoked, or it was not issued here"));
              }
              return withLiveUser(
                  new PresentedToken(
                      TokenType.ID_TOKEN,
                      g.get().grantId(),
                      issuedTo,
                      sub,
                      Optional.of(sub),
                      Scopes.parse(g.get().scope()),
                      audience,
                      Optional.empty(),
                      g.get().grantChain(),
                      expiresAt),
                  param);
            });
  }

  /** A user's token is refused once the user is disabled or gone, as its refresh would be. */
  private Future<Checked> withLiveUser(PresentedToken t, String param) {
    if (t.userId().isEmpty()) {
      return Future.succeededFuture(new Checked(t, null));
    }
    return s.users
        .findById(t.userId().get())
        .map(
            u ->
                u.isPresent() && !u.get().disabled()
                    ? new Checked(t, null)
                    : new Checked(
                        null, OAuthError.invalidGrant(param + "'s user is disabled or gone")));
  }

  private static Future<Checked> notOurs(String param) {
    return refused(OAuthError.invalidGrant(param + " is not a token this server issued"));
  }

  private static Future<Checked> refused(OAuthError e) {
    return Future.succeededFuture(Checked.refused(e));
  }
}
