package io.grantry.server.tokens;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The answers of JWT introspection that said "active", kept for a short while, shared by the
 * verticles of one process. A resource server introspects the same token on every call it serves;
 * without this each introspection verifies an ECDSA signature (the costliest step, about three
 * signatures' worth) and reads the token-state projection, so it ran at the database's pace.
 *
 * <p><b>Consistency.</b> A revocation committed through this process clears the cache before the
 * revoking request is answered ({@link #onCommitted}, a commit listener of every event store of the
 * process), so it is seen here at once. A revocation committed by another server instance is seen
 * here within the TTL ({@code GRANTRY_INTROSPECTION_CACHE_MS}, default 500 ms; 0 turns the cache
 * off), the bound issue 7 asks for being 1 s. An answer looked up while a revocation committed is
 * not cached (a generation count), so a read that raced the revocation cannot bring the token back.
 * Only active answers are kept, each at most until its token expires, and only for the verifier
 * (key set) that checked it, so a retired key stops working at once.
 */
public final class IntrospectionCache {
  /** About 1.5 KB each (token and answer): at most some 15 MB. */
  private static final int MAX_ENTRIES = 10_000;

  private final long ttlNanos;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong generation = new AtomicLong();

  private record Entry(JsonObject answer, Object verifier, long cachedUntil, Instant expiresAt) {}

  public IntrospectionCache(Duration ttl) {
    this.ttlNanos = ttl.toNanos();
  }

  public boolean enabled() {
    return ttlNanos > 0;
  }

  /**
   * The cached active answer for {@code token}, checked by {@code verifier}, still live at {@code
   * now}; else null.
   */
  public JsonObject get(String token, Object verifier, Instant now) {
    if (ttlNanos <= 0) {
      return null;
    }
    Entry e = entries.get(token);
    if (e == null) {
      return null;
    }
    if (e.verifier != verifier
        || System.nanoTime() - e.cachedUntil >= 0
        || !now.isBefore(e.expiresAt)) {
      entries.remove(token, e);
      return null;
    }
    return e.answer;
  }

  /** The generation to pass to {@link #put}: read it before looking the token up. */
  public long generation() {
    return generation.get();
  }

  /**
   * Keeps an active answer (never mutated afterwards) unless a revocation committed since {@code
   * generation} was read. The answer reflects what was committed up to {@code asOf} ({@link
   * System#nanoTime}: when its read started): it is kept until {@code asOf} plus the time to live,
   * so an answer read from the access-token mirror, itself up to that long behind, is never served
   * later than the bound.
   */
  public void put(
      String token,
      Object verifier,
      JsonObject answer,
      Instant expiresAt,
      long generation,
      long asOf) {
    if (ttlNanos <= 0 || this.generation.get() != generation) {
      return;
    }
    if (entries.size() >= MAX_ENTRIES) {
      entries.clear();
    }
    entries.put(token, new Entry(answer, verifier, asOf + ttlNanos, expiresAt));
    if (this.generation.get() != generation) {
      entries.remove(token); // a revocation committed while we were storing
    }
  }

  /**
   * Drops every answer when committed events revoke something (revocations are rare: no finer
   * bookkeeping).
   */
  public void onCommitted(List<RecordedEvent> events) {
    for (RecordedEvent e : events) {
      if (AccessTokenRevoked.TYPE.equals(e.type()) || GrantRevoked.TYPE.equals(e.type())) {
        invalidateAll();
        return;
      }
    }
  }

  public void invalidateAll() {
    generation.incrementAndGet();
    entries.clear();
  }
}
