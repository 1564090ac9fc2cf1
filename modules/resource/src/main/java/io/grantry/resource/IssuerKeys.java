package io.grantry.resource;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The issuer's signing keys as a vertx-auth-jwt {@link JWTAuth}, from the {@code jwks_uri} its
 * discovery document names. Each fetch builds a new provider holding every published key (the
 * retiring ones too, so tokens signed before a rotation still verify) and swaps it in whole; a
 * validation reads one provider, never a half-updated one.
 *
 * <p>A token naming a {@code kid} the current set lacks asks for a refetch ({@link #refreshFor}):
 * concurrent asks share one fetch, and a fetch starts only when the last one ended at least the
 * refetch interval ago, so tokens with invented kids cost the issuer one request per interval at
 * most. A failed fetch keeps the keys already held.
 */
final class IssuerKeys {
  private final Vertx vertx;
  private final DocumentFetcher fetcher;
  private final String jwksUri;
  private final JWTOptions jwtOptions;
  private final List<String> algorithms;
  private final Duration refetchInterval;
  private final Clock clock;

  /** The keys in use: replaced whole after each successful fetch. */
  private volatile Keys keys;

  private Instant lastFetch = Instant.MIN;
  private Future<Keys> inFlight;

  record Keys(JWTAuth provider, Set<String> kids, int version) {}

  private IssuerKeys(
      Vertx vertx, DocumentFetcher fetcher, String jwksUri, ResourceServerOptions options) {
    this.vertx = vertx;
    this.fetcher = fetcher;
    this.jwksUri = jwksUri;
    this.algorithms = options.algorithms();
    this.refetchInterval = options.jwksRefetchInterval();
    this.clock = options.clock();
    // vertx-auth-jwt checks iss, aud (any of the token's), exp and nbf with this leeway; it does
    // not check typ, nor that exp is there at all: AccessTokenVerifier does both itself.
    this.jwtOptions =
        new JWTOptions()
            .setIssuer(options.issuer())
            .addAudience(options.audience())
            .setLeeway((int) Math.min(Integer.MAX_VALUE, options.clockSkew().toSeconds()));
  }

  /** The keys of {@code jwksUri}, fetched once before this returns. */
  static Future<IssuerKeys> load(
      Vertx vertx, DocumentFetcher fetcher, String jwksUri, ResourceServerOptions options) {
    IssuerKeys k = new IssuerKeys(vertx, fetcher, jwksUri, options);
    return k.fetch().map(k);
  }

  Keys current() {
    return keys;
  }

  /**
   * The keys after a refetch, if {@code kid} is still unknown and the bound allows one; else the
   * keys held now.
   */
  Future<Keys> refreshFor(String kid) {
    synchronized (this) {
      Keys held = keys;
      if (held.kids().contains(kid)) {
        return Future.succeededFuture(held);
      }
      if (inFlight != null) {
        return inFlight;
      }
      if (clock.instant().isBefore(lastFetch.plus(refetchInterval))) {
        return Future.succeededFuture(held);
      }
      return fetch();
    }
  }

  private synchronized Future<Keys> fetch() {
    Promise<Keys> done = Promise.promise();
    inFlight = done.future();
    lastFetch = clock.instant();
    fetcher
        .get(jwksUri)
        .map(this::provider)
        .onComplete(
            ar -> {
              synchronized (this) {
                inFlight = null;
                lastFetch = clock.instant();
                if (ar.succeeded()) {
                  keys = ar.result();
                }
              }
              if (ar.succeeded()) {
                done.complete(ar.result());
              } else if (keys != null) {
                // Keep what we had: a flaky issuer must not make every token invalid.
                done.complete(keys);
              } else {
                done.fail(ar.cause());
              }
            });
    return done.future();
  }

  /** A provider of the set's signing keys of the algorithms we accept. */
  private Keys provider(JsonObject jwks) {
    JsonArray all = jwks.getJsonArray("keys", new JsonArray());
    JWTAuthOptions options = new JWTAuthOptions().setJWTOptions(jwtOptions);
    Set<String> kids = new HashSet<>();
    for (Object o : all) {
      if (!(o instanceof JsonObject jwk)) {
        continue;
      }
      String use = jwk.getString("use");
      String alg = jwk.getString("alg");
      // A key without alg would be tried for every algorithm of its type; Grantry names it always.
      if ((use != null && !use.equals("sig")) || alg == null || !algorithms.contains(alg)) {
        continue;
      }
      options.addJwk(jwk);
      String kid = jwk.getString("kid");
      if (kid != null) {
        kids.add(kid);
      }
    }
    if (options.getJwks().isEmpty()) {
      throw new DocumentFetcher.FetchException(
          jwksUri + " holds no signing key of " + String.join(", ", algorithms));
    }
    Keys held = keys;
    return new Keys(
        JWTAuth.create(vertx, options), Set.copyOf(kids), held == null ? 1 : held.version() + 1);
  }
}
