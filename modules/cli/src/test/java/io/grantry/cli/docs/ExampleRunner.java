package io.grantry.cli.docs;

import io.grantry.cli.docs.MarkdownExamples.Block;
import io.grantry.cli.docs.MarkdownExamples.Step;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the shell blocks ({@code ```sh}) of one document, in order, in one bash with {@code set -euo
 * pipefail}, in a working directory and with the variables it is given; then checks each command's
 * output against the answer the document shows under it ({@link ExpectedOutput}). What fails is
 * named by document, block, line and command.
 */
final class ExampleRunner {
  /** A failed example. */
  record Failure(
      String document, int block, int line, String command, String problem, String output) {
    @Override
    public String toString() {
      return document
          + ", block "
          + block
          + " (line "
          + line
          + "): "
          + problem
          + "\n  command: "
          + command
          + "\n  output:\n"
          + indent(output);
    }

    private static String indent(String s) {
      String tail = s.length() > 4000 ? "..." + s.substring(s.length() - 4000) : s;
      return tail.isBlank() ? "    (none)" : tail.strip().indent(4).stripTrailing();
    }
  }

  private record Numbered(Block block, Step step) {}

  private static final String MARK = "\u001eSTEP ";
  private static final Pattern MARKER = Pattern.compile("\n\u001eSTEP (\\d+|END)\u001e\n");

  private final Path workDir;
  private final Map<String, String> env;
  private final Duration timeout;
  private final String issuer;

  /**
   * @param env the variables the examples are given (on top of this process's environment, less its
   *     GRANTRY_* settings)
   * @param issuer what the documents' {@code http://localhost:8080} stands for in shown answers
   */
  ExampleRunner(Path workDir, Map<String, String> env, String issuer, Duration timeout) {
    this.workDir = workDir;
    this.env = Map.copyOf(env);
    this.issuer = issuer;
    this.timeout = timeout;
  }

  /** Runs the {@code sh} blocks of {@code markdown}; the failures (none when all went well). */
  List<Failure> run(String document, String markdown) throws IOException, InterruptedException {
    List<Numbered> steps = new ArrayList<>();
    for (Block b : MarkdownExamples.blocks(markdown)) {
      if (b.info().equals("sh")) {
        MarkdownExamples.steps(b).forEach(s -> steps.add(new Numbered(b, s)));
      }
    }
    if (steps.isEmpty()) {
      return List.of();
    }
    StringBuilder script = new StringBuilder();
    script.append("set -euo pipefail\n");
    script.append("__example_step() { printf '\\n").append(MARK).append("%s\\036\\n' \"$1\"; }\n");
    for (int i = 0; i < steps.size(); i++) {
      script.append("__example_step ").append(i).append('\n');
      script.append(steps.get(i).step().command()).append('\n');
    }
    script.append("__example_step END\n");
    String name = document.replaceAll("[^A-Za-z0-9]+", "-");
    Path file = workDir.resolve("examples-" + name + ".sh");
    Files.writeString(file, script, StandardCharsets.UTF_8);
    Path log = workDir.resolve("examples-" + name + ".log");

    ProcessBuilder pb = new ProcessBuilder("bash", file.toString()).directory(workDir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("GRANTRY_"));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.redirectInput(new File("/dev/null"));
    Process p = pb.start();
    boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);

    Map<String, String> outputs = new LinkedHashMap<>();
    Matcher m = MARKER.matcher(output);
    String current = null;
    int from = 0;
    while (m.find()) {
      if (current != null) {
        outputs.put(current, output.substring(from, m.start()));
      }
      current = m.group(1);
      from = m.end();
    }
    if (current != null && !current.equals("END")) {
      outputs.put(current, output.substring(from));
    }

    List<Failure> failures = new ArrayList<>();
    for (int i = 0; i < steps.size(); i++) {
      String out = outputs.get(String.valueOf(i));
      Numbered n = steps.get(i);
      if (out == null) {
        break;
      }
      boolean last = !outputs.containsKey(String.valueOf(i + 1)) && !"END".equals(current);
      if (last) {
        failures.add(
            failure(
                document,
                n,
                finished
                    ? "the command failed (exit code " + p.exitValue() + ")"
                    : "the commands did not finish within " + timeout.toSeconds() + " s",
                out));
        break;
      }
      Optional<String> wrong = ExpectedOutput.mismatch(n.step().expected(), out, issuer);
      if (wrong.isPresent()) {
        failures.add(failure(document, n, wrong.get(), out));
      }
    }
    if (failures.isEmpty() && (!finished || p.exitValue() != 0)) {
      failures.add(
          new Failure(
              document,
              0,
              0,
              "(the script)",
              finished ? "bash exited with " + p.exitValue() : "timed out",
              output));
    }
    return failures;
  }

  private static Failure failure(String document, Numbered n, String problem, String output) {
    return new Failure(
        document, n.block().index(), n.step().line(), n.step().summary(), problem, output);
  }
}
