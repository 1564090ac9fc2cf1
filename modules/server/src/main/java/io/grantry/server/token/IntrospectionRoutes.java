package io.grantry.server.token;

import io.grantry.domain.client.ClientType;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.FormBody;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.tokens.IntrospectionCache;
import io.grantry.server.tokens.IssuedJwts;
import io.grantry.server.tokenstate.AccessTokenFacts;
import io.grantry.server.tokenstate.AccessTokenMirror;
import io.grantry.server.tokenstate.TokenState;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Optional;

/**
 * {@code POST /introspect} (RFC 7662), answered from the token-state projection, which the revoking
 * append updates in its own transaction, or for access tokens from its in-memory mirror ({@link
 * AccessTokenMirror}, which answers only while it has caught up with the ledger within
 * GRANTRY_INTROSPECTION_CACHE_MS). Active JWT and opaque access token answers are kept briefly in
 * memory ({@link IntrospectionCache}; opaque answers by the token's jti, which holds only the hash
 * of its secret). Either way a revocation through this process is seen at once, one through another
 * instance within 500 ms by default. Callers must authenticate with a secret. A client sees its own
 * tokens; one registered with the {@code introspect} permission sees all. Anything else is exactly
 * {@code {"active": false}}. Opaque access tokens are answered like JWTs (same claims), found by
 * the hash of their secret.
 *
 * <p>A JWT's row (or mirrored token) is found by the {@code jti} of its payload, read before
 * anything is trusted; the token is then ours if its SHA-256 equals the hash its issuing event
 * recorded, else if its signature verifies ({@link IssuedJwts}, where the argument is), whichever
 * source answered. So a JWT seen for the first time costs a hash (and the row's read when the
 * mirror cannot answer), and the ECDSA verification only for tokens issued before hashes were
 * recorded and for strings that are not what we issued. Such a string now costs the read too
 * (before, a bad signature was refused first): no more than any opaque-looking string costs.
 */
public final class IntrospectionRoutes implements RouteGroup {
  private static final JsonObject INACTIVE = new JsonObject().put("active", false);

  /**
   * The "verifier" of cached opaque answers (they need no key set) and their keys' prefix (no JWT
   * starts so).
   */
  private static final Object OPAQUE = new Object();

  private static final String OPAQUE_KEY_PREFIX = "opaque:";
  private final OAuthServices s;
  private final ClientAuthenticator authenticator;
  private final TokenState state;
  private final EndpointPaths paths;

  public IntrospectionRoutes(OAuthServices services, EndpointPaths paths) {
    this.paths = paths;
    this.s = services;
    this.authenticator = ClientAuthenticator.of(services);
    this.state = services.tokenState;
  }

  @Override
  public void mount(Router router) {
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.INTROSPECTION)) {
      r.handler(FormBody.limit(16 * 1024)).handler(this::introspect);
    }
  }

  private void introspect(RoutingContext ctx) {
    MultiMap form = TokenRequests.form(ctx);
    if (form == null) {
      return;
    }
    authenticator
        .authenticate(ctx, form)
        .onFailure(ctx::fail)
        .onSuccess(
            auth -> {
              if (!auth.ok() || auth.client().metadata().type() == ClientType.PUBLIC) {
                OAuthResponses.error(
                    ctx,
                    auth.ok()
                        ? OAuthError.invalidClient("client authentication failed")
                        : auth.error());
                return;
              }
              String token = form.get("token");
              if (token == null || token.isEmpty()) {
                OAuthResponses.error(ctx, OAuthError.invalidRequest("token is missing"));
                return;
              }
              String caller = auth.client().clientId();
              boolean mayAll = auth.client().metadata().introspect();
              describe(token)
                  .onFailure(ctx::fail)
                  .onSuccess(
                      answer -> {
                        boolean visible =
                            answer.getBoolean("active", false)
                                && (mayAll || caller.equals(answer.getString("client_id")));
                        OAuthResponses.json(ctx, 200, visible ? answer : INACTIVE);
                      });
            });
  }

  private Future<JsonObject> describe(String token) {
    Instant now = s.clock.instant();
    if (token.length() > 8192) {
      return Future.succeededFuture(INACTIVE);
    }
    Optional<String> opaqueJti = GrantTokens.opaqueJtiOf(token);
    if (opaqueJti.isPresent()) {
      // An opaque access token: its jti is the grant id and the hash of its secret, the row's key.
      // Cached like a JWT's answer, by its jti (the hash of its secret, never the secret itself).
      String jti = opaqueJti.get();
      IntrospectionCache cache = s.introspection;
      String key = OPAQUE_KEY_PREFIX + jti;
      JsonObject cached = cache.get(key, OPAQUE, now);
      if (cached != null) {
        return Future.succeededFuture(cached);
      }
      long generation = cache.generation();
      return accessToken(jti)
          .map(
              read ->
                  read.token()
                      .filter(x -> x.activeAt(now))
                      .map(
                          x -> {
                            JsonObject active =
                                answer(x, "Bearer").put("jti", jti).put("aud", audience(x));
                            cache.put(key, OPAQUE, active, x.expiresAt(), generation, read.asOf());
                            return active;
                          })
                      .orElse(INACTIVE));
    }
    if (token.chars().filter(c -> c == '.').count() == 2) {
      JwsVerifier verifier = s.keys.verifier();
      IntrospectionCache cache = s.introspection;
      JsonObject cached = cache.get(token, verifier, now);
      if (cached != null) {
        return Future.succeededFuture(cached);
      }
      long generation = cache.generation();
      // The header and payload, NOT yet trusted: the payload's jti only chooses the row whose
      // recorded hash the token must match, or else its signature is verified (IssuedJwts), before
      // any claim of it is used.
      JsonObject claims;
      try {
        claims = verifier.readUnverified(token, JwsSigner.TYP_ACCESS_TOKEN).payload();
      } catch (InvalidJwsException e) {
        return Future.succeededFuture(INACTIVE);
      }
      if (!(claims.getValue("jti") instanceof String jti)) {
        return Future.succeededFuture(INACTIVE);
      }
      return accessToken(jti)
          .map(
              read ->
                  read.token()
                      .filter(x -> x.activeAt(now))
                      // Every answer, from memory or from the row: the token must be the one we
                      // issued (its recorded hash, else its signature).
                      .filter(x -> IssuedJwts.issued(token, x.tokenHash(), verifier))
                      .map(
                          x -> {
                            // RFC 9449 §6.2: a DPoP-bound token says so, with its key's thumbprint.
                            boolean bound = claims.getValue("cnf") instanceof JsonObject;
                            JsonObject active =
                                answer(x, bound ? "DPoP" : "Bearer")
                                    .put("jti", jti)
                                    .put("aud", claims.getValue("aud"));
                            if (bound) {
                              active.put("cnf", claims.getJsonObject("cnf").copy());
                            }
                            cache.put(
                                token, verifier, active, x.expiresAt(), generation, read.asOf());
                            return active;
                          })
                      .orElse(INACTIVE));
    }
    Optional<String> secret = GrantTokens.secretOf(token);
    if (secret.isEmpty() || GrantTokens.grantIdOf(token).isEmpty()) {
      return Future.succeededFuture(INACTIVE);
    }
    return state
        .refreshToken(GrantTokens.hash(secret.get()))
        .map(
            t ->
                t.filter(x -> x.activeAt(now))
                    .map(x -> answer(x, "refresh_token"))
                    .orElse(INACTIVE));
  }

  /**
   * The access token {@code jti} from the in-memory mirror when it can answer (loaded, caught up
   * within GRANTRY_INTROSPECTION_CACHE_MS, holding the token), else from the token-state projection
   * (one indexed read), with the time it is as of.
   */
  private Future<Read> accessToken(String jti) {
    AccessTokenMirror mirror = s.accessTokenMirror;
    // Read before the lookup: the mirror's state is at least that fresh when it answers.
    long mirrorAsOf = mirror.freshAt();
    AccessTokenFacts mirrored = mirror.find(jti);
    if (mirrored != null) {
      return Future.succeededFuture(new Read(Optional.of(mirrored), mirrorAsOf));
    }
    long asOf = System.nanoTime();
    return state.accessToken(jti).map(t -> new Read(t.map(AccessTokenFacts.class::cast), asOf));
  }

  /**
   * An access token as read, and the time ({@link System#nanoTime}) up to which the read reflects
   * every commit: how long its answer may be cached.
   */
  private record Read(Optional<AccessTokenFacts> token, long asOf) {}

  private JsonObject answer(AccessTokenFacts t, String type) {
    JsonObject answer =
        new JsonObject()
            .put("active", true)
            .put("scope", t.scope())
            .put("client_id", t.clientId())
            .put("sub", t.subject())
            .put("iss", s.issuer)
            .put("token_type", type)
            .put("iat", t.issuedAt().getEpochSecond())
            .put("exp", t.expiresAt().getEpochSecond());
    // RFC 8693 §4.1: an exchanged token's actor, as its JWT carries it.
    t.act().ifPresent(act -> answer.put("act", new JsonObject(act)));
    return answer;
  }

  /**
   * An opaque token's {@code aud}: what its token exchange asked for (a string for one value, RFC
   * 7519 §4.1.3), else the server's default.
   */
  private Object audience(AccessTokenFacts t) {
    if (t.audience().isEmpty()) {
      return s.tokens.audience();
    }
    return t.audience().size() == 1
        ? t.audience().get(0)
        : new JsonArray(new ArrayList<>(t.audience()));
  }
}
