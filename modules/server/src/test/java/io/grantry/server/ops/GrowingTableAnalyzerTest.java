package io.grantry.server.ops;

import static io.grantry.server.ops.GrowingTableAnalyzer.MIN_CHANGES;
import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A table that fills from empty gets planner statistics while it is small (so the generic plans
 * cached for it are made again at its new size), and again each time it has grown by half; a table
 * that has not changed enough is left alone.
 */
class GrowingTableAnalyzerTest {

  @Test
  void aFillingTableIsAnalyzedWhenItHasGrownEnoughAndNotBefore() throws Exception {
    try (TestServer server = TestServer.start(Map.of("GRANTRY_ANALYZE_INTERVAL_MS", "0"))) {
      Pool pool = server.server.resources().pool();
      GrowingTableAnalyzer analyzer = server.server.analyzer();
      await(pool.query("CREATE TABLE analyze_probe (id int PRIMARY KEY)").execute());
      assertThat(reltuples(pool)).as("never analyzed").isLessThan(0);

      insert(pool, 0, 400);
      assertThat(await(analyzer.analyzeDue()))
          .as("400 rows: fewer than %d changes", GrowingTableAnalyzer.MIN_CHANGES)
          .doesNotContain("analyze_probe");
      assertThat(reltuples(pool)).isLessThan(0);

      insert(pool, 400, 600);
      assertThat(await(analyzer.analyzeDue())).contains("analyze_probe");
      assertThat(reltuples(pool)).isEqualTo(600);
      assertThat(await(analyzer.analyzeDue())).as("just analyzed").doesNotContain("analyze_probe");

      insert(pool, 600, 1100);
      assertThat(await(analyzer.analyzeDue()))
          .as("500 changes, more than half of 600 rows")
          .contains("analyze_probe");
      assertThat(reltuples(pool)).isEqualTo(1100);

      insert(pool, 1100, 1600);
      assertThat(await(analyzer.analyzeDue()))
          .as("500 changes, fewer than half of 1100 rows")
          .doesNotContain("analyze_probe");
      assertThat(reltuples(pool)).isEqualTo(1100);
    }
  }

  /**
   * What {@code grantry projections rebuild} does to a server's tables, against the analyzer: the
   * swap's transaction locks the events table against appends ({@code LOCK TABLE events IN
   * EXCLUSIVE MODE}), then renames the live projection tables away ({@code ALTER TABLE
   * access_tokens RENAME TO access_tokens__old}): the statements of {@code ProjectionRunner}'s
   * swap, in its order. An analysis that held access_tokens and waited for events closed a cycle
   * with it, and PostgreSQL broke the deadlock by failing one of the two: the swap (the rebuild
   * failed), or the analysis, whose connection then went back to the server's pool in an aborted
   * transaction, so that the requests that took it next answered 500 ("current transaction is
   * aborted", 25P02). The analyzer must skip what the swap holds, never hold the swap up, and leave
   * every connection usable.
   */
  @Test
  void aRebuildsSwapNeitherDeadlocksWithTheAnalyzerNorCostsARequestItsAnswer() throws Exception {
    try (TestServer server =
        TestServer.start(Map.of("GRANTRY_ANALYZE_INTERVAL_MS", "0", "GRANTRY_DB_POOL_SIZE", "2"))) {
      Pool pool = server.server.resources().pool();
      GrowingTableAnalyzer analyzer = server.server.analyzer();
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret =
          fx.confidentialClient("svc", "https://app.example/cb", "api.read", "client_credentials");
      Map<String, String> form = Map.of("grant_type", "client_credentials");
      // Autovacuum, which visits this database about once a minute, would analyze these tables (or
      // hold them while it does) at a moment of its own choosing: only the analyzer does here.
      await(
          pool.query(
                  "ALTER TABLE access_tokens SET (autovacuum_enabled = off);"
                      + " ALTER TABLE events SET (autovacuum_enabled = off)")
              .execute());
      // Enough tokens that access_tokens and events are both due for an analysis.
      ExecutorService threads = Executors.newFixedThreadPool(4);
      try {
        List<java.util.concurrent.Future<Integer>> issued = new ArrayList<>();
        for (int i = 0; i < MIN_CHANGES + 20; i++) {
          issued.add(threads.submit(() -> fx.token("svc", secret, form).statusCode()));
        }
        for (var f : issued) {
          assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(200);
        }
      } finally {
        threads.shutdown();
      }
      flushStatistics(pool, 2);
      // The test's premise: both are due, so that the analyzer reaches for access_tokens first.
      for (var r :
          await(
              pool.query(
                      "SELECT relname, n_mod_since_analyze FROM pg_stat_user_tables"
                          + " WHERE relname IN ('access_tokens', 'events')")
                  .execute())) {
        assertThat(r.getLong(1)).as(r.getString(0)).isGreaterThanOrEqualTo(MIN_CHANGES);
      }

      PgConnection swap = await(PgConnection.connect(server.vertx, server.db.connectOptions()));
      PgConnection observer = await(PgConnection.connect(server.vertx, server.db.connectOptions()));
      Future<List<String>> analyzed;
      Future<?> renamed;
      try {
        await(swap.query("BEGIN").execute());
        await(swap.query("LOCK TABLE events IN EXCLUSIVE MODE").execute());
        analyzed = analyzer.analyzeDue();
        // Until the analysis is over or waits for the swap's lock on events.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!analyzed.isComplete() && !awaitsEvents(observer)) {
          assertThat(System.nanoTime())
              .as("the analysis neither ended nor waited")
              .isLessThan(deadline);
          Thread.onSpinWait();
        }
        renamed = swap.query("ALTER TABLE access_tokens RENAME TO access_tokens__old").execute();
        await(Future.join(renamed, analyzed).otherwiseEmpty());
      } finally {
        await(swap.query("ROLLBACK").execute().eventually(swap::close));
        await(observer.close());
      }

      List<String> answers = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        var r = fx.token("svc", secret, form);
        answers.add(r.statusCode() + (r.statusCode() == 200 ? "" : ": " + r.body()));
      }
      assertThat(answers).as("answers after the swap").allMatch("200"::equals);
      assertThat(renamed.succeeded()).as("the swap renamed the table (no deadlock)").isTrue();
      assertThat(await(analyzed))
          .as("analyzed while the swap held events")
          .contains("access_tokens")
          .doesNotContain("events");
      assertThat(await(analyzer.analyzeDue())).as("once the swap is over").contains("events");
    }
  }

  /** Whether some session waits for a lock on the events table. */
  private static boolean awaitsEvents(SqlConnection observer) throws Exception {
    String sql =
        "SELECT count(*) FROM pg_locks WHERE relation = 'events'::regclass AND NOT granted";
    return await(observer.query(sql).execute()).iterator().next().getLong(0) > 0;
  }

  /**
   * Has each of the {@code size} connections of {@code pool} report its pending statistics (a
   * backend flushes them at most once a second), so that the analyzer sees every change made.
   */
  private static void flushStatistics(Pool pool, int size) throws Exception {
    List<SqlConnection> held = new ArrayList<>();
    try {
      for (int i = 0; i < size; i++) {
        SqlConnection conn = await(pool.getConnection());
        held.add(conn);
        await(conn.query("SELECT pg_stat_force_next_flush()").execute());
        await(conn.query("SELECT 1").execute());
      }
    } finally {
      for (SqlConnection conn : held) {
        await(conn.close());
      }
    }
  }

  /**
   * Inserts ids [from, to) and flushes this backend's statistics before answering, so the analyzer
   * sees them.
   */
  private static void insert(Pool pool, int from, int to) throws Exception {
    SqlConnection conn = await(pool.getConnection());
    try {
      await(
          conn.query(
                  "INSERT INTO analyze_probe SELECT generate_series("
                      + from
                      + ", "
                      + (to - 1)
                      + ")")
              .execute());
      // The backend reports its pending statistics when it next goes idle, before it answers.
      await(conn.query("SELECT pg_stat_force_next_flush()").execute());
      await(conn.query("SELECT 1").execute());
    } finally {
      await(conn.close());
    }
  }

  private static double reltuples(Pool pool) throws Exception {
    return await(
            pool.query("SELECT reltuples FROM pg_class WHERE relname = 'analyze_probe'").execute())
        .iterator()
        .next()
        .getDouble(0);
  }
}
