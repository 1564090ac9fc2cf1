package io.grantry.server.app;

import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Reads of one stream's projected state (a user, a remembered consent) kept in memory for a short
 * while, keyed by the stream id and shared by the verticles of one process. The code flow reads its
 * user twice and the user's consent once per flow, and every refresh reads its user: each was a
 * database round trip of its own.
 *
 * <p>It follows the ledger: as a commit listener of every event store of the process ({@link
 * #onCommitted}, called after the commit and before the appending request is answered) it drops the
 * entries of the streams a batch wrote, so a change made through this process (a user disabled, a
 * consent withdrawn) is seen by the next request. A change made by another server instance is seen
 * within the time to live, as with client lookups ({@code ClientCache}). A read that was under way
 * while a commit dropped entries is not kept (it may have read the row before that commit): every
 * drop bumps an epoch, and a read keeps its answer only if the epoch did not move meanwhile. Own
 * code rather than a caching library: a map, an epoch and a clock.
 *
 * @param <V> the answer kept (immutable)
 */
public final class ProjectionCache<V> {
  /** Entries before a sweep of the expired ones; if all are live the map is cleared. */
  static final int MAX_ENTRIES = 20_000;

  private final long ttlNanos;
  private final Predicate<String> follows;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Entry<V>> entries = new ConcurrentHashMap<>();
  private final AtomicLong epoch = new AtomicLong();

  private record Entry<V>(V value, long expiresAt) {}

  /**
   * @param ttl how long an answer is kept (zero: never; every read goes to {@code loader})
   * @param follows which stream ids' commits drop entries (e.g. those starting with {@code user:})
   */
  public ProjectionCache(Duration ttl, Predicate<String> follows) {
    this(ttl, follows, System::nanoTime);
  }

  ProjectionCache(Duration ttl, Predicate<String> follows, LongSupplier nanoTime) {
    this.ttlNanos = ttl.toNanos();
    this.follows = follows;
    this.nanoTime = nanoTime;
  }

  /**
   * The answer for {@code streamId}: kept, or {@code loader}'s (then kept for the time to live).
   */
  public Future<V> get(String streamId, Function<String, Future<V>> loader) {
    if (ttlNanos <= 0) {
      return loader.apply(streamId);
    }
    Entry<V> e = entries.get(streamId);
    if (e != null && nanoTime.getAsLong() - e.expiresAt < 0) {
      return Future.succeededFuture(e.value);
    }
    long seen = epoch.get();
    return loader
        .apply(streamId)
        .onSuccess(
            v -> {
              if (epoch.get() != seen) {
                return; // a commit dropped entries meanwhile: this answer may predate it
              }
              long now = nanoTime.getAsLong();
              if (entries.size() >= MAX_ENTRIES) {
                entries.values().removeIf(x -> now - x.expiresAt >= 0);
                if (entries.size() >= MAX_ENTRIES) {
                  entries.clear();
                }
              }
              entries.put(streamId, new Entry<>(v, now + ttlNanos));
            });
  }

  /** A commit listener: drops the entries of the followed streams among {@code events}. */
  public void onCommitted(List<RecordedEvent> events) {
    for (RecordedEvent e : events) {
      if (follows.test(e.streamId())) {
        epoch.incrementAndGet();
        entries.remove(e.streamId());
      }
    }
  }

  public int size() {
    return entries.size();
  }
}
