package io.grantry.server.token;

import io.grantry.domain.Decision;
import io.grantry.domain.client.AccessTokenFormat;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.grant.AccessTokenIssuance;
import io.grantry.domain.grant.AccessTokenIssuance.IssuedAccessToken;
import io.grantry.domain.grant.CodeRedemption;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import io.grantry.server.app.Aggregate;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.oauth.UserClaims;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Builds the token response of RFC 6749 §5.1 from what a grant decision recorded. The access token
 * is what the client's metadata asks for: a JWT signed with its {@code access_token_signing_alg},
 * or an opaque {@code <grantId>~<secret>} (see {@link GrantTokens}).
 */
final class Minting {
  private final OAuthServices s;
  private final TokenIssuer tokens;

  Minting(OAuthServices s) {
    this.s = s;
    this.tokens = s.tokens;
  }

  /** Signing only ({@link #signed}, {@link #accessToken}), with {@code tokens}: for its tests. */
  Minting(TokenIssuer tokens) {
    this.s = null;
    this.tokens = tokens;
  }

  /**
   * The access token a grant is about to record: the {@code jti} for its command and, for an opaque
   * token, the token itself; for a JWT, once {@link #signed} signed it, the JWT (each kept in
   * memory only until the response is written). One per token request, used on its event loop only.
   */
  static final class Access {
    private final String jti;
    private final String opaqueToken;

    /** The JWT {@link #signed} signed for the decision last taken, and its jti; null if none. */
    private String signedJti;

    private String signedToken;

    /**
     * What the last JWT signed for this request says, and that JWT (kept when a later decision
     * issues none): a decision taken again that issues the very same token reuses it.
     */
    private Signing lastSigning;

    private String lastSigned;

    Access(String jti, String opaqueToken) {
      this.jti = jti;
      this.opaqueToken = opaqueToken;
    }

    String jti() {
      return jti;
    }

    String opaqueToken() {
      return opaqueToken;
    }
  }

  /**
   * A fresh access token for {@code client} in grant {@code grantId}: random secret or random jti.
   */
  static Access newAccess(ClientState.Registered client, String grantId) {
    return newAccess(client, grantId, TokenIssuer::secret);
  }

  /**
   * An access token whose opaque form, if the client wants one, has the secret {@code secret}
   * supplies (256 bits, base64url); a JWT's jti gets a fresh random part.
   */
  static Access newAccess(ClientState.Registered client, String grantId, Supplier<String> secret) {
    if (client.metadata().accessTokenFormat() == AccessTokenFormat.OPAQUE) {
      String value = secret.get();
      return new Access(
          GrantTokens.opaqueJti(grantId, value), GrantTokens.opaqueAccessToken(grantId, value));
    }
    return new Access(GrantTokens.jti(grantId, TokenIssuer.secret().substring(0, 16)), null);
  }

  /**
   * The access token string for the recorded {@code jti}: the opaque token when {@code access} is
   * the one recorded, else a JWT with that jti (a grace-period retry recorded by a request made
   * before the client switched format gets a JWT for the recorded jti).
   */
  String accessToken(
      ClientState.Registered client,
      Access access,
      String jti,
      String subject,
      Scopes scopes,
      Instant issuedAt,
      Instant expiresAt,
      Map<String, Object> claims) {
    if (access != null && access.opaqueToken() != null && access.jti().equals(jti)) {
      return access.opaqueToken();
    }
    if (access != null && jti.equals(access.signedJti)) {
      // Signed before its event was appended (signed): the token whose hash the ledger records.
      return access.signedToken;
    }
    return sign(client, jti, subject, scopes, issuedAt, expiresAt, claims);
  }

  /** Everything an access token JWT is made of: the same signing makes the same token. */
  private record Signing(
      SigningAlgorithm alg, String clientId, IssuedAccessToken token, Map<String, Object> claims) {}

  private String sign(
      ClientState.Registered client,
      String jti,
      String subject,
      Scopes scopes,
      Instant issuedAt,
      Instant expiresAt,
      Map<String, Object> claims) {
    return tokens.accessToken(
        client.metadata().accessTokenSigningAlg(),
        jti,
        subject,
        client.clientId(),
        scopes,
        issuedAt,
        expiresAt,
        claims);
  }

  /**
   * {@code decision} with the access token JWT it issues signed now, BEFORE its event is appended,
   * and the token's SHA-256 recorded in that event ({@code access_token_hash}, in the token-state
   * row too), so that introspection recognises the token by its hash instead of verifying its
   * signature (see {@code IntrospectionRoutes}). The JWT is kept in {@code access} for the response
   * ({@link #accessToken} returns it for its jti). If the append fails, the signed token is simply
   * discarded and never sent: a response is built only from an outcome whose events committed. A
   * decision taken again after a lost race (its append found the stream moved on) replaces the
   * token kept, so the token sent is always the one whose hash was appended; when it issues the
   * very same token (same jti, subject, scopes, times, claims, algorithm: the jti and the request
   * time are the request's, drawn once, so only a changed grant state changes a retry's token) the
   * JWT signed for the attempt that lost is reused rather than signed again: it was never sent, and
   * a second signature would only be another string for the same claims.
   *
   * <p>What is hashed: the exact compact token (the ASCII string {@code header.payload.signature}),
   * rather than its signing input and its signature apart. The two carry the same bytes, but the
   * compact string is what a client presents, so introspection hashes the presented string as it
   * is, before parsing anything, and only that very string matches: a token re-encoded in another
   * way (say, a signature in non-canonical base64url decoding to the same bytes) is another string
   * and goes to the signature check. SHA-256 of ~500 bytes costs ~1-2 µs against ~30-40 µs for the
   * ES256 signature itself.
   *
   * <p>An opaque token is left as it is: its row's key already is its secret's hash.
   *
   * @param exchange the token exchange that made the grant, whose claims ({@link #exchangeClaims})
   *     its refreshed tokens carry; empty for other grants (a {@link TokenExchanged} event's own
   *     token carries its own)
   */
  Decision<GrantEvent> signed(
      ClientState.Registered client,
      Access access,
      Decision<GrantEvent> decision,
      Optional<TokenExchanged> exchange) {
    access.signedJti = null;
    access.signedToken = null;
    if (!(decision instanceof Decision.Accepted<GrantEvent> accepted)) {
      return decision;
    }
    List<GrantEvent> events = accepted.events();
    List<GrantEvent> out = null;
    for (int i = 0; i < events.size(); i++) {
      if (!(events.get(i) instanceof AccessTokenIssuance e)) {
        continue;
      }
      Optional<IssuedAccessToken> issued = e.issuedAccessToken();
      if (issued.isEmpty()) {
        continue;
      }
      IssuedAccessToken t = issued.get();
      if (access.opaqueToken() != null && access.jti().equals(t.jti())) {
        continue; // the opaque token of access: its row's key already is its secret's hash
      }
      // A token exchange's claims: the exchange's own token, and a refresh of the grant it made.
      Optional<TokenExchanged> madeBy = e instanceof TokenExchanged x ? Optional.of(x) : exchange;
      Map<String, Object> claims = bound(exchangeClaims(madeBy), t.dpopJkt());
      Signing signing =
          new Signing(client.metadata().accessTokenSigningAlg(), client.clientId(), t, claims);
      String token =
          signing.equals(access.lastSigning)
              ? access.lastSigned
              : sign(client, t.jti(), t.subject(), t.scopes(), t.issuedAt(), t.expiresAt(), claims);
      access.lastSigning = signing;
      access.lastSigned = token;
      if (out == null) {
        out = new ArrayList<>(events);
      }
      out.set(i, e.withAccessTokenHash(GrantTokens.hash(token)));
      access.signedJti = t.jti();
      access.signedToken = token;
    }
    return out == null ? decision : new Decision.Accepted<>(out);
  }

  /** The token exchange that made the grant in {@code state}, if one did. */
  static Optional<TokenExchanged> exchangeOf(GrantState state) {
    GrantState st = state instanceof GrantState.Revoked r ? r.before() : state;
    return st instanceof GrantState.Active a ? a.exchange() : Optional.empty();
  }

  /**
   * The claims a grant made by a token exchange puts in every access token it issues, the first and
   * those of its refreshes: {@code aud} as asked for (RFC 8693 §2.1; a string for one value), and
   * {@code act} naming who acts for the subject (§4.1). None for other grants.
   */
  static Map<String, Object> exchangeClaims(Optional<TokenExchanged> exchange) {
    if (exchange.isEmpty()) {
      return Map.of();
    }
    TokenExchanged e = exchange.get();
    Map<String, Object> claims = new LinkedHashMap<>();
    if (e.audiences().size() == 1) {
      claims.put("aud", e.audiences().get(0));
    } else if (!e.audiences().isEmpty()) {
      claims.put("aud", new JsonArray(new ArrayList<>(e.audiences())));
    }
    e.actor().ifPresent(a -> claims.put("act", GrantEventCodec.actor(a)));
    return claims;
  }

  /**
   * The DPoP key of this token request (checked by {@link TokenRoutes}) and what it binds: the
   * access token when it is a JWT, which carries the binding ({@code cnf.jkt}; an opaque token
   * stays a bearer token and its {@code token_type} says so, RFC 9449 §5), and a public client's
   * refresh token (§5: a confidential client's is bound to its authentication instead).
   */
  static GrantCommand.DpopKey dpopKey(RoutingContext ctx, ClientState.Registered client) {
    return dpopKey(ctx, client, client.metadata().accessTokenFormat() == AccessTokenFormat.JWT);
  }

  /** The same, for an access token that is a JWT ({@code jwt}) or not, whatever the client's. */
  static GrantCommand.DpopKey dpopKey(
      RoutingContext ctx, ClientState.Registered client, boolean jwt) {
    Optional<String> jkt = Optional.ofNullable(ctx.get(TokenRoutes.DPOP_JKT));
    if (jkt.isEmpty()) {
      return GrantCommand.DpopKey.NONE;
    }
    return new GrantCommand.DpopKey(jkt, jwt, client.metadata().type() == ClientType.PUBLIC);
  }

  /**
   * {@code claims} with the DPoP binding to the key of thumbprint {@code jkt} when there is one
   * (RFC 9449 §6: the JWT's {@code cnf.jkt}; {@link #response} then answers {@code token_type}
   * DPoP).
   */
  static Map<String, Object> bound(Map<String, Object> claims, Optional<String> jkt) {
    if (jkt.isEmpty()) {
      return claims;
    }
    Map<String, Object> out = new LinkedHashMap<>(claims);
    out.put("cnf", new JsonObject().put("jkt", jkt.get()));
    return out;
  }

  /**
   * The answer to a redeemed code, an authorization code's or a device code's alike ({@link
   * CodeRedemption}): the refusal the decision's outcome stands for, or the event's tokens: the
   * access token bound to the key it names, the refresh token of {@code refreshSecret} (drawn by
   * the caller before the decision) when one was issued, and an ID token with {@code openid}.
   */
  Future<TokenRoutes.Result> redeemed(
      ClientState.Registered client,
      Access access,
      String refreshSecret,
      Aggregate.Outcome<GrantState, GrantEvent> outcome) {
    Optional<TokenRoutes.Result> refusal = TokenRoutes.Result.refusalOf(outcome);
    if (refusal.isPresent()) {
      return Future.succeededFuture(refusal.get());
    }
    CodeRedemption r =
        outcome.events().stream()
            .filter(CodeRedemption.class::isInstance)
            .map(CodeRedemption.class::cast)
            .findFirst()
            .orElseThrow();
    GrantState.Active active = (GrantState.Active) outcome.state();
    String refresh =
        r.refreshTokenHash().isPresent() ? GrantTokens.token(r.grantId(), refreshSecret) : null;
    return response(
            client,
            access,
            r.userId(),
            r.accessTokenJti(),
            r.scopes(),
            r.redeemedAt(),
            r.accessTokenExpiresAt(),
            active.authentication(),
            refresh,
            true,
            Optional.empty(),
            bound(Map.of(), r.dpopJkt()))
        .map(TokenRoutes.Result::ok);
  }

  /**
   * Access token for {@code subject}, carrying {@code claims} ({@link #exchangeClaims}; {@code
   * token_type} DPoP when they bind it to a key, {@link #bound}), plus an ID token when {@code
   * openid} is among the scopes and the user's authentication is known (a code's or a device
   * approval's: {@link GrantState.Active#authentication()}), plus the refresh token when there is
   * one. {@code known}: the subject's user already read by the caller (empty: look it up).
   */
  Future<JsonObject> response(
      ClientState.Registered client,
      Access minted,
      String subject,
      String jti,
      Scopes scopes,
      Instant issuedAt,
      Instant expiresAt,
      Optional<GrantState.Authentication> authentication,
      String refreshToken,
      boolean userSubject,
      Optional<UserState.Registered> known,
      Map<String, Object> claims) {
    String access = accessToken(client, minted, jti, subject, scopes, issuedAt, expiresAt, claims);
    JsonObject out =
        new JsonObject()
            .put("access_token", access)
            .put("token_type", claims.containsKey("cnf") ? "DPoP" : "Bearer")
            .put("expires_in", Math.max(0, Duration.between(issuedAt, expiresAt).getSeconds()))
            .put("scope", scopes.value());
    if (refreshToken != null) {
      out.put("refresh_token", refreshToken);
    }
    if (!userSubject || !scopes.contains(Scopes.OPENID) || authentication.isEmpty()) {
      return Future.succeededFuture(out);
    }
    GrantState.Authentication signIn = authentication.get();
    Future<Optional<UserState.Registered>> lookup =
        known.isPresent() ? Future.succeededFuture(known) : s.users.findById(subject);
    return lookup.map(
        user -> {
          JsonObject userClaims = user.map(u -> UserClaims.of(u, scopes)).orElse(new JsonObject());
          // OIDC Back-Channel Logout §2.4: the session the user signed in with, which logout
          // tokens name; a client learns it only from its own ID tokens.
          signIn.sessionId().ifPresent(sid -> userClaims.put("sid", sid));
          // Names the grant, as an access token's jti does: a token exchange of the ID token
          // (RFC 8693) finds the grant it comes from, and dies with it.
          GrantTokens.grantIdOf(jti)
              .ifPresent(
                  g ->
                      userClaims.put(
                          "jti", GrantTokens.jti(g, TokenIssuer.secret().substring(0, 16))));
          out.put(
              "id_token",
              s.tokens.idToken(
                  client.metadata().idTokenSignedResponseAlg(),
                  subject,
                  client.clientId(),
                  signIn.nonce().orElse(null),
                  signIn.authTime(),
                  access,
                  issuedAt,
                  issuedAt.plus(s.idTokenLifetime),
                  userClaims));
          return out;
        });
  }
}
