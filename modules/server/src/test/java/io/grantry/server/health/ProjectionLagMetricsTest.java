package io.grantry.server.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What {@code grantry_projection_lag_events} and {@code _seconds} report for an asynchronous
 * projection at a checkpoint behind the ledger, caught up, and with nothing applied yet; and that
 * reading them costs the database the same whatever the lag (they were a count of every event
 * behind, every 5 s: hundreds of buffers per refresh while a projection caught up).
 */
class ProjectionLagMetricsTest {
  Vertx vertx;
  Pool pool;
  EventStore store;
  SimpleMeterRegistry registry;
  ProjectionLagMetrics metrics;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool().connectingTo(TestDatabase.fresh().connectOptions()).using(vertx).build();
    store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    registry = new SimpleMeterRegistry();
    metrics = new ProjectionLagMetrics(registry, List.of("clients"));
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  @Test
  void anAsynchronousProjectionsLagIsTheEventsAfterItsCheckpoint() throws Exception {
    List<GlobalPosition> events = append(40);
    await(pool.query("INSERT INTO projection_checkpoints (name) VALUES ('mailer')").execute());

    await(metrics.refresh(pool));
    assertThat(events("mailer")).as("nothing applied yet").isEqualTo(40);
    assertThat(seconds("mailer")).isGreaterThanOrEqualTo(0);
    assertThat(events("clients")).as("an inline projection").isZero();

    checkpointAt(events.get(29));
    await(metrics.refresh(pool));
    assertThat(events("mailer")).isEqualTo(10);

    checkpointAt(events.get(39));
    await(metrics.refresh(pool));
    assertThat(events("mailer")).as("caught up").isZero();
    assertThat(seconds("mailer")).isZero();

    // The first event not applied is a minute old: its age is the lag in seconds.
    await(
        pool.withConnection(
            c ->
                c.query(
                        "SET session_replication_role = replica;"
                            + " UPDATE events SET recorded_at = now() - interval '60 seconds';"
                            + " SET session_replication_role = origin")
                    .execute()));
    checkpointAt(events.get(38));
    await(metrics.refresh(pool));
    assertThat(events("mailer")).isEqualTo(1);
    assertThat(seconds("mailer")).isBetween(59.0, 600.0);
  }

  /**
   * The refresh's statement touches as many shared buffers 2,000 events behind as 20 behind
   * (EXPLAIN's count, which does not depend on timing or on the page cache).
   */
  @Test
  void readingTheLagCostsTheSameWhateverTheLag() throws Exception {
    List<GlobalPosition> events = append(2020);
    await(pool.query("INSERT INTO projection_checkpoints (name) VALUES ('mailer')").execute());
    await(pool.query("VACUUM ANALYZE events").execute());

    checkpointAt(events.get(2019 - 20));
    long near = buffers();
    checkpointAt(events.get(19));
    long far = buffers();
    await(metrics.refresh(pool));
    assertThat(events("mailer")).isEqualTo(2000);
    assertThat(far).as("buffers 2,000 behind (20 behind: %d)", near).isLessThanOrEqualTo(near + 4);
    assertThat(far).isLessThan(40);
  }

  private long buffers() throws Exception {
    JsonArray plan =
        new JsonArray(
            await(
                    pool.query(
                            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + ProjectionLagMetrics.LAG)
                        .execute())
                .iterator()
                .next()
                .getValue(0)
                .toString());
    // An upper node's counts include its children's (the subqueries' too).
    JsonObject p = plan.getJsonObject(0).getJsonObject("Plan");
    return p.getLong("Shared Hit Blocks") + p.getLong("Shared Read Blocks");
  }

  private void checkpointAt(GlobalPosition at) throws Exception {
    await(
        pool.preparedQuery(
                "UPDATE projection_checkpoints SET txid = $1, position = $2 WHERE name = 'mailer'")
            .execute(Tuple.of(at.txid(), at.position())));
  }

  private double events(String projection) {
    return registry
        .get("grantry.projection.lag.events")
        .tag("projection", projection)
        .gauge()
        .value();
  }

  private double seconds(String projection) {
    return registry
        .get("grantry.projection.lag.seconds")
        .tag("projection", projection)
        .gauge()
        .value();
  }

  /** Appends {@code n} events; answers every event's commit order, in order. */
  private List<GlobalPosition> append(int n) throws Exception {
    List<Future<?>> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batch.add(
          store.append(
              "s-" + (i % 17),
              ExpectedVersion.ANY,
              NewEvent.of("test.happened.v1", new JsonObject().put("i", i))));
      if (batch.size() == 100) {
        await(Future.all(batch));
        batch.clear();
      }
    }
    await(Future.all(batch));
    List<GlobalPosition> out = new ArrayList<>();
    for (Row r :
        await(pool.query("SELECT txid, position FROM events ORDER BY txid, position").execute())) {
      out.add(new GlobalPosition(r.getLong(0), r.getLong(1)));
    }
    return out;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
