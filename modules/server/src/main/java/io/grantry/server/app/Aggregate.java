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
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Load, decide, append: the one way commands reach the ledger. The stream is read and folded into
 * its state, the pure decision runs, and its events are appended with the version that was read
 * as the expected version. Losing a race re-reads and decides again, so the caller gets the
 * answer a sequential server would give.
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

  public Aggregate(EventStore store, EventCodec<E> codec, S initial, BiFunction<S, E, S> evolve) {
    this.store = store;
    this.codec = codec;
    this.initial = initial;
    this.evolve = evolve;
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
    return store.readStream(streamId).map(this::fold);
  }

  public Loaded<S> fold(List<RecordedEvent> events) {
    S state = initial;
    long version = 0;
    for (RecordedEvent e : events) {
      state = evolve.apply(state, codec.fromJson(e.type(), e.payload()));
      version = e.version();
    }
    return new Loaded<>(state, version);
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
      out.add(new NewEvent(UUID.randomUUID(), codec.type(e), encode(e), meta));
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
        out.add(new NewEvent(UUID.randomUUID(), codec.type(e), encode(e), metadata.toJson()));
        state = evolve.apply(state, e);
      }
      S after = state;
      return store.append(streamId, ExpectedVersion.exactly(loaded.version()), out)
          .map(r -> new Outcome<>(after, events, null))
          .recover(err -> err instanceof WrongExpectedVersionException && n < ATTEMPTS
              ? attempt(streamId, decide, metadata, n + 1)
              : Future.failedFuture(err));
    });
  }

  /** The event's payload; grant events are remembered for the token-state projection ({@link EncodedEvents}). */
  private JsonObject encode(E e) {
    JsonObject json = codec.toJson(e);
    if (e instanceof io.grantry.domain.grant.GrantEvent) {
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
