package io.grantry.cli.faults;

import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.Projection;
import io.grantry.projections.TableNames;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * An asynchronous projection for {@link ServerKilledTest}: per stream, how many events, the last
 * version and type. The server's own projections are all written inline with the appends; this one
 * follows the ledger from its checkpoint the way an asynchronous projection does, so the test can
 * see it resume after a kill. Idempotent: a version already counted changes nothing.
 */
final class StreamSummaryProjection implements Projection {
  static final String TABLE = "kill_stream_summary";
  static final String DDL =
      "CREATE TABLE IF NOT EXISTS "
          + TABLE
          + " (stream_id text PRIMARY KEY, events bigint NOT NULL, last_version bigint NOT NULL, last_type text NOT NULL)";

  @Override
  public String name() {
    return TABLE;
  }

  @Override
  public List<String> tables() {
    return List.of(TABLE);
  }

  @Override
  public Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
    List<Tuple> batch = new ArrayList<>();
    for (RecordedEvent e : events) {
      batch.add(Tuple.of(e.streamId(), e.version(), e.type()));
    }
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    return tx.preparedQuery(
            "INSERT INTO "
                + tables.of(TABLE)
                + " AS t (stream_id, events, last_version, last_type)"
                + " VALUES ($1, 1, $2, $3) ON CONFLICT (stream_id) DO UPDATE"
                + " SET events = t.events + 1, last_version = excluded.last_version, last_type = excluded.last_type"
                + " WHERE t.last_version < excluded.last_version")
        .executeBatch(batch)
        .mapEmpty();
  }
}
