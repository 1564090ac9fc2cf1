package io.grantry.domain;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The outcome of a pure domain decision: either the events to append (possibly none, when the
 * command is an idempotent repeat) or a typed {@link DomainError}. Never both.
 *
 * @param <E> the aggregate's event type
 */
public sealed interface Decision<E> permits Decision.Accepted, Decision.Rejected {

  /** The command is accepted; {@code events} are to be appended in order. */
  record Accepted<E>(List<E> events) implements Decision<E> {
    public Accepted {
      events = List.copyOf(events);
    }
  }

  /** The command is refused; nothing is appended. */
  record Rejected<E>(DomainError error) implements Decision<E> {
    public Rejected {
      Objects.requireNonNull(error, "error");
    }
  }

  static <E> Decision<E> accept(E event) {
    return new Accepted<>(List.of(event));
  }

  static <E> Decision<E> accept(List<E> events) {
    return new Accepted<>(events);
  }

  /** Accepted with nothing to append: the state already is what the command asks for. */
  static <E> Decision<E> unchanged() {
    return new Accepted<>(List.of());
  }

  static <E> Decision<E> reject(DomainError error) {
    return new Rejected<>(error);
  }

  default boolean isAccepted() {
    return this instanceof Accepted;
  }

  /** The events of an accepted decision; throws for a rejected one. */
  default List<E> events() {
    if (this instanceof Accepted<E> accepted) {
      return accepted.events();
    }
    throw new IllegalStateException(
        "decision was rejected: " + ((Rejected<E>) this).error().message());
  }

  default <R> R fold(Function<List<E>, R> onAccepted, Function<DomainError, R> onRejected) {
    if (this instanceof Accepted<E> accepted) {
      return onAccepted.apply(accepted.events());
    }
    return onRejected.apply(((Rejected<E>) this).error());
  }
}
