package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CliTest {
  static TestDatabase db;

  @BeforeAll
  static void seed() throws Exception {
    db = TestDatabase.fresh();
    CliSupport.env = CliTest.databaseEnv(db);
    Vertx vertx = Vertx.vertx();
    Pool pool = PgBuilder.pool().connectingTo(db.connectOptions()).using(vertx).build();
    EventStore store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    for (int i = 1; i <= 3; i++) {
      store
          .append(
              "client:cli-demo",
              ExpectedVersion.ANY,
              NewEvent.of(
                  "client.registered.v" + i, new JsonObject().put("client_name", "Demo " + i)))
          .toCompletionStage()
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    }
    pool.query("INSERT INTO projection_checkpoints (name) VALUES ('grants')")
        .execute()
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  /** The settings that point {@code grantry} at a test database. */
  static Map<String, String> databaseEnv(TestDatabase db) {
    return Map.of(
        "GRANTRY_DB_URL",
        db.jdbcUrl().replaceFirst("^jdbc:", ""),
        "GRANTRY_DB_USER",
        "postgres",
        "GRANTRY_DB_PASSWORD",
        TestDatabase.server().password());
  }

  @AfterAll
  static void reset() {
    CliSupport.env = System.getenv();
  }

  record Run(int code, String out, String err) {}

  static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = Grantry.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void eventsTailShowsTheNewestEventsOldestFirst() {
    Run r = run("events", "tail", "-n", "2");
    assertThat(r.code()).as(r.err()).isZero();
    String[] lines = r.out().strip().split("\n");
    assertThat(lines[0]).startsWith("POSITION");
    assertThat(lines).hasSize(3);
    assertThat(lines[1]).contains("client.registered.v2");
    assertThat(lines[2]).contains("client.registered.v3");
  }

  @Test
  void eventsStreamPrintsOneStreamAsJsonLinesWithTheHashChain() {
    Run r = run("events", "stream", "client:cli-demo", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    String[] lines = r.out().strip().split("\n");
    assertThat(lines).hasSize(3);
    JsonObject first = new JsonObject(lines[0]);
    JsonObject second = new JsonObject(lines[1]);
    assertThat(first.getJsonObject("payload").getString("client_name")).isEqualTo("Demo 1");
    assertThat(second.getString("prev_hash")).isEqualTo(first.getString("hash"));
  }

  @Test
  void anUnknownStreamIsSaidPlainly() {
    Run r = run("events", "stream", "client:nobody");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("no stream named client:nobody");
  }

  @Test
  void projectionsStatusListsCheckpointsAndLag() {
    Run r = run("projections", "status");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("PROJECTION").contains("grants");
    Run j = run("projections", "status", "--json");
    JsonObject row = null;
    for (String line : j.out().strip().split("\n")) {
      JsonObject p = new JsonObject(line);
      if (p.getString("name").equals("grants")) {
        row = p;
      }
    }
    assertThat(row).as(j.out()).isNotNull();
    assertThat(row.getString("mode")).isEqualTo("async");
    assertThat(row.getLong("lag_events")).isGreaterThanOrEqualTo(3);
  }

  @Test
  void aBadSettingIsOneLineAndExitCodeTwo() {
    Map<String, String> saved = CliSupport.env;
    CliSupport.env = Map.of("GRANTRY_HTTP_PORT", "eighty");
    try {
      Run r = run("serve");
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.err().strip())
          .isEqualTo("grantry: GRANTRY_HTTP_PORT must be a whole number, got 'eighty'");
    } finally {
      CliSupport.env = saved;
    }
  }
}
