package io.grantry.eventstore;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * A projection updated in the same transaction as the append that writes its events, so that a
 * reader never sees an acknowledged event without its projected row (the token-state projection
 * that introspection reads is one).
 *
 * <p>{@code apply} must be idempotent and must only touch its own tables. A failure fails the whole
 * batch: every append in it is rolled back and its caller sees the error.
 */
public interface InlineProjection {
  String name();

  Future<Void> apply(SqlConnection tx, List<RecordedEvent> events);

  /**
   * The same for a batch whose appends all created their streams, called as soon as the events'
   * insert has been sent, before its answer: the events' {@code position} and {@code txid} are 0
   * (not known yet). Any unique violation in the transaction rolls it back, and its appends are
   * written again with {@link #apply}; so a projection may insert here without {@code ON CONFLICT}
   * clauses (each one a speculative insertion: an extra index probe and WAL record per row). It
   * must send every statement before it returns, never one after another's answer, and its future
   * may fail only because one of them did: the store sends COMMIT right behind them. By default the
   * same as {@link #apply} (every inline projection of the server sends its statements at once).
   */
  default Future<Void> applyNew(SqlConnection tx, List<RecordedEvent> events) {
    return apply(tx, events);
  }

  /**
   * The same as {@link #applyNew} when all it takes is inserts, as data: the store then runs them
   * inside its own insert of the batch, as data-modifying {@code WITH} clauses of that one
   * statement, so that a group commit of new streams (client_credentials tokens, codes) is one
   * statement in one implicit transaction instead of BEGIN, the insert, each projection's
   * statements and COMMIT: one message each way and one statement for PostgreSQL to bind and run,
   * where there were five. The clauses of one statement all see the database as it was before it
   * (none sees another's rows), which is why only independent inserts can go this way; a projection
   * whose events call for anything else (an update of a row inserted in the same batch) answers
   * null, and the store sends every projection's statements with {@link #applyNew}. An empty list:
   * nothing to write for these events. A unique violation fails the statement and the batch is
   * decided again, as for {@link #applyNew}. By default null (never folded).
   */
  default List<Insert> newInserts(List<RecordedEvent> events) {
    return null;
  }

  /**
   * One {@code INSERT ... SELECT ...} with no {@code RETURNING}, whose parameters are numbered from
   * {@code $1} (the store renumbers them after its own), and their values.
   */
  record Insert(String sql, Tuple params) {}
}
