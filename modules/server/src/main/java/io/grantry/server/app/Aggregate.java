package io.grantry.server.app;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.EventCodec;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Load, decide, append: the one way commands reach the ledger. The stream is read and folded into
 * its state, the pure decision runs, and its events are appended with the version that was read
 * as the expected version. Losing a race re-reads and decides again, so the caller gets the
 * answer a sequential server would give.
 *
 * <p>{@link #withCache} keeps the last committed state of recently used streams (dropped after 30 s unused), so loading one
 * reads only the events appended since (by this or any other instance) instead of the whole
 * stream. That matters for long-lived grants: every refresh appends to the grant's stream, and
 * folding the whole stream on every refresh made a grant's n-th refresh cost O(n) reads and
 * decodes (and O(n²) over its life). Only committed states are cached (read from the ledger, or
 * written by an append that committed), and a state is never trusted beyond its version: the
 * ledger is append-only, so the events after it are all that can be missing.
 *
 * @param <S> the aggregate's state
 * @param <E> its events
 */
public final class Aggregate<S, E> {
  private static final int ATTEMPTS = 5;

  private final EventStore store;
  private final EventCodec<E> codec;
  private final S initial;
  private final BiFunction<S, E, S> evolve;
  /** Stream id → last committed state known here, least recently used first; null without a cache. */
  private final Map<String, Cached<S>> cache;

  /** How long a state stays cached without being used. */
  static final long IDLE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

  /** A cached state and when it was last used (guarded by the cache's lock). */
  private static final class Cached<S> {
    final Loaded<S> loaded;
    long usedAt = System.nanoTime();

    Cached(Loaded<S> loaded) {
      this.loaded = loaded;
    }
  }

  public Aggregate(EventStore store, EventCodec<E> codec, S initial, BiFunction<S, E, S> evolve) {
    this(store, codec, initial, evolve, 0);
  }

  private Aggregate(EventStore store, EventCodec<E> codec, S initial, BiFunction<S, E, S> evolve, int maxStreams) {
    this.store = store;
    this.codec = codec;
    this.initial = initial;
    this.evolve = evolve;
    // Bounded by count and by idleness: a grant's state grows with its rotations, so states of
    // grants nobody refreshes any more must not sit in the heap until the count pushes them out.
    // Each insertion drops the least recently used entry when it is over the count or idle.
    this.cache = maxStreams <= 0 ? null : new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cached<S>> eldest) {
        return size() > maxStreams || System.nanoTime() - eldest.getValue().usedAt > IDLE_NANOS;
      }
    };
  }

  /**
   * The same aggregate, keeping the states of at most {@code maxStreams} recently used streams.
   * The states must be immutable (the domain's are), since a cached one is evolved again later.
   */
  public Aggregate<S, E> withCache(int maxStreams) {
    return new Aggregate<>(store, codec, initial, evolve, maxStreams);
  }

  /** A stream's state and the version it was read at (0 when the stream does not exist). */
  public record Loaded<S>(S state, long version) {}

  /** What a command did: the events appended (maybe none) and the new state, or the refusal. */
  public record Outcome<S, E>(S state, List<E> events, DomainError error) {
    public boolean accepted() {
      return error == null;
    }
  }

  public Future<Loaded<S>> load(String streamId) {
    if (cache == null) {
      return store.readStream(streamId).map(this::fold);
    }
    Loaded<S> known = cached(streamId);
    if (known == null) {
      return store.readStream(streamId).map(events -> remember(streamId, fold(events)));
    }
    return store.readStream(streamId, known.version()).map(events -> remember(streamId, fold(known, events)));
  }

  public Loaded<S> fold(List<RecordedEvent> events) {
    return fold(new Loaded<>(initial, 0), events);
  }

  private Loaded<S> fold(Loaded<S> from, List<RecordedEvent> events) {
    S state = from.state();
    long version = from.version();
    for (RecordedEvent e : events) {
      state = evolve.apply(state, codec.fromJson(e.type(), e.payload()));
      version = e.version();
    }
    return new Loaded<>(state, version);
  }

  private Loaded<S> cached(String streamId) {
    synchronized (cache) {
      Cached<S> c = cache.get(streamId);
      if (c == null) {
        return null;
      }
      c.usedAt = System.nanoTime();
      return c.loaded;
    }
  }

  /** Keeps {@code loaded} unless a later committed state of the stream is already known. */
  private Loaded<S> remember(String streamId, Loaded<S> loaded) {
    if (cache != null && loaded.version() > 0) {
      synchronized (cache) {
        Cached<S> known = cache.get(streamId);
        if (known == null || known.loaded.version() < loaded.version()) {
          cache.put(streamId, new Cached<>(loaded));
        }
      }
    }
    return loaded;
  }

  /**
   * For a stream that must not exist yet (its id is fresh and random): decides on the initial
   * state without reading, and appends with "no stream". Saves the read on hot paths such as
   * client_credentials, where every token starts a stream of its own.
   */
  public Future<Outcome<S, E>> create(String streamId, Function<S, Decision<E>> decide, Metadata metadata) {
    Decision<E> decision = decide.apply(initial);
    if (decision instanceof Decision.Rejected<E> r) {
      return Future.succeededFuture(new Outcome<>(initial, List.of(), r.error()));
    }
    List<E> events = decision.events();
    List<NewEvent> out = new ArrayList<>(events.size());
    S state = initial;
    JsonObject meta = metadata.toJson();
    for (E e : events) {
      out.add(new NewEvent(UUID.randomUUID(), codec.type(e), codec.toJson(e), meta));
      state = evolve.apply(state, e);
    }
    S after = state;
    return store.append(streamId, ExpectedVersion.NO_STREAM, out).map(r -> new Outcome<>(after, events, null));
  }

  /** Runs {@code decide} on the stream's current state and appends what it decides. */
  public Future<Outcome<S, E>> execute(String streamId, Function<S, Decision<E>> decide, Metadata metadata) {
    return attempt(streamId, decide, metadata, 1);
  }

  private Future<Outcome<S, E>> attempt(String streamId, Function<S, Decision<E>> decide, Metadata metadata, int n) {
    return load(streamId).compose(loaded -> {
      Decision<E> decision = decide.apply(loaded.state());
      if (decision instanceof Decision.Rejected<E> r) {
        return Future.succeededFuture(new Outcome<>(loaded.state(), List.of(), r.error()));
      }
      List<E> events = decision.events();
      if (events.isEmpty()) {
        return Future.succeededFuture(new Outcome<>(loaded.state(), events, null));
      }
      List<NewEvent> out = new ArrayList<>(events.size());
      S state = loaded.state();
      for (E e : events) {
        out.add(new NewEvent(UUID.randomUUID(), codec.type(e), codec.toJson(e), metadata.toJson()));
        state = evolve.apply(state, e);
      }
      S after = state;
      return store.append(streamId, ExpectedVersion.exactly(loaded.version()), out)
          .map(r -> {
            remember(streamId, new Loaded<>(after, r.version()));
            return new Outcome<>(after, events, null);
          })
          .recover(err -> err instanceof WrongExpectedVersionException && n < ATTEMPTS
              ? attempt(streamId, decide, metadata, n + 1)
              : Future.failedFuture(err));
    });
  }

  /** Who asked and in which request: recorded with every event (never a secret). */
  public record Metadata(String actor, String requestId, String correlationId) {
    public static Metadata system(String what) {
      return new Metadata("system:" + what, null, null);
    }

    public JsonObject toJson() {
      JsonObject j = new JsonObject().put("actor", actor);
      if (requestId != null) {
        j.put("request_id", requestId);
      }
      if (correlationId != null) {
        j.put("correlation_id", correlationId);
      }
      return j;
    }
  }
}
