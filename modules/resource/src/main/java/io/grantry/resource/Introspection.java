package io.grantry.resource;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opaque tokens, asked of the issuer's introspection endpoint (RFC 7662) with the resource server's
 * own client credentials (HTTP Basic, §2.1), and the answers kept in a bounded cache: at most
 * {@code size} entries (least recently used go first), each for the configured TTL and never past
 * the token's {@code exp}. Entries are keyed by the SHA-256 of the token, so the cache holds no
 * usable token. An issuer that cannot be reached fails the check with a {@link
 * DocumentFetcher.FetchException} (the handler answers 503: the token may be fine). An inactive
 * answer is kept too (a token never becomes active again), so a flood of made-up tokens costs the
 * issuer one call each, once.
 */
final class Introspection {
  private final DocumentFetcher fetcher;
  private final String endpoint;
  private final String authorization;
  private final String issuer;
  private final String audience;
  private final Duration ttl;
  private final int size;
  private final Clock clock;
  private final Map<String, Entry> cache;

  private record Entry(JsonObject answer, Instant until) {}

  Introspection(DocumentFetcher fetcher, String endpoint, ResourceServerOptions options) {
    this.fetcher = fetcher;
    this.endpoint = endpoint;
    // RFC 7662 §2.1 with RFC 6749 §2.3.1: both parts form-urlencoded before Basic.
    String credentials =
        form(options.clientId().orElseThrow()) + ":" + form(options.clientSecret());
    this.authorization =
        "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    this.issuer = options.issuer();
    this.audience = options.audience();
    this.ttl = options.introspectionCacheTtl();
    this.size = options.introspectionCacheSize();
    this.clock = options.clock();
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > size;
          }
        };
  }

  /** The claims of an active token meant for us; else an {@link InvalidTokenException}. */
  Future<JsonObject> claims(String token) {
    Instant now = clock.instant();
    String key = sha256(token);
    Entry hit;
    synchronized (cache) {
      hit = cache.get(key);
      if (hit != null && !now.isBefore(hit.until())) {
        cache.remove(key);
        hit = null;
      }
    }
    if (hit != null) {
      return judge(hit.answer(), now);
    }
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("token", token);
    return fetcher
        .postForm(endpoint, authorization, form)
        .compose(
            answer -> {
              remember(key, answer, now);
              return judge(answer, now);
            });
  }

  private void remember(String key, JsonObject answer, Instant now) {
    if (size == 0 || ttl.isZero()) {
      return;
    }
    Instant until = now.plus(ttl);
    if (answer.getValue("exp") instanceof Number exp) {
      Instant expires = Instant.ofEpochSecond(exp.longValue());
      if (expires.isBefore(until)) {
        until = expires;
      }
    }
    if (until.isAfter(now)) {
      synchronized (cache) {
        cache.put(key, new Entry(answer, until));
      }
    }
  }

  /** RFC 7662 §2.2: active, and ours: our issuer and audience, not expired. */
  private Future<JsonObject> judge(JsonObject answer, Instant now) {
    if (!Boolean.TRUE.equals(answer.getValue("active"))) {
      return Future.failedFuture(InvalidTokenException.invalidToken("the token is not active"));
    }
    Object iss = answer.getValue("iss");
    if (iss != null && !issuer.equals(iss)) {
      return Future.failedFuture(
          InvalidTokenException.invalidToken("the token is from another issuer"));
    }
    if (!audienceMatches(answer.getValue("aud"))) {
      return Future.failedFuture(
          InvalidTokenException.invalidToken("the token is not meant for this audience"));
    }
    if (answer.getValue("exp") instanceof Number exp
        && !now.isBefore(Instant.ofEpochSecond(exp.longValue()))) {
      return Future.failedFuture(InvalidTokenException.invalidToken("the token has expired"));
    }
    return Future.succeededFuture(answer);
  }

  private boolean audienceMatches(Object aud) {
    if (aud instanceof String s) {
      return audience.equals(s);
    }
    if (aud instanceof JsonArray a) {
      return a.contains(audience);
    }
    // RFC 7662 makes aud optional: an issuer that leaves it out speaks for every audience it has.
    return aud == null;
  }

  int cached() {
    synchronized (cache) {
      return cache.size();
    }
  }

  static String sha256(String token) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  private static String form(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
