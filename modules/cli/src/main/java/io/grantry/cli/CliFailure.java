package io.grantry.cli;

/**
 * A command failed for a reason the operator can act on: printed as one line ({@code grantry:
 * <message>}) with this exit code, without a stack trace.
 */
final class CliFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
