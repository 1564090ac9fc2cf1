package io.grantry.server.app;

import io.grantry.eventstore.InlineProjection;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Snapshots of aggregate states (the {@code grant_snapshots} table): the state a stream folds to at
 * some version, written in the same transaction as every {@code every}-th event of the stream, so
 * that loading a stream that is not cached reads its snapshot and at most {@code every - 1} events
 * after it, whatever the stream's age ({@link Aggregate#withSnapshots}). Before snapshots, a grant
 * refreshed once an hour for 15 days read and folded 360 events on each refresh its state was not
 * in memory for, which in real use is nearly every refresh.
 *
 * <p>A snapshot is derived data, never a fact: a missing, older or unreadable one (another format,
 * see {@code GrantSnapshotCodec.FORMAT}) only means more events to fold; the table may be emptied
 * at any time ({@code TRUNCATE grant_snapshots}) and fills again as streams are used. It is not a
 * projection: a rebuild of the projections leaves it alone (the ledger it was folded from does not
 * change), and nothing but the {@link Aggregate} reads it.
 *
 * <p>How the state reaches the transaction: the aggregate knows the state after its append, and the
 * versions it will have; when an append reaches a multiple of {@code every} it notes the state
 * against the JSON payload of its last event ({@link #offer}), in the event loop thread that also
 * runs the event store's inline projections; {@link #WRITER}, an inline projection, finds it again
 * by the payload's identity among the batch's events, with the version the store gave it. An append
 * that never reaches the projection leaves a note behind, dropped with the rest when a thread holds
 * {@link #MAX_PENDING} of them; anywhere else (another thread, a replay) nothing is found and no
 * snapshot written, which is always allowed.
 *
 * @param <S> the aggregate's state
 */
public final class Snapshots<S> {
  static final int MAX_PENDING = 4096;
  private static final ThreadLocal<IdentityHashMap<JsonObject, Pending>> PENDING =
      ThreadLocal.withInitial(IdentityHashMap::new);

  private static final String READ =
      "SELECT version, state FROM grant_snapshots WHERE stream_id = $1";
  private static final String WRITE =
      "INSERT INTO grant_snapshots (stream_id, version, state) VALUES ($1, $2, $3)"
          + " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, state = excluded.state"
          + " WHERE grant_snapshots.version < excluded.version";

  /** What the writer needs of a noted state: its bytes, encoded when the transaction runs. */
  private record Pending(Object state, Function<Object, byte[]> encoder) {
    byte[] bytes() {
      return encoder.apply(state);
    }
  }

  /** The inline projection that writes the noted snapshots; register it on every event store. */
  public static final InlineProjection WRITER =
      new InlineProjection() {
        @Override
        public String name() {
          return "grant_snapshots";
        }

        @Override
        public Future<Void> apply(SqlConnection tx, List<RecordedEvent> events) {
          IdentityHashMap<JsonObject, Pending> pending = PENDING.get();
          if (pending.isEmpty()) {
            return Future.succeededFuture();
          }
          List<Tuple> rows = null;
          for (RecordedEvent e : events) {
            Pending p = pending.remove(e.payload());
            if (p != null) {
              if (rows == null) {
                rows = new ArrayList<>(2);
              }
              rows.add(Tuple.of(e.streamId(), e.version(), Buffer.buffer(p.bytes())));
            }
          }
          if (rows == null) {
            return Future.succeededFuture();
          }
          return (rows.size() == 1
                  ? tx.preparedQuery(WRITE).execute(rows.get(0))
                  : tx.preparedQuery(WRITE).executeBatch(rows))
              .mapEmpty();
        }

        /**
         * Nothing when no event of the batch has a noted state (a client_credentials grant never
         * has); else null, so that the batch goes through {@link #apply} (an upsert).
         */
        @Override
        public List<Insert> newInserts(List<RecordedEvent> events) {
          IdentityHashMap<JsonObject, Pending> pending = PENDING.get();
          if (!pending.isEmpty()) {
            for (RecordedEvent e : events) {
              if (pending.containsKey(e.payload())) {
                return null;
              }
            }
          }
          return List.of();
        }
      };

  private final Pool pool;
  private final String streamPrefix;
  private final int every;
  private final Function<S, byte[]> encode;
  private final Function<byte[], Optional<S>> decode;

  /**
   * @param every a snapshot at every this many events of a stream (at least 2)
   * @param encode a state's bytes
   * @param decode the state of some bytes, empty if they cannot be read (another format)
   */
  public Snapshots(
      Pool pool,
      String streamPrefix,
      int every,
      Function<S, byte[]> encode,
      Function<byte[], Optional<S>> decode) {
    if (every < 2) {
      throw new IllegalArgumentException("a snapshot every " + every + " events");
    }
    this.pool = pool;
    this.streamPrefix = streamPrefix;
    this.every = every;
    this.encode = encode;
    this.decode = decode;
  }

  public int every() {
    return every;
  }

  boolean covers(String streamId) {
    return streamId.startsWith(streamPrefix);
  }

  /** True if an append taking the stream from {@code from} to {@code to} crosses a multiple. */
  boolean due(String streamId, long from, long to) {
    return to / every > from / every && covers(streamId);
  }

  /** Notes {@code state} as the state after the event whose payload is {@code lastPayload}. */
  @SuppressWarnings("unchecked")
  void offer(JsonObject lastPayload, S state) {
    IdentityHashMap<JsonObject, Pending> m = PENDING.get();
    if (m.size() >= MAX_PENDING) {
      m.clear();
    }
    m.put(lastPayload, new Pending(state, (Function<Object, byte[]>) (Function<?, byte[]>) encode));
  }

  /** The stream's snapshot, or null when it has none that can be read. */
  Future<Aggregate.Loaded<S>> read(String streamId) {
    return pool.preparedQuery(READ)
        .execute(Tuple.of(streamId))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Row r = rows.iterator().next();
              Buffer bytes = r.getBuffer("state");
              return decode
                  .apply(bytes.getBytes())
                  .map(s -> new Aggregate.Loaded<>(s, r.getLong("version")))
                  .orElse(null);
            });
  }
}
