package io.grantry.server.ops;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.TestServer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.Map;
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
