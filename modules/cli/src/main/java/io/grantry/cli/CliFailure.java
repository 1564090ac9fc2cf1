package io.grantry.cli;

/**
 * A command failed for a reason the operator can act on: printed as one line ({@code grantry:
 * <message>}) with this exit code, without a stack trace.
 */
final class CliFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** It failed otherwise (ops/cli.md, exit codes). */
  static final int FAILED = 1;

  /** A usage error: an unknown command or option, a malformed value, a bad setting. */
  static final int USAGE = 2;

  /** No such client, user, grant or stream. */
  static final int NOT_FOUND = 3;

  /** The admin API refused because of the state: a taken id or username, a disabled client. */
  static final int CONFLICT = 6;

  /** The admin API refused a value (400): the message names every field at fault. */
  static final int INVALID = 7;

  /** The admin API refused the admin token (401). */
  static final int UNAUTHORIZED = 8;

  /** The server (or the database a command reads) cannot be reached or did not answer in time. */
  static final int UNREACHABLE = 9;

  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
