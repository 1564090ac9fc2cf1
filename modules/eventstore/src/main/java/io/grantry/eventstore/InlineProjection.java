package io.grantry.eventstore;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
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
}
