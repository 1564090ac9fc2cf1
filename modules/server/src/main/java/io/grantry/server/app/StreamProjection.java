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
      if (!e.streamId().startsWith(streamPrefix) || !codec.types().contains(e.type())) {
        continue;
      }
      E event = codec.fromJson(e.type(), e.payload());
      sent.add(apply(tx, physical, event, e.version()));
    }
    if (sent.isEmpty()) {
      return Future.succeededFuture();
    }
    return Future.all(sent).mapEmpty();
  }

  /** An event this projection applies, decoded, with its version in its stream. */
  public record Decoded<E>(E event, long version) {}

  /**
   * The events of {@code events} this projection applies (as {@link #apply} picks them), decoded,
   * in order.
   */
  protected final List<Decoded<E>> decode(List<RecordedEvent> events) {
    List<Decoded<E>> out = new ArrayList<>();
    for (RecordedEvent e : events) {
      if (e.streamId().startsWith(streamPrefix) && codec.types().contains(e.type())) {
        out.add(new Decoded<>(codec.fromJson(e.type(), e.payload()), e.version()));
      }
    }
    return out;
  }

  /** What {@code event} (the stream's {@code version}th) does to {@code table}; idempotent. */
  protected abstract Future<Void> apply(SqlConnection tx, String table, E event, long version);
}
