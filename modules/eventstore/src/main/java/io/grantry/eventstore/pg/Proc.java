package io.grantry.eventstore.pg;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command with a hard timeout. Output (stdout and stderr merged) goes to a
 * temporary file rather than a pipe, so a grandchild that inherits the descriptors (a daemonised
 * postmaster) can never make us wait for EOF. Stdin is /dev/null. Blocking.
 */
final class Proc {

  private Proc() {}

  record Result(List<String> command, int exitCode, String output, boolean timedOut) {
    boolean ok() {
      return !timedOut && exitCode == 0;
    }

    /** The last {@code n} non-blank lines of the output. */
    String tail(int n) {
      return Proc.tail(output, n);
    }
  }

  /**
   * @param env entries to set in the child environment; a {@code null} value removes the variable
   */
  static Result run(List<String> command, Map<String, String> env, Duration timeout) {
    Path out = null;
    try {
      out = Files.createTempFile("grantry-pg-", ".out");
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      env.forEach(
          (k, v) -> {
            if (v == null) {
              pb.environment().remove(k);
            } else {
              pb.environment().put(k, v);
            }
          });
      Process process = pb.start();
      boolean finished;
      try {
        finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IllegalStateException(
            "Interrupted while running " + String.join(" ", command), e);
      }
      if (!finished) {
        process.destroyForcibly();
        try {
          process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      String output =
          new String(Files.readAllBytes(out), StandardCharsets.UTF_8); // lenient decoding
      return new Result(
          List.copyOf(command), finished ? process.exitValue() : -1, output, !finished);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Could not run " + String.join(" ", command) + ": " + e.getMessage(), e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }

  static String tail(String text, int n) {
    List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }
}
