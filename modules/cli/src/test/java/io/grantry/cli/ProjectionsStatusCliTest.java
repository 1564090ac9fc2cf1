package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code grantry projections status} gives an asynchronous projection's events behind as the lag
 * metric estimates them from positions (the positions from the first unapplied event to the
 * ledger's highest, so positions of rolled-back appends count), at a cost that does not grow with
 * the lag; {@code --exact} counts the events, reading each.
 */
class ProjectionsStatusCliTest {
  static TestDatabase db;
  static Vertx vertx;
  static Pool pool;

  /** The positions the lag estimate spans, and the events it stands for. */
  static long spanned;

  static long behind;

  @BeforeAll
  static void seed() throws Exception {
    db = TestDatabase.fresh();
    CliSupport.env = CliTest.databaseEnv(db);
    vertx = Vertx.vertx();
    pool = PgBuilder.pool().connectingTo(db.connectOptions()).using(vertx).build();
    EventStore store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    // The projection has applied the first two events; one more, then positions taken by appends
    // that rolled back, then two more.
    for (int i = 0; i < 3; i++) {
      append(store, i);
    }
    await(
        pool.query(
                "INSERT INTO projection_checkpoints (name, txid, position)"
                    + " SELECT 'mailer', txid, position FROM events ORDER BY position LIMIT 1"
                    + " OFFSET 1")
            .execute());
    await(
        pool.query(
                "SELECT nextval(pg_get_serial_sequence('events', 'position'))"
                    + " FROM generate_series(1, 5)")
            .execute());
    for (int i = 3; i < 5; i++) {
      append(store, i);
    }
    List<Long> positions = new ArrayList<>();
    for (Row r : await(pool.query("SELECT position FROM events ORDER BY position").execute())) {
      positions.add(r.getLong(0));
    }
    behind = 3;
    spanned = positions.get(4) - positions.get(2) + 1;
  }

  @AfterAll
  static void reset() throws Exception {
    CliSupport.env = System.getenv();
    await(vertx.close());
  }

  @Test
  void theLagIsEstimatedFromPositionsAndCountedOnlyWithExact() {
    assertThat(spanned).as("the premise: rolled-back positions among those behind").isEqualTo(8);

    JsonObject estimated = mailer(CliTest.run("projections", "status", "--json"));
    assertThat(estimated.getLong("lag_events")).isEqualTo(spanned);
    assertThat(estimated.getBoolean("lag_exact")).isFalse();
    assertThat(estimated.getDouble("lag_seconds")).isGreaterThanOrEqualTo(0);

    JsonObject counted = mailer(CliTest.run("projections", "status", "--json", "--exact"));
    assertThat(counted.getLong("lag_events")).isEqualTo(behind);
    assertThat(counted.getBoolean("lag_exact")).isTrue();
    assertThat(counted.getString("checkpoint")).isEqualTo(estimated.getString("checkpoint"));

    CliTest.Run table = CliTest.run("projections", "status");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out())
        .containsPattern("(?m)^mailer +async +\\S+ +" + spanned + " ")
        .contains("estimated from positions");
    CliTest.Run exact = CliTest.run("projections", "status", "--exact");
    assertThat(exact.code()).as(exact.err()).isZero();
    assertThat(exact.out())
        .containsPattern("(?m)^mailer +async +\\S+ +" + behind + " ")
        .doesNotContain("estimated");
  }

  private static JsonObject mailer(CliTest.Run r) {
    assertThat(r.code()).as(r.err()).isZero();
    for (String line : r.out().strip().split("\n")) {
      JsonObject p = new JsonObject(line);
      if (p.getString("name").equals("mailer")) {
        return p;
      }
    }
    throw new AssertionError("no mailer in " + r.out());
  }

  private static void append(EventStore store, int i) throws Exception {
    await(
        store.append(
            "s-" + i, ExpectedVersion.ANY, NewEvent.of("test.happened.v1", new JsonObject())));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
