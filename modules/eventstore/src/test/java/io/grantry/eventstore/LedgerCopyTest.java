package io.grantry.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LedgerCopy#pipeline} on a real ledger: every event in commit order, each page's stage
 * result beside its page, and a sink that stops early ends the pipeline at that page (as {@code
 * audit verify} does at the first bad event; AuditCliTest covers the cancelled COPY of a large
 * ledger).
 */
class LedgerCopyTest {
  static Vertx vertx;
  static TestDatabase db;
  static Pool pool;
  static EventStore store;
  static final int EVENTS = 2_000;
  static final String PADDING = "p".repeat(100);

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    db = TestDatabase.fresh();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(4))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    for (int s = 0; s < EVENTS / 100; s++) {
      List<NewEvent> events = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        events.add(
            NewEvent.of(
                "copied.v1",
                new JsonObject().put("n", s * 100 + i).put("padding", PADDING),
                new JsonObject().put("actor", "test")));
      }
      await(store.append("copy-" + s, ExpectedVersion.NO_STREAM, events));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    await(store.close());
    await(vertx.close());
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Connection jdbc() throws Exception {
    Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    c.setAutoCommit(false);
    c.setReadOnly(true);
    return c;
  }

  @Test
  void everyEventReachesTheSinkInCommitOrder() throws Exception {
    List<GlobalPosition> seen = new ArrayList<>();
    try (Connection c = jdbc()) {
      GlobalPosition last =
          LedgerCopy.pipeline(
              c,
              GlobalPosition.START,
              LedgerCopy.Columns.FULL,
              97,
              2,
              raws -> raws.size(),
              (raws, n) -> {
                assertThat(n).isEqualTo(raws.size());
                raws.forEach(r -> seen.add(r.commitOrder()));
                return true;
              });
      assertThat(seen).hasSize(EVENTS).isSorted();
      assertThat(last).isEqualTo(seen.get(EVENTS - 1));
    }
  }

  @Test
  void aSinkThatStopsEndsThePipelineAtItsPage() throws Exception {
    // One event a page and a queue of a few pages: when the sink stops at the first page, the
    // reader still has events to go.
    List<GlobalPosition> seen = new ArrayList<>();
    try (Connection c = jdbc()) {
      GlobalPosition last =
          LedgerCopy.pipeline(
              c,
              GlobalPosition.START,
              LedgerCopy.Columns.FULL,
              1,
              2,
              raws -> raws.size(),
              (raws, n) -> {
                seen.add(raws.get(0).commitOrder());
                return false;
              });
      assertThat(seen).hasSize(1);
      assertThat(last).isEqualTo(seen.get(0));
    }
  }
}
