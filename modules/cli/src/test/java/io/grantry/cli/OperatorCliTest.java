package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.cli.AdminCliTest.Run;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator does with the CLI against a running server: update and enable clients, show and
 * enable users (by username), read the projections' status, follow the ledger, export with a
 * summary, and read tables that fit a terminal.
 */
class OperatorCliTest {
  static TestServer server;
  static AdminHttp admin;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    admin = new AdminHttp(server);
    Map<String, String> env = new HashMap<>();
    env.put("GRANTRY_ADMIN_URL", server.url(""));
    env.put("GRANTRY_ADMIN_TOKEN", TestServer.ADMIN_TOKEN);
    env.put("GRANTRY_DB_URL", server.db.jdbcUrl().replaceFirst("^jdbc:", ""));
    env.put("GRANTRY_DB_USER", "postgres");
    env.put("GRANTRY_DB_PASSWORD", TestDatabase.server().password());
    CliSupport.env = env;
  }

  @AfterAll
  static void stop() throws Exception {
    CliSupport.env = System.getenv();
    server.close();
  }

  static Run run(String... args) {
    return AdminCliTest.run(args);
  }

  @Test
  void clientsUpdateChangesWhatItIsGivenAndEnableUndoesADisable() {
    Run created =
        run(
            "clients",
            "create",
            "--client-id",
            "op-web",
            "--name",
            "Op web",
            "--redirect-uri",
            "https://op.example/cb",
            "--logo-uri",
            "https://op.example/logo.png");
    assertThat(created.code()).as(created.err()).isZero();

    Run updated =
        run(
            "clients",
            "update",
            "op-web",
            "--name",
            "Op web 2",
            "--set",
            "introspect=true",
            "--unset",
            "logo_uri",
            "--json");
    assertThat(updated.code()).as(updated.err()).isZero();
    JsonObject after = updated.json();
    assertThat(after.getString("client_name")).isEqualTo("Op web 2");
    assertThat(after.getBoolean("introspect")).isTrue();
    assertThat(after.containsKey("logo_uri")).isFalse();
    assertThat(after.getJsonArray("redirect_uris")).containsExactly("https://op.example/cb");

    Run invalid = run("clients", "update", "op-web", "--redirect-uri", "http://evil.example/cb");
    assertThat(invalid.code()).isEqualTo(CliFailure.INVALID);
    assertThat(invalid.err()).contains("redirect");
    Run nothing = run("clients", "update", "op-web");
    assertThat(nothing.code()).isEqualTo(CliFailure.USAGE);
    Run missing = run("clients", "update", "no-such-client", "--name", "X");
    assertThat(missing.code()).isEqualTo(CliFailure.NOT_FOUND);

    assertThat(run("clients", "disable", "op-web").code()).isZero();
    Run whileDisabled = run("clients", "update", "op-web", "--name", "Op web 3");
    assertThat(whileDisabled.code()).isEqualTo(CliFailure.CONFLICT);
    Run enabled = run("clients", "enable", "op-web");
    assertThat(enabled.code()).as(enabled.err()).isZero();
    assertThat(enabled.out()).contains("Client op-web is enabled.");
    assertThat(admin.get("/admin/clients/op-web").json().getBoolean("disabled")).isFalse();
    assertThat(run("clients", "disable", "op-web").code()).isZero();
    Run updateAndEnable = run("clients", "update", "op-web", "--name", "Op web 3", "--enable");
    assertThat(updateAndEnable.code()).as(updateAndEnable.err()).isZero();
    JsonObject shown = admin.get("/admin/clients/op-web").json();
    assertThat(shown.getBoolean("disabled")).isFalse();
    assertThat(shown.getString("client_name")).isEqualTo("Op web 3");
    assertThat(run("clients", "enable", "no-such-client").code()).isEqualTo(CliFailure.NOT_FOUND);
  }

  @Test
  void usersAreShownAndEnabledByUsernameAndTheAuditTakesUsernamesToo() {
    Run created =
        runWithInput(
            "a long enough password 1\n",
            "users",
            "create",
            "Quentin",
            "--email",
            "quentin@example.com",
            "--password-stdin",
            "--json");
    assertThat(created.code()).as(created.err()).isZero();
    String userId = created.json().getString("user_id");

    Run shown = run("users", "show", "quentin");
    assertThat(shown.code()).as(shown.err()).isZero();
    assertThat(shown.out()).contains(userId).contains("quentin@example.com");
    // Timestamps to the millisecond.
    assertThat(shown.out())
        .containsPattern("registered_at\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\n");
    assertThat(run("users", "show", userId, "--json").json().getString("username"))
        .isEqualTo("Quentin");
    assertThat(run("users", "show", "nobody-at-all").code()).isEqualTo(CliFailure.NOT_FOUND);

    assertThat(run("users", "disable", "quentin").code()).isZero();
    Run enabled = run("users", "enable", "QUENTIN");
    assertThat(enabled.code()).as(enabled.err()).isZero();
    assertThat(enabled.out()).contains("User Quentin (" + userId + ") is enabled.");
    assertThat(run("users", "show", "quentin", "--json").json().getBoolean("disabled")).isFalse();

    Run history = run("audit", "history", "--user", "quentin", "--json");
    assertThat(history.code()).as(history.err()).isZero();
    assertThat(history.out()).contains("user.disabled.v1").contains("user.enabled.v1");
    Run asOf = run("audit", "as-of", "--user", "quentin", "--json");
    assertThat(asOf.code()).as(asOf.err()).isZero();
    assertThat(asOf.json().getString("user")).isEqualTo(userId);
    assertThat(run("audit", "history", "--user", "nobody-at-all").code())
        .isEqualTo(CliFailure.NOT_FOUND);
  }

  static Run runWithInput(String stdin, String... args) {
    return AdminCliTest.runWithInput(stdin, args);
  }

  @Test
  void projectionsStatusNamesTheInlineProjectionsAndPrintsJson() {
    Run table = run("projections", "status");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out())
        .startsWith("PROJECTION")
        .containsPattern("(?m)^clients\\s+inline\\s+\\d+:\\d+\\s+0\\s+0\\.0\\s")
        .containsPattern("(?m)^token_state\\s+inline\\s");

    Run json = run("projections", "status", "--json");
    assertThat(json.code()).as(json.err()).isZero();
    List<JsonObject> lines = new ArrayList<>();
    for (String line : json.out().strip().split("\n")) {
      lines.add(new JsonObject(line));
    }
    assertThat(lines.stream().map(l -> l.getString("name")))
        .contains("clients", "users", "token_state", "consents", "sessions");
    JsonObject clients =
        lines.stream().filter(l -> l.getString("name").equals("clients")).findFirst().get();
    assertThat(clients.getString("mode")).isEqualTo("inline");
    assertThat(clients.getLong("lag_events")).isZero();
    assertThat(clients.getJsonArray("tables")).contains("clients");
    // The inline projections are at the ledger's head: what GET /admin/projections says too.
    JsonArray api = admin.get("/admin/projections").json().getJsonArray("items");
    assertThat(api.getJsonObject(0).getString("mode")).isEqualTo("inline");
  }

  @Test
  void tablesFit120ColumnsUnlessWide() {
    JsonArray uris = new JsonArray();
    for (int i = 0; i < 6; i++) {
      uris.add("https://a-rather-long-host-name-for-an-app.example/callback/path/number/" + i);
    }
    assertThat(
            admin
                .post(
                    "/admin/clients",
                    new JsonObject()
                        .put("client_id", "op-wide")
                        .put("client_name", "Wide")
                        .put("redirect_uris", uris))
                .status())
        .isEqualTo(201);
    Run fitted = run("clients", "show", "op-wide");
    assertThat(fitted.code()).isZero();
    assertThat(fitted.out().lines())
        .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(120));
    assertThat(fitted.out()).contains("…").doesNotContain("number/5");
    Run wide = run("clients", "show", "op-wide", "--wide");
    assertThat(wide.out()).contains("callback/path/number/5").doesNotContain("…");
    assertThat(wide.out().lines().anyMatch(l -> l.length() > 120)).isTrue();
    Run list = run("clients", "list");
    assertThat(list.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(120));
  }

  @Test
  void auditExportPrintsItsSummaryOffATerminal(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ledger.jsonl");
    Run r = run("audit", "export", "-o", file.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).containsPattern("(?m)^exported [0-9,]+ events in [0-9.]+ s");
    assertThat(Files.readAllLines(file)).hasSizeGreaterThan(1);
  }

  /**
   * {@code events tail -f} prints the events committed after it started, and ends cleanly (exit 0)
   * when the reader of its output goes away, as {@code | head} does.
   */
  @Test
  void eventsTailFollowsTheLedgerUntilItsReaderGoesAway() throws Exception {
    Capture capture = new Capture();
    PrintStream original = System.out;
    CompletableFuture<Integer> tail;
    System.setOut(new PrintStream(capture, true, StandardCharsets.UTF_8));
    try {
      tail = CompletableFuture.supplyAsync(() -> Grantry.run("events", "tail", "-n", "1", "-f"));
      capture.await("POSITION");
      assertThat(admin.post("/admin/clients", followed("op-tail-1")).status()).isEqualTo(201);
      capture.await("client:op-tail-1");
      capture.close();
      // The next event is written to a closed output: the command notices and stops.
      assertThat(admin.post("/admin/clients", followed("op-tail-2")).status()).isEqualTo(201);
      assertThat(tail.get(60, TimeUnit.SECONDS)).isZero();
    } finally {
      System.setOut(original);
    }
    assertThat(capture.text()).contains("client.registered.v1").doesNotContain("op-tail-2");
  }

  static JsonObject followed(String id) {
    return new JsonObject()
        .put("client_id", id)
        .put("client_name", "Followed")
        .put("grant_types", new JsonArray().add("client_credentials"))
        .put("scope", "api");
  }

  /** An output that can be waited on for a text, and closed like a pipe whose reader left. */
  static final class Capture extends OutputStream {
    private final StringBuilder text = new StringBuilder();
    private boolean closed;

    @Override
    public synchronized void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("Broken pipe");
      }
      text.append(new String(b, off, len, StandardCharsets.UTF_8));
      notifyAll();
    }

    @Override
    public synchronized void close() {
      closed = true;
    }

    synchronized String text() {
      return text.toString();
    }

    synchronized void await(String expected) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (text.indexOf(expected) < 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no '" + expected + "' in:\n" + text);
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }
}
