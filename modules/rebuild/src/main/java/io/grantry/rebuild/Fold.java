package io.grantry.rebuild;

import io.grantry.eventstore.LedgerCopy;
import io.grantry.projections.TableNames;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

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

  /**
   * Writes the folded rows of one table on a connection, in the caller's transaction: {@code
   * frozen} when the caller truncated the table in that transaction (so the COPY may {@code
   * FREEZE}: {@link BinaryCopy#frozen}), false when it adds to rows an earlier part wrote.
   */
  @FunctionalInterface
  interface Write {
    void to(Connection c, boolean frozen) throws SQLException, IOException;
  }

  /**
   * Makes a projection's folds. A fold whose rows can be made in parts ({@link #splits}), each part
   * from a read of the ledger of its own, holds in memory only its part's rows: {@code of(i,
   * parts)} is the fold of part i, and the rows of all parts together are those of one fold of
   * everything ({@link TokenStateFold#TokenStateFold(int, int)} says why). A fold that cannot be
   * split is made once, whole, as part 0.
   */
  @FunctionalInterface
  interface Parts {
    Fold<?> of(int part, int parts);

    default boolean splits() {
      return true;
    }

    /** A fold that is never split: {@code fold} for part 0. */
    static Parts whole(Supplier<Fold<?>> fold) {
      return new Parts() {
        @Override
        public Fold<?> of(int part, int parts) {
          return fold.get();
        }

        @Override
        public boolean splits() {
          return false;
        }
      };
    }
  }

  /**
   * The writing of the folded rows split by table (the live table's name to the write of its copy's
   * rows), so that the tables can be written at the same time on connections of their own and each
   * one indexed as soon as it is loaded. The copy holds no rows of this fold's part; it has no
   * indexes yet. Called after the last {@link #apply}; the writes only read the fold, from any
   * thread. Every table of the projection has its write.
   */
  Map<String, Write> writes(TableNames tables);
}
