package io.grantry.server.app;

import io.grantry.domain.DomainError;
import java.util.Objects;

/**
 * A command the domain refused, carried through a failed {@code Future} to the one place that
 * renders it (for the admin API, {@code AdminProblems}). No stack trace: this is an answer, not a
 * fault. The message never contains a secret ({@link DomainError#message()} promises that).
 */
public final class CommandRejected extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient DomainError error;

  public CommandRejected(DomainError error) {
    super(Objects.requireNonNull(error, "error").message(), null, false, false);
    this.error = error;
  }

  public DomainError error() {
    return error;
  }
}
