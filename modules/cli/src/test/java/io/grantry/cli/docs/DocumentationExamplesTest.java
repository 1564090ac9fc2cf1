package io.grantry.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.cli.docs.MarkdownExamples.Block;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every example of the documents (README.md, modules/README.md, ops/*.md) runs as written against a
 * real development server, and gives the answer the document shows.
 *
 * <p>The server is the README's: {@code grantry} without arguments (what {@code java -jar
 * grantry.jar} runs), with no database configured, so it starts its embedded PostgreSQL in {@code
 * ./data} of a fresh directory and seeds the demo client and user. Two settings differ from a
 * newcomer's start: a free port instead of 8080 (other servers may run here; the documents' {@code
 * http://localhost:8080} stands for it in shown answers) and a signed checkpoint every 2 s instead
 * of every minute (the audit examples need one, and the run is shorter than a minute).
 *
 * <p>The examples get {@code grantry} on the PATH (a script running {@code io.grantry.cli.Grantry}
 * with this build's classes), the directory holding {@code data/} as their working directory, and
 * the variables the documents say they use: {@code ISSUER}, {@code DEMO_SECRET}, {@code
 * DEMO_PASSWORD}, {@code GRANTRY_ADMIN_TOKEN} and {@code GRANTRY_ADMIN_URL}, read from the files
 * the development server wrote, as the README reads them. Each document's {@code sh} blocks run in
 * order in one bash ({@link ExampleRunner}); a failure names the document, the block, the line and
 * the command.
 */
class DocumentationExamplesTest {
  static Path work;
  static Process server;
  static Map<String, String> env;
  static String issuer;

  @BeforeAll
  static void startTheDevelopmentServer() throws Exception {
    Path root = Documents.root();
    work =
        Path.of(System.getProperty("grantry.test.dir", "target"))
            .toAbsolutePath()
            .resolve("docs-examples-" + System.nanoTime());
    Path bin = Files.createDirectories(work.resolve("bin"));
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path grantry = bin.resolve("grantry");
    Files.writeString(
        grantry,
        "#!/usr/bin/env bash\n"
            + "# grantry, as java -jar modules/cli/target/grantry.jar runs it, from this build's"
            + " classes (the jar is built after the tests)\n"
            + "exec '"
            + Path.of(System.getProperty("java.home"), "bin", "java")
            + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx384m"
            // The jar's logging configuration (standard error), not the tests'.
            + " -Dlogback.configurationFile='"
            + root.resolve("modules/cli/src/main/resources/logback.xml")
            + "' -cp '"
            + classPath
            + "' io.grantry.cli.Grantry \"$@\"\n");
    grantry.toFile().setExecutable(true);

    int port = TestServer.freePort();
    ProcessBuilder pb = new ProcessBuilder(grantry.toString()).directory(work.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("GRANTRY_"));
    pb.environment().put("GRANTRY_HTTP_PORT", String.valueOf(port));
    pb.environment().put("GRANTRY_CHECKPOINT_INTERVAL_MS", "2000");
    pb.redirectErrorStream(true);
    server = pb.start();
    awaitServing(server, work.resolve("server.log"));

    issuer = "http://localhost:" + port;
    JsonObject demo = new JsonObject(Files.readString(work.resolve("data/demo.json")));
    JsonObject secrets = new JsonObject(Files.readString(work.resolve("data/secrets.json")));
    env = new HashMap<>();
    env.put("PATH", bin + ":" + System.getenv("PATH"));
    env.put("ISSUER", issuer);
    env.put("DEMO_SECRET", demo.getString("client_secret"));
    env.put("DEMO_PASSWORD", demo.getString("password"));
    env.put("GRANTRY_ADMIN_TOKEN", secrets.getString("admin_token"));
    env.put("GRANTRY_ADMIN_URL", issuer);
  }

  /** Copies the server's output to {@code log} and returns once it says it is serving. */
  private static void awaitServing(Process p, Path log) throws Exception {
    CompletableFuture<Void> serving = new CompletableFuture<>();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  var out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = in.readLine()) != null) {
                  out.write(line);
                  out.newLine();
                  out.flush();
                  if (line.startsWith("Grantry is serving ")) {
                    serving.complete(null);
                  }
                }
              } catch (Exception e) {
                // the server stopped; the log has what it said
              }
              serving.completeExceptionally(new AssertionError("the server exited"));
            },
            "docs-server-output");
    pump.setDaemon(true);
    pump.start();
    try {
      serving.get(180, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the development server did not start: " + Files.readString(log), e);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.destroy(); // SIGTERM: the server stops its embedded PostgreSQL
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
      }
    }
  }

  @TestFactory
  Stream<DynamicTest> everyExampleOfEveryDocumentRunsAndGivesTheAnswerShown() {
    ExampleRunner runner = new ExampleRunner(work, env, issuer, Duration.ofMinutes(5));
    // -Ddocs.only=README.md,ops/cli.md runs just these (while writing them).
    String only = System.getProperty("docs.only", "");
    return Documents.all().stream()
        .filter(doc -> only.isBlank() || List.of(only.split(",")).contains(doc))
        .map(
            doc ->
                DynamicTest.dynamicTest(
                    doc,
                    () -> {
                      List<ExampleRunner.Failure> failures = runner.run(doc, Documents.read(doc));
                      assertThat(failures)
                          .as(
                              () ->
                                  "examples of "
                                      + doc
                                      + " that fail (server log: "
                                      + work.resolve("server.log")
                                      + "):\n"
                                      + String.join(
                                          "\n\n", failures.stream().map(Object::toString).toList()))
                          .isEmpty();
                    }));
  }

  /** Kinds of fenced block the documents may have; anything else is a command that is not run. */
  static final Set<String> BLOCK_KINDS = Set.of("sh", "text", "json", "yaml");

  /** The first line of a Java example: the test that makes the same calls. */
  static final Pattern JAVA_RUN_BY =
      Pattern.compile("^// ([A-Z][A-Za-z0-9]*Test)\\.([a-z][A-Za-z0-9_]*)$");

  /**
   * Every fenced block is a shell block (run above), output or a file ({@code text}, {@code json},
   * {@code yaml}), or a Java example whose first line names the test that makes its calls ({@code
   * // SomeTest.method}, a test that exists), so no example goes unrun.
   */
  @Test
  void everyCodeBlockIsRunOrIsDataThatIsNotACommand() {
    var sources = Documents.javaSources();
    for (String doc : Documents.all()) {
      for (Block b : MarkdownExamples.blocks(Documents.read(doc))) {
        String where = doc + ", block " + b.index() + " (line " + b.line() + ")";
        if (b.info().equals("java")) {
          Matcher m = JAVA_RUN_BY.matcher(b.lines().isEmpty() ? "" : b.lines().get(0).strip());
          assertThat(m.matches())
              .as(where + ": a Java example starts with // SomeTest.method, the test running it")
              .isTrue();
          assertThat(sources.getOrDefault(m.group(1), List.of()))
              .as(where + ": " + m.group(1) + "." + m.group(2) + " exists")
              .anyMatch(f -> Documents.declares(f, m.group(2)));
          continue;
        }
        boolean twoCommands = doc.equals("README.md") && b.info().equals("sh two-commands");
        assertThat(twoCommands || BLOCK_KINDS.contains(b.info()))
            .as(
                where
                    + " is fenced '"
                    + b.info()
                    + "': commands go in ```sh blocks, which are run; text, json and yaml"
                    + " blocks show output and files; a java block names its test")
            .isTrue();
      }
    }
  }

  /**
   * The README's two commands are what CI runs ({@code .ci/run} ends with the test command), and
   * the server command is {@code java -jar} of the jar, without arguments: the server these
   * examples run against.
   */
  @Test
  void theReadmesTwoCommandsAreWhatCiAndTheseExamplesRun() throws Exception {
    List<Block> twoCommands =
        MarkdownExamples.blocks(Documents.read("README.md")).stream()
            .filter(b -> b.info().equals("sh two-commands"))
            .toList();
    assertThat(twoCommands)
        .as("the README's block of the two commands (```sh two-commands)")
        .hasSize(1);
    List<String> commands =
        twoCommands.get(0).lines().stream()
            .map(MarkdownExamples::withoutComment)
            .map(String::strip)
            .filter(l -> !l.isEmpty())
            .toList();
    assertThat(commands)
        .containsExactly(
            "mvn -B -q -DskipTests package && java -jar modules/cli/target/grantry.jar",
            "ops/test.sh");
    List<String> ci =
        Files.readAllLines(Documents.root().resolve(".ci/run")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(ci.get(ci.size() - 1)).as(".ci/run's last command").isEqualTo("ops/test.sh");
  }

  /** The configuration files ops/configuration.md shows are ones the server accepts. */
  @Test
  void theConfigurationFilesShownAreAccepted() {
    List<Block> files =
        MarkdownExamples.blocks(Documents.read("ops/configuration.md")).stream()
            .filter(b -> b.info().equals("json"))
            .toList();
    assertThat(files).as("configuration files shown in ops/configuration.md").isNotEmpty();
    for (Block b : files) {
      GrantryConfig config = GrantryConfig.from(new JsonObject(b.text()));
      assertThat(config.unknown())
          .as("settings of ops/configuration.md's file at line " + b.line() + " no server reads")
          .isEmpty();
    }
  }

  /**
   * ops/README.md's table of metrics names every {@code grantry_*} metric the development server
   * exposes (so a new metric is documented where operators look), and the dashboard and alert rules
   * only use exposed ones ({@code OpsDashboardTest}).
   */
  @Test
  void everyMetricTheServerExposesIsInTheOperationsGuide() throws Exception {
    HttpResponse<String> metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(issuer + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).as("GET /metrics").isEqualTo(200);
    Set<String> exposed = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^# TYPE (grantry_[a-z0-9_]+) ").matcher(metrics.body());
    while (m.find()) {
      exposed.add(m.group(1));
    }
    // A timer's or distribution's _max gauge goes with it (ops/README.md says so once).
    exposed.removeIf(
        name -> name.endsWith("_max") && exposed.contains(name.substring(0, name.length() - 4)));
    assertThat(exposed).as("grantry_* metrics the server exposes").hasSizeGreaterThan(5);
    String guide = Documents.read("ops/README.md");
    assertThat(exposed.stream().filter(name -> !guide.contains(name)).toList())
        .as("metrics the server exposes that ops/README.md's table does not name")
        .isEmpty();
  }
}
