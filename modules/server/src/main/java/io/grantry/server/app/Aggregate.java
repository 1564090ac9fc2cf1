package io.grantry.server.app;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.EventCodec;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Load, decide, append: the one way commands reach the ledger. The stream is read and folded into
 * its state, the pure decision runs, and its events are appended with the version that was read as
 * the expected version. Losing a race re-reads and decides again, so the caller gets the answer a
 * sequential server would give.
 *
 * <p>With a {@link StateCache} ({@link #withCache}) a command reads no events when the cached state
 * leads to an append: the append's expected version is the cached one, so a state that was not the
 * latest (another verticle, instance or admin request appended since) fails the append and the
 * command is decided again on a fresh read. A decision that appends nothing (a refusal,
 * "unchanged") is never answered from the cache alone: the events after the cached version are read
 * and the command decided again on the result, since with nothing appended no version check would
 * catch a stale state. Only committed states are cached (read from the ledger, or left by an append
 * that committed). Before the cache a grant's n-th refresh read and folded n events.
 *
 * <p>With {@link Snapshots} ({@link #withSnapshots}) a stream that is not cached is loaded from its
 * latest snapshot and the events after it, and an append that reaches a multiple of the snapshots'
 * interval writes a new one in its own transaction: a load reads a bounded number of rows whatever
 * the stream's age.
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

  /** Last committed states of recently used streams; null without a cache. */
  private final StateCache<S> cache;

  /** Snapshots of states at every n-th event; null without. */
  private final Snapshots<S> snapshots;

  public Aggregate(EventStore store, EventCodec<E> codec, S initial, BiFunction<S, E, S> evolve) {
    this(store, codec, initial, evolve, null, null);
  }

  private Aggregate(
      EventStore store,
      EventCodec<E> codec,
      S initial,
      BiFunction<S, E, S> evolve,
      StateCache<S> cache,
      Snapshots<S> snapshots) {
    this.store = store;
    this.codec = codec;
    this.initial = initial;
    this.evolve = evolve;
    this.cache = cache;
    this.snapshots = snapshots;
  }

  /**
   * The same aggregate keeping states in {@code cache} (may be shared by the aggregates of every
   * verticle; null: none). States must be immutable, since a cached one is evolved again later.
   */
  public Aggregate<S, E> withCache(StateCache<S> cache) {
    return new Aggregate<>(store, codec, initial, evolve, cache, snapshots);
  }

  /**
   * The same aggregate loading streams from their snapshots and writing new ones (null: none). The
   * store must have {@link Snapshots#WRITER} among its inline projections, or no snapshot is
   * written (which is allowed: loads then fold from the latest one there is, or from the start).
   */
  public Aggregate<S, E> withSnapshots(Snapshots<S> snapshots) {
    return new Aggregate<>(store, codec, initial, evolve, cache, snapshots);
  }

  /**
   * The stream's state as last committed here, if cached (it may be behind the ledger): lets a
   * caller learn facts that never change once written, such as a grant's user, without a read.
   */
  public Optional<S> peek(String streamId) {
    Loaded<S> known = cache == null ? null : cache.get(streamId);
    return known == null ? Optional.empty() : Optional.of(known.state());
  }

  /** True if states are cached: a {@link #load} then leaves the state for the next command. */
  public boolean caches() {
    return cache != null;
  }

  /** A stream's state and the version it was read at (0 when the stream does not exist). */
  public record Loaded<S>(S state, long version) {}

  /**
   * What a command did: the events appended (maybe none) and the new state, or the refusal; {@code
   * version} is the stream's version after the append (or as read, when nothing was appended).
   */
  public record Outcome<S, E>(S state, List<E> events, DomainError error, long version) {
    public boolean accepted() {
      return error == null;
    }
  }

  public Future<Loaded<S>> load(String streamId) {
    Loaded<S> known = cache == null ? null : cache.get(streamId);
    if (known == null && snapshots != null && snapshots.covers(streamId)) {
      return snapshots
          .read(streamId)
          .compose(
              snapshot ->
                  snapshot == null
                      ? store.readStream(streamId).map(events -> remember(streamId, fold(events)))
                      : store
                          .readStream(streamId, snapshot.version())
                          .map(events -> remember(streamId, fold(snapshot, events))));
    }
    if (known == null) {
      return store.readStream(streamId).map(events -> remember(streamId, fold(events)));
    }
    return store
        .readStream(streamId, known.version())
        .map(events -> remember(streamId, fold(known, events)));
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

  private Loaded<S> remember(String streamId, Loaded<S> loaded) {
    if (cache != null) {
      cache.put(streamId, loaded);
    }
    return loaded;
  }

  /**
   * For a stream that must not exist yet (its id is fresh and random): decides on the initial state
   * without reading, and appends with "no stream". Saves the read on hot paths such as
   * client_credentials, where every token starts a stream of its own.
   */
  public Future<Outcome<S, E>> create(
      String streamId, Function<S, Decision<E>> decide, Metadata metadata) {
    return create(streamId, decide, metadata, false);
  }

  /**
   * The same, and with {@code remember} the committed state is kept in the cache (if any), so the
   * stream's next command reads no events: an authorization code's redemption follows its issue
   * within seconds, while a client_credentials grant is never decided on again (caching those would
   * only churn the cache), hence the choice.
   */
  public Future<Outcome<S, E>> create(
      String streamId, Function<S, Decision<E>> decide, Metadata metadata, boolean remember) {
    Decision<E> decision = decide.apply(initial);
    if (decision instanceof Decision.Rejected<E> r) {
      return Future.succeededFuture(new Outcome<>(initial, List.of(), r.error(), 0));
    }
    List<E> events = decision.events();
    List<NewEvent> out = new ArrayList<>(events.size());
    S state = initial;
    JsonObject meta = metadata.toJson();
    for (E e : events) {
      out.add(NewEvent.of(codec.type(e), encode(e), meta));
      state = evolve.apply(state, e);
    }
    S after = state;
    offerSnapshot(streamId, 0, out, after);
    return store
        .append(streamId, ExpectedVersion.NO_STREAM, out)
        .map(
            r -> {
              if (remember) {
                remember(streamId, new Loaded<>(after, r.version()));
              }
              return new Outcome<>(after, events, null, r.version());
            });
  }

  /** Runs {@code decide} on the stream's current state and appends what it decides. */
  public Future<Outcome<S, E>> execute(
      String streamId, Function<S, Decision<E>> decide, Metadata metadata) {
    return attempt(streamId, l -> Future.succeededFuture(decide.apply(l.state())), metadata, 1);
  }

  /**
   * Runs {@code decide} on the stream's current state and the version it was read at, and appends
   * what it decides: for a decision that depends on the version too, such as a change made only if
   * the stream is still at the version its caller saw (HTTP's If-Match). A lost race decides again
   * on the newer version, as {@link #execute} does.
   */
  public Future<Outcome<S, E>> executeKnowingVersion(
      String streamId, Function<Loaded<S>, Decision<E>> decide, Metadata metadata) {
    return attempt(streamId, l -> Future.succeededFuture(decide.apply(l)), metadata, 1);
  }

  /**
   * Runs a decision that needs, besides the stream's state, a fact read elsewhere that depends on
   * that state (for a refresh: whether the ledger's token-state projection knows the presented
   * token, asked only when it is not the grant's current one). {@code facts} reads it for the state
   * at hand, and {@code decide} decides once from both; a retry after a lost race reads both again.
   */
  public <F> Future<Outcome<S, E>> execute(
      String streamId,
      Function<S, Future<F>> facts,
      BiFunction<S, F, Decision<E>> decide,
      Metadata metadata) {
    return attempt(
        streamId, l -> facts.apply(l.state()).map(f -> decide.apply(l.state(), f)), metadata, 1);
  }

  private Future<Outcome<S, E>> attempt(
      String streamId, Function<Loaded<S>, Future<Decision<E>>> decide, Metadata metadata, int n) {
    Loaded<S> cached = n == 1 && cache != null ? cache.get(streamId) : null;
    if (cached == null) {
      return fromLedger(streamId, decide, metadata, n);
    }
    return decide
        .apply(cached)
        .compose(
            decision ->
                !(decision instanceof Decision.Rejected<E>) && !decision.events().isEmpty()
                    ? append(streamId, decide, metadata, n, cached, decision)
                    // Nothing to append, so no version check would catch a stale state: read
                    // what is newer.
                    : fromLedger(streamId, decide, metadata, n));
  }

  private Future<Outcome<S, E>> fromLedger(
      String streamId, Function<Loaded<S>, Future<Decision<E>>> decide, Metadata metadata, int n) {
    return load(streamId)
        .compose(
            loaded ->
                decide
                    .apply(loaded)
                    .compose(
                        decision -> {
                          if (decision instanceof Decision.Rejected<E> r) {
                            return Future.succeededFuture(
                                new Outcome<>(
                                    loaded.state(), List.of(), r.error(), loaded.version()));
                          }
                          if (decision.events().isEmpty()) {
                            return Future.succeededFuture(
                                new Outcome<>(
                                    loaded.state(), decision.events(), null, loaded.version()));
                          }
                          return append(streamId, decide, metadata, n, loaded, decision);
                        }));
  }

  private Future<Outcome<S, E>> append(
      String streamId,
      Function<Loaded<S>, Future<Decision<E>>> decide,
      Metadata metadata,
      int n,
      Loaded<S> loaded,
      Decision<E> decision) {
    List<E> events = decision.events();
    List<NewEvent> out = new ArrayList<>(events.size());
    S state = loaded.state();
    JsonObject meta = metadata.toJson();
    for (E e : events) {
      out.add(NewEvent.of(codec.type(e), encode(e), meta));
      state = evolve.apply(state, e);
    }
    S after = state;
    offerSnapshot(streamId, loaded.version(), out, after);
    return store
        .append(streamId, ExpectedVersion.exactly(loaded.version()), out)
        .map(
            r -> {
              remember(streamId, new Loaded<>(after, r.version()));
              return new Outcome<>(after, events, null, r.version());
            })
        .recover(
            err ->
                err instanceof WrongExpectedVersionException && n < ATTEMPTS
                    ? attempt(streamId, decide, metadata, n + 1)
                    : Future.failedFuture(err));
  }

  /**
   * Notes the state after an append for {@link Snapshots#WRITER} when the append takes the stream
   * past a multiple of the snapshots' interval (versions {@code from + 1} to {@code from + events};
   * if another append wins the race, this one fails and its note is never found).
   */
  private void offerSnapshot(String streamId, long from, List<NewEvent> out, S after) {
    if (snapshots != null && !out.isEmpty() && snapshots.due(streamId, from, from + out.size())) {
      snapshots.offer(out.get(out.size() - 1).payload(), after);
    }
  }

  /**
   * The event's payload; grant events are remembered for the token-state projection ({@link
   * EncodedEvents}).
   */
  private JsonObject encode(E e) {
    JsonObject json = codec.toJson(e);
    if (e instanceof GrantEvent) {
      EncodedEvents.remember(json, e);
    }
    return json;
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
