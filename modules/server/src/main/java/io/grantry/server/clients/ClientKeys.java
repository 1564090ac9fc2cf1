package io.grantry.server.clients;

import io.grantry.domain.client.ClientKeyRules;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.oauth.JwsAlgorithm;
import io.grantry.server.config.ClientSettings;
import io.grantry.server.crypto.SigningKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.tracing.TracingPolicy;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys a {@code private_key_jwt} client signs its assertions with: its registered {@code
 * jwks}, or the JWK Set at its {@code jwks_uri}, fetched with a timeout
 * (GRANTRY_JWKS_URI_TIMEOUT_MILLIS) and a size cap (GRANTRY_JWKS_URI_MAX_BYTES), cached for
 * GRANTRY_JWKS_URI_CACHE_SECONDS, and fetched again before that when an assertion names a {@code
 * kid} the cached set lacks, at most every GRANTRY_JWKS_URI_MIN_REFETCH_SECONDS per URI (so that
 * made-up {@code kid}s cannot make us hammer the client's server). Concurrent fetches of one URI
 * are one fetch. A fetch that fails keeps the keys fetched before, if any (the client's key server
 * being down for a moment does not lock the client out); keys it never had are not invented. The
 * interval holds after a failed fetch too: while the URI fails, assertions naming the client (which
 * anyone can send) cause at most one fetch per interval, not one per assertion.
 *
 * <p>Keys that cannot sign (wrong {@code use}, a private part, an unsupported type or curve, RSA
 * under 2048 bits) are left out of a fetched set rather than failing it.
 */
public final class ClientKeys {
  private static final Logger log = LoggerFactory.getLogger(ClientKeys.class);

  /** A verification key of a client. */
  public record Key(String kid, String kty, JwsAlgorithm alg, PublicKey publicKey) {
    /**
     * Whether it may verify what {@code signed} claims: the key type fits, a declared alg is it.
     */
    boolean fits(JwsAlgorithm signed) {
      return kty.equals(signed.keyType()) && (alg == null || alg == signed);
    }
  }

  private record Fetched(List<Key> keys, Instant fetchedAt) {}

  private static final class Remote {
    volatile Fetched fetched;
    volatile Instant lastAttempt = Instant.EPOCH;
    Future<Fetched> inFlight;
  }

  private static final int MAX_PARSED = 1000;

  private final HttpClient http;
  private final ClientSettings settings;
  private final Clock clock;
  private final Map<String, List<Key>> parsed = new ConcurrentHashMap<>();
  private final Map<String, Remote> remote = new ConcurrentHashMap<>();

  public ClientKeys(Vertx vertx, ClientSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    int timeout = (int) settings.jwksUriTimeout().toMillis();
    this.http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout(timeout)
                .setIdleTimeout(timeout)
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setKeepAlive(false)
                // A host the client chose: our trace context stays here (GRANTRY_OTEL_ENDPOINT).
                .setTracingPolicy(TracingPolicy.IGNORE));
  }

  /**
   * The keys of {@code client} that may verify an assertion signed with {@code alg} and naming
   * {@code kid} (null: any); empty if there are none.
   */
  public Future<List<Key>> candidates(ClientState.Registered client, String kid, JwsAlgorithm alg) {
    var security = client.metadata().security();
    if (security.jwks().isPresent()) {
      return Future.succeededFuture(select(inline(security.jwks().get()), kid, alg));
    }
    if (security.jwksUri().isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    String uri = security.jwksUri().get();
    Remote r = remote.computeIfAbsent(uri, u -> new Remote());
    Instant now = clock.instant();
    Fetched f = r.fetched;
    List<Key> held = f == null ? List.of() : select(f.keys(), kid, alg);
    if (!held.isEmpty() && now.isBefore(f.fetchedAt().plus(settings.jwksUriCacheLifetime()))) {
      return Future.succeededFuture(held);
    }
    Future<Fetched> inFlight = inFlight(r);
    if (inFlight == null && now.isBefore(r.lastAttempt.plus(settings.jwksUriMinRefetch()))) {
      // Tried a moment ago, and it failed or lacked the kid: whatever the cache's state, wait out
      // the interval with the keys held (or none) rather than fetch for every assertion that names
      // this client, which anyone can send before its signature is checked.
      return Future.succeededFuture(held);
    }
    return (inFlight != null ? inFlight : fetch(uri, r))
        .map(fetched -> select(fetched.keys(), kid, alg));
  }

  private List<Key> inline(String jwks) {
    List<Key> keys = parsed.get(jwks);
    if (keys == null) {
      keys = parse(new JsonObject(jwks));
      if (parsed.size() >= MAX_PARSED) {
        parsed.clear();
      }
      parsed.put(jwks, keys);
    }
    return keys;
  }

  private static List<Key> select(List<Key> keys, String kid, JwsAlgorithm alg) {
    List<Key> out = new ArrayList<>(keys.size());
    for (Key k : keys) {
      if (k.fits(alg) && (kid == null || kid.equals(k.kid()))) {
        out.add(k);
      }
    }
    return out;
  }

  private synchronized Future<Fetched> fetch(String uri, Remote r) {
    if (r.inFlight != null) {
      return r.inFlight;
    }
    r.lastAttempt = clock.instant();
    Promise<Fetched> done = Promise.promise();
    r.inFlight = done.future();
    get(uri)
        .map(body -> new Fetched(parse(body), clock.instant()))
        .onSuccess(fetched -> r.fetched = fetched)
        .recover(
            err -> {
              log.warn("Fetching the client keys at {} failed: {}", uri, err.getMessage());
              Fetched before = r.fetched;
              return Future.succeededFuture(
                  before != null ? before : new Fetched(List.of(), Instant.EPOCH));
            })
        .onComplete(
            ar -> {
              clearInFlight(r);
              done.handle(ar);
            });
    return done.future();
  }

  private synchronized Future<Fetched> inFlight(Remote r) {
    return r.inFlight;
  }

  private synchronized void clearInFlight(Remote r) {
    r.inFlight = null;
  }

  private Future<JsonObject> get(String uri) {
    long timeout = settings.jwksUriTimeout().toMillis();
    int max = settings.jwksUriMaxBytes();
    return http.request(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(uri)
                .setConnectTimeout(timeout)
                .setIdleTimeout(timeout)
                .setFollowRedirects(false)
                .putHeader("Accept", "application/json, application/jwk-set+json"))
        .compose(req -> req.send())
        .compose(
            resp -> {
              if (resp.statusCode() != 200) {
                return Future.failedFuture("answered " + resp.statusCode());
              }
              String length = resp.getHeader("Content-Length");
              if (length != null && declaredLength(length) > max) {
                resp.request().reset();
                return Future.failedFuture("the JWK Set is larger than " + max + " bytes");
              }
              Promise<Buffer> body = Promise.promise();
              Buffer read = Buffer.buffer();
              resp.handler(
                  chunk -> {
                    if (read.length() + chunk.length() > max) {
                      body.tryFail("the JWK Set is larger than " + max + " bytes");
                      resp.request().reset();
                    } else {
                      read.appendBuffer(chunk);
                    }
                  });
              resp.exceptionHandler(body::tryFail);
              resp.endHandler(v -> body.tryComplete(read));
              return body.future();
            })
        .timeout(timeout, TimeUnit.MILLISECONDS)
        .compose(
            buffer -> {
              try {
                return Future.succeededFuture(buffer.toJsonObject());
              } catch (DecodeException | ClassCastException e) {
                return Future.failedFuture("not a JSON object");
              }
            });
  }

  private static long declaredLength(String header) {
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The usable signing keys of a JWK Set; the others are left out. */
  static List<Key> parse(JsonObject set) {
    List<Key> keys = new ArrayList<>();
    if (!(set.getValue("keys") instanceof JsonArray array)) {
      return keys;
    }
    for (int i = 0; i < array.size() && keys.size() < ClientKeyRules.MAX_KEYS; i++) {
      if (!(array.getValue(i) instanceof JsonObject jwk)
          || ClientKeyRules.keyProblem(jwk).isPresent()) {
        continue;
      }
      try {
        PublicKey key = SigningKeys.publicKey(jwk);
        JwsAlgorithm alg =
            jwk.getValue("alg") instanceof String a ? JwsAlgorithm.fromWire(a).orElse(null) : null;
        keys.add(
            new Key(
                jwk.getValue("kid") instanceof String k ? k : null,
                Objects.requireNonNull(jwk.getString("kty")),
                alg,
                key));
      } catch (IllegalArgumentException | ClassCastException e) {
        // not a key we can use: left out
      }
    }
    return List.copyOf(keys);
  }
}
