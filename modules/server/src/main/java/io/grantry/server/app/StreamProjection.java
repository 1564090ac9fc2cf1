package io.grantry.server.app;

import io.grantry.domain.EventCodec;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.Projection;
import io.grantry.projections.TableNames;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * A projection of one kind of stream into one table: it picks the events of streams with its prefix
 * whose type its codec reads, decodes them, and applies them one after another in the transaction.
 * Subclasses say what one event does to the table.
 *
 * @param <E> the aggregate's events
 */
public abstract class StreamProjection<E> implements Projection {
  private final String name;
  private final String table;
  private final String streamPrefix;
  private final EventCodec<E> codec;

  protected StreamProjection(String name, String table, String streamPrefix, EventCodec<E> codec) {
    this.name = name;
    this.table = table;
    this.streamPrefix = streamPrefix;
    this.codec = codec;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final List<String> tables() {
    return List.of(table);
  }

  @Override
  public final boolean reads(String streamId) {
    return streamId.startsWith(streamPrefix);
  }

  @Override
  public final Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
    String physical = tables.of(table);
    // Sent together, not each after the previous one's answer: one connection runs its statements
    // in the order they were sent, so the rows come out the same, and a replay page of a thousand
    // consents costs one round trip instead of a thousand.
    List<Future<Void>> sent = new ArrayList<>();
    for (RecordedEvent e : events) {
      E event = applied(e);
      if (event != null) {
        sent.add(apply(tx, physical, event, e.version()));
      }
    }
    if (sent.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.all(sent).mapEmpty();
  }

  /**
   * {@code e} decoded, when this projection applies it (an event of a stream with its prefix, of a
   * type its codec reads); null otherwise.
   */
  public final E applied(RecordedEvent e) {
    if (!e.streamId().startsWith(streamPrefix) || !codec.types().contains(e.type())) {
      return null;
    }
    return codec.fromJson(e.type(), e.payload());
  }

  /** What {@code event} (the stream's {@code version}th) does to {@code table}; idempotent. */
  protected abstract Future<Void> apply(SqlConnection tx, String table, E event, long version);
}
