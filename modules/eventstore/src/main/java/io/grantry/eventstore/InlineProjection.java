package io.grantry.eventstore;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;

/**
 * A projection updated in the same transaction as the append that writes its events, so that a
 * reader never sees an acknowledged event without its projected row (the token-state projection
 * that introspection reads is one).
 *
 * <p>{@code apply} must be idempotent and must only touch its own tables. A failure fails the
 * whole batch: every append in it is rolled back and its caller sees the error.
 */
public interface InlineProjection {
  String name();

  Future<Void> apply(SqlConnection tx, List<RecordedEvent> events);
}
