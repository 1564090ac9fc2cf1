package io.grantry.projections;

import io.grantry.eventstore.InlineProjection;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.Set;

/**
 * Turns events into rows. Tables are created by migrations (the schema lives only there); a
 * projection names the tables it owns so that a rebuild can replay into fresh copies of them.
 *
 * <p>{@code apply} must be idempotent (delivering an event twice changes nothing) and must address
 * its tables through {@link TableNames}, never by literal name, so the same code fills the live
 * tables and a rebuild's copies.
 */
public interface Projection {
  String name();

  List<String> tables();

  Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events);

  /**
   * Inline only: events that all start new streams, given before their insert has answered
   * (position and txid 0); a unique violation rolls the batch back and it is applied again with
   * {@link #apply}, so inserts here need no {@code ON CONFLICT}. Every statement must be sent
   * before it returns (COMMIT follows them at once). See {@link
   * io.grantry.eventstore.InlineProjection#applyNew}. By default the same as {@link #apply}.
   */
  default Future<Void> applyNew(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
    return apply(tx, tables, events);
  }

  /**
   * Inline only: {@link #applyNew} as inserts the store may run inside its own insert of the batch
   * (see {@link InlineProjection#newInserts}); null when they cannot go that way. By default an
   * empty list when this projection reads none of the events' streams ({@link #reads}), else null.
   */
  default List<InlineProjection.Insert> newInserts(TableNames tables, List<RecordedEvent> events) {
    for (RecordedEvent e : events) {
      if (reads(e.streamId())) {
        return null;
      }
    }
    return List.of();
  }

  /**
   * Called after a replay into {@code tables} (a rebuild's copies): drops what the live tables have
   * already let go of under a retention rule, so that a rebuild gives what the live projection
   * holds. Most projections keep everything and do nothing here.
   */
  default Future<Void> afterReplay(SqlClient client, TableNames tables) {
    return Future.succeededFuture();
  }

  /**
   * Whether an event of {@code streamId} can change this projection's tables (true, the default,
   * when the projection does not say). A {@link FirstPass} may hand {@link #apply} only the events
   * it reads; {@link #apply} must ignore every event this says false for.
   */
  default boolean reads(String streamId) {
    return true;
  }

  /**
   * The only event types {@link #apply} acts on, when the projection names them (empty, the
   * default: any type may matter). A replay may then hand it only events of these types, the others
   * skipped in the database; {@link #apply} must ignore every other type.
   */
  default Set<String> eventTypes() {
    return Set.of();
  }
}
