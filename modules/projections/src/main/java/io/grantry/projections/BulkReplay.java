package io.grantry.projections;

import io.grantry.eventstore.RecordedEvent;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A projection's replay from the start of the ledger done in memory and written in bulk: the pages
 * are folded into rows held here, and the rows are then written once, with COPY, into a rebuild's
 * fresh copies, created without indexes (built after the load). Statement by statement, a replay
 * of millions of events costs PostgreSQL a plan, an index descent per index and a WAL record for
 * every insert and every later update of the same row; folded first, each row is written once.
 *
 * <p>It must give exactly the rows {@link Projection#apply} gives when it is handed the same pages
 * in the same order (the runner hands both the same pages): tests compare the two.
 */
public interface BulkReplay<P> {
  /**
   * What can be worked out from a page alone (decoding, the rows its statements would get): pure,
   * run on any thread, several pages at once, ahead of {@link #apply}.
   */
  P prepare(List<RecordedEvent> page);

  /** Folds the next prepared page, in commit order (called from one thread at a time). */
  void apply(P prepared);

  /**
   * Writes the folded rows into {@code tables} (empty copies without indexes) on {@code c}, in
   * the caller's transaction.
   */
  void write(Connection c, TableNames tables) throws SQLException, IOException;
}
