package io.grantry.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.cli.docs.MarkdownExamples.Block;
import io.grantry.cli.docs.MarkdownExamples.Step;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How examples are read from a document, checked against their shown answers, and reported. */
class ExampleRunnerTest {
  @TempDir Path dir;

  static final String DOC =
      String.join(
          "\n",
          "# A document",
          "",
          "```sh",
          "# explains the next command",
          "echo '{\"active\":true,\"scope\":\"api\",\"exp\":42}'",
          "# {\"active\":true,\"scope\":\"api\",...}",
          "",
          "printf 'one\\n' | \\",
          "  tr a-z A-Z   # a comment at the end of a line",
          "# ONE",
          "echo 'a string",
          "  over two lines'",
          "cat <<'EOF'",
          "# not a comment: inside the here-document",
          "EOF",
          "```",
          "",
          "```text",
          "not run",
          "```",
          "");

  @Test
  void commandsContinuationsHereDocumentsAndTheAnswersShownUnderThem() {
    List<Block> blocks = MarkdownExamples.blocks(DOC);
    assertThat(blocks).extracting(Block::info).containsExactly("sh", "text");
    assertThat(blocks.get(0).line()).isEqualTo(4);
    List<Step> steps = MarkdownExamples.steps(blocks.get(0));
    assertThat(steps).hasSize(4);
    assertThat(steps.get(0).line()).isEqualTo(5);
    assertThat(steps.get(0).expected()).containsExactly("{\"active\":true,\"scope\":\"api\",...}");
    assertThat(steps.get(1).lines()).hasSize(2);
    assertThat(steps.get(1).expected()).containsExactly("ONE");
    assertThat(steps.get(2).lines()).hasSize(2);
    assertThat(steps.get(3).lines()).hasSize(3);
    assertThat(steps.get(3).expected()).isEmpty();
  }

  @Test
  void jsonAnswersCheckTheKeysAndTheValuesShown() {
    String out = "{\"active\":true,\"scope\":\"openid api\",\"exp\":1796,\"token\":\"eyJabc\"}";
    assertThat(ExpectedOutput.mismatch(List.of("{\"active\":true,...}"), out, "x")).isEmpty();
    assertThat(ExpectedOutput.mismatch(List.of("{\"token\":\"eyJ...\",\"exp\":1796}"), out, "x"))
        .isEmpty();
    assertThat(ExpectedOutput.mismatch(List.of("{\"active\":false}"), out, "x"))
        .hasValueSatisfying(m -> assertThat(m).contains("\"active\" is true, not false"));
    assertThat(ExpectedOutput.mismatch(List.of("{\"token\":\"xyz...\"}"), out, "x")).isPresent();
    assertThat(ExpectedOutput.mismatch(List.of("{\"client_id\":\"...\"}"), out, "x"))
        .hasValueSatisfying(m -> assertThat(m).contains("no \"client_id\""));
    assertThat(ExpectedOutput.mismatch(List.of("{\"active\":true}"), "not json", "x"))
        .hasValueSatisfying(m -> assertThat(m).contains("holds no JSON"));
    // Pretty-printed among other lines, nested, and the documents' issuer standing for the real
    // one.
    String pretty =
        "log line\n{\n  \"items\" : [ {\n    \"iss\" : \"http://localhost:41234\"\n  } ]\n}\n";
    assertThat(
            ExpectedOutput.mismatch(
                List.of("{\"items\":[{\"iss\":\"http://localhost:8080\"}]}"),
                pretty,
                "http://localhost:41234"))
        .isEmpty();
  }

  @Test
  void textAnswersAreLinesFoundInOrderWithEllipsesForWhatVaries() {
    String out = "KID   ALG    STATUS\nabc   ES256  active\nxyz   RS256  active\n";
    assertThat(ExpectedOutput.mismatch(List.of("KID ALG STATUS", "... RS256 active"), out, "x"))
        .isEmpty();
    assertThat(ExpectedOutput.mismatch(List.of("... RS256 active", "... ES256 ..."), out, "x"))
        .hasValueSatisfying(m -> assertThat(m).contains("after the previous one"));
    assertThat(ExpectedOutput.mismatch(List.of("exit code 3"), "exit code 2\n", "x")).isPresent();
  }

  @Test
  void aDocumentThatDriftedFailsNamingTheDocumentTheBlockAndTheCommand() throws Exception {
    ExampleRunner runner = new ExampleRunner(dir, Map.of(), "x", Duration.ofMinutes(1));
    assertThat(runner.run("good.md", DOC)).isEmpty();

    String drifted = DOC.replace("# {\"active\":true,", "# {\"active\":false,");
    List<ExampleRunner.Failure> wrong = runner.run("drifted.md", drifted);
    assertThat(wrong).hasSize(1);
    assertThat(wrong.get(0).toString())
        .startsWith("drifted.md, block 1 (line 5): the JSON differs")
        .contains("command: echo '{\"active\":true");

    String failing =
        DOC.replace("printf 'one\\n' | \\", "false | \\").replace("# ONE", "# nothing");
    List<ExampleRunner.Failure> failed = runner.run("failing.md", failing);
    assertThat(failed).hasSize(1);
    assertThat(failed.get(0).toString())
        .startsWith("failing.md, block 1 (line 8): the command failed (exit code 1)")
        .contains("command: false | tr a-z A-Z");
  }

  @Test
  void theExamplesGetTheVariablesTheyAreGiven() throws Exception {
    String doc = "```sh\necho \"$ISSUER/token\"\n# http://localhost:8080/token\n```\n";
    ExampleRunner runner =
        new ExampleRunner(
            dir,
            Map.of("ISSUER", "http://localhost:5555"),
            "http://localhost:5555",
            Duration.ofMinutes(1));
    assertThat(runner.run("vars.md", doc)).isEmpty();
  }
}
