package io.grantry.rebuild;

import io.grantry.eventstore.LedgerCopy;
import io.grantry.projections.TableNames;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * A projection's replay from the start of the ledger done in memory and written in bulk: the pages
 * are folded into rows held here, and the rows are then written once, with COPY, into a rebuild's
 * fresh copies, created without indexes (built after the load). Statement by statement, a replay of
 * millions of events costs PostgreSQL a plan, an index descent per index and a WAL record for every
 * insert and every later update of the same row; folded first, each row is written once.
 *
 * <p>It must give exactly the rows the projection's statements give when they are handed the same
 * pages in the same order ({@link io.grantry.projections.FirstPass#PAGE_SIZE}): tests compare the
 * two.
 *
 * @param <P> a page as {@link #prepare} leaves it for {@link #apply}
 */
public interface Fold<P> {
  /**
   * What can be worked out from a page alone (decoding, the changes its events make), from the page
   * as read: every event of it, JSON as UTF-8 bytes. Pure, run on any thread, several pages at
   * once, ahead of {@link #apply}.
   */
  P prepare(List<LedgerCopy.Raw> page);

  /** Folds the next prepared page, in commit order (called from one thread at a time). */
  void apply(P prepared);

  /** Writes the folded rows of one table on a connection, in the caller's transaction. */
  @FunctionalInterface
  interface Write {
    void to(Connection c) throws SQLException, IOException;
  }

  /**
   * The writing of the folded rows split by table (the live table's name to the write of its copy's
   * rows), so that the tables can be written at the same time on connections of their own and each
   * one indexed as soon as it is loaded. The copy is empty and was truncated in the caller's
   * transaction (so its COPY may {@code FREEZE}: {@link BinaryCopy#frozen}), and has no indexes
   * yet. Called after the last {@link #apply}; the writes only read the fold, from any thread.
   * Every table of the projection has its write.
   */
  Map<String, Write> writes(TableNames tables);
}
