package io.grantry.server.app;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * The last committed states of recently used streams, shared by the verticles of one server (a
 * refresh chain's requests reach whichever event loop their connection is on). An {@link Aggregate}
 * with a cache decides on a cached state without reading the stream when the decision appends (the
 * append's expected version proves the state was the latest), and reads only the events after the
 * cached version otherwise.
 *
 * <p>Bounded twice: by weight (a state's weight is what it holds, so a state that grows with its
 * stream's history cannot fill the heap where a count of streams would allow it; a grant state
 * weighs one) and by idleness (the states of chains nobody presents any more leave after {@code
 * maxIdle} instead of sitting in the heap until newer ones push them out). Both are checked on
 * every insertion, least recently used first. Own code rather than a caching library: the whole
 * policy is a LinkedHashMap in access order and a sum, under one lock held for a few map
 * operations.
 *
 * @param <S> the aggregate's state (immutable: a cached state is evolved again later)
 */
public final class StateCache<S> {
  private final long maxWeight;
  private final long maxIdleNanos;
  private final ToIntFunction<S> weigher;
  private final LongSupplier nanoTime;
  private final LinkedHashMap<String, Entry<S>> entries = new LinkedHashMap<>(256, 0.75f, true);
  private long weight;
  private long hits;
  private long misses;

  private static final class Entry<S> {
    final Aggregate.Loaded<S> loaded;
    final int weight;
    long usedAt;

    Entry(Aggregate.Loaded<S> loaded, int weight, long usedAt) {
      this.loaded = loaded;
      this.weight = weight;
      this.usedAt = usedAt;
    }
  }

  public StateCache(long maxWeight, Duration maxIdle, ToIntFunction<S> weigher) {
    this(maxWeight, maxIdle, weigher, System::nanoTime);
  }

  StateCache(long maxWeight, Duration maxIdle, ToIntFunction<S> weigher, LongSupplier nanoTime) {
    this.maxWeight = maxWeight;
    this.maxIdleNanos = maxIdle.toNanos();
    this.weigher = weigher;
    this.nanoTime = nanoTime;
  }

  /** The cached state of {@code streamId}, or null. */
  public synchronized Aggregate.Loaded<S> get(String streamId) {
    Entry<S> e = entries.get(streamId);
    if (e == null) {
      misses++;
      return null;
    }
    long now = nanoTime.getAsLong();
    if (now - e.usedAt > maxIdleNanos) {
      entries.remove(streamId);
      weight -= e.weight;
      misses++;
      return null;
    }
    e.usedAt = now;
    hits++;
    return e.loaded;
  }

  /** Keeps {@code loaded} unless a later committed state of the stream is already known. */
  public synchronized void put(String streamId, Aggregate.Loaded<S> loaded) {
    if (loaded.version() <= 0) {
      return;
    }
    Entry<S> known = entries.get(streamId);
    if (known != null && known.loaded.version() >= loaded.version()) {
      return;
    }
    int w = Math.max(1, weigher.applyAsInt(loaded.state()));
    long now = nanoTime.getAsLong();
    if (known != null) {
      weight -= known.weight;
    }
    entries.put(streamId, new Entry<>(loaded, w, now));
    weight += w;
    Iterator<Map.Entry<String, Entry<S>>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Entry<S>> eldest = it.next();
      if (weight <= maxWeight && now - eldest.getValue().usedAt <= maxIdleNanos) {
        break;
      }
      it.remove();
      weight -= eldest.getValue().weight;
    }
  }

  /** Forgets {@code streamId} (its state was found stale). */
  public synchronized void remove(String streamId) {
    Entry<S> e = entries.remove(streamId);
    if (e != null) {
      weight -= e.weight;
    }
  }

  public synchronized int size() {
    return entries.size();
  }

  public synchronized long weight() {
    return weight;
  }

  public synchronized long hits() {
    return hits;
  }

  public synchronized long misses() {
    return misses;
  }
}
