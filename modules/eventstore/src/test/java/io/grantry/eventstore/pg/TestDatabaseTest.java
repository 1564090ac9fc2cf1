package io.grantry.eventstore.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TestDatabaseTest {

  @Test
  void freshDatabasesAreMigratedAndIsolated() throws Exception {
    TestDatabase a = TestDatabase.fresh();
    TestDatabase b = TestDatabase.fresh();
    assertThat(a.name()).isNotEqualTo(b.name());
    assertThat(a.jdbcUrl()).endsWith("/" + a.name());

    for (TestDatabase db : new TestDatabase[] {a, b}) {
      assertThat(Migrations.upToDate(db.jdbcUrl(), db.user(), db.password()))
          .as(db.name())
          .isTrue();
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        assertThat(count(s, "select count(*) from flyway_schema_history where success"))
            .isPositive();
        assertThat(count(s, "select count(*) from projection_checkpoints")).isZero();
      }
    }
    try (Connection c = a.connect();
        Statement s = c.createStatement()) {
      s.execute("insert into projection_checkpoints (name) values ($$isolation$$)");
    }
    try (Connection c = b.connect();
        Statement s = c.createStatement()) {
      assertThat(count(s, "select count(*) from projection_checkpoints")).isZero();
    }
    try (Connection c = a.connect();
        Statement s = c.createStatement()) {
      assertThat(count(s, "select count(*) from projection_checkpoints")).isEqualTo(1);
    }
  }

  @Test
  void connectOptionsWorkWithTheVertxClient() throws Exception {
    TestDatabase db = TestDatabase.fresh();
    Vertx vertx = Vertx.vertx();
    try {
      PgConnection conn =
          PgConnection.connect(vertx, db.connectOptions())
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      RowSet<Row> rows =
          conn.query("select current_database(), current_user")
              .execute()
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      Row row = rows.iterator().next();
      assertThat(row.getString(0)).isEqualTo(db.name());
      assertThat(row.getString(1)).isEqualTo("postgres");
      conn.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void theServerIsSharedAndTheTemplateAcceptsNoConnections() throws Exception {
    assertThat(TestDatabase.server()).isSameAs(TestDatabase.server());
    try (Connection c = TestDatabase.fresh().connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "select datallowconn, datistemplate from pg_database where datname = '"
                    + TestDatabase.TEMPLATE
                    + "'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isFalse();
      assertThat(rs.getBoolean(2)).isTrue();
    }
  }

  private static long count(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
