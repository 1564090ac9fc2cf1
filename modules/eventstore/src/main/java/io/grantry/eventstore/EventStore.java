package io.grantry.eventstore;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only ledger on PostgreSQL.
 *
 * <p><b>Group commit.</b> {@link #append} does not open a transaction of its own: appends are
 * queued and written in batches, each batch one transaction with one multi-row insert, so a crowd
 * of concurrent appends shares one commit (one fsync). A caller's future completes only after the
 * transaction holding its events has committed; a stream conflict fails only that caller.
 *
 * <p><b>Concurrency.</b> Each batch locks the streams it writes in a fixed order before it writes
 * anything (see {@link #LOCK_HEADS}: the transaction id comes after the locks, so each stream's
 * versions are in txid order, which is the order readers follow), checks every append's expected
 * version in queue order against them (so appends within one batch see each other as a sequential
 * server would), computes the hash chain, and writes stream heads and events in one statement. Two
 * processes creating the same new stream race on the streams primary key; the loser's appends are
 * decided again in the next batch. Deadlocks and serialization failures retry the batch.
 *
 * <p>An instance belongs to the Vert.x context that created it (one per verticle); appends from
 * other threads are handed over to that context.
 *
 * <p>Why one long file: the write path (queue, batch, locks, plan, hash chain, settle, retry) is
 * one protocol whose invariants (commit order equals version order, a caller completes only after
 * its commit, a conflict fails only its caller) span all of it; splitting it would put one
 * invariant's halves in two files. The read side (readStream, readAll, subscriptions) is short and
 * shares the row decoding.
 */
public final class EventStore {
  private static final Logger log = LoggerFactory.getLogger(EventStore.class);
  static final String CHANNEL = "grantry_events";
  private static final int MAX_ATTEMPTS = 5;

  private static final String COLUMNS =
      "position, txid, event_id, stream_id, version, type, payload, metadata, recorded_at, prev_hash, hash";

  /**
   * Locks the batch's streams, then reads their heads. The locks are transaction-scoped advisory
   * locks on {@code hashtextextended(stream_id, 0)}, taken in key order before anything is written:
   * unlike a row lock they need no transaction id, so a batch gets its txid only once it holds
   * every stream it writes. With row locks alone, a batch could take its txid by locking stream X,
   * then wait on stream Y behind a batch with a later txid, and write Y's next version with the
   * smaller txid: readers, which follow {@code (txid, position)}, would then meet Y's versions out
   * of order. The row lock ({@code FOR UPDATE}) stays so the heads read are the latest committed
   * ones (the statement's snapshot predates the wait) and so writers that bypass this statement
   * still serialize.
   */
  private static final String LOCK_HEADS =
      """
      WITH locked AS (
        SELECT count(pg_advisory_xact_lock(k)) AS n
        FROM (SELECT DISTINCT hashtextextended(id, 0) AS k FROM unnest($1::text[]) AS id ORDER BY k) keys
      )
      SELECT stream_id, version, last_hash FROM streams
      WHERE stream_id = ANY($1) AND (SELECT n FROM locked) >= 0
      ORDER BY stream_id FOR UPDATE
      """;

  private static final String WRITE_BATCH =
      """
      WITH s AS (
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bool[])
          AS s(stream_id, version, last_hash, is_new)
      ), upd AS (
        UPDATE streams t SET version = s.version, last_hash = s.last_hash
        FROM s WHERE NOT s.is_new AND t.stream_id = s.stream_id
        RETURNING t.stream_id
      ), ins AS (
        INSERT INTO streams (stream_id, version, last_hash)
        SELECT stream_id, version, last_hash FROM s WHERE s.is_new
        ON CONFLICT (stream_id) DO NOTHING
        RETURNING stream_id
      ), ok AS (
        SELECT stream_id FROM upd UNION ALL SELECT stream_id FROM ins
      ), ev AS (
        INSERT INTO events (event_id, stream_id, version, type, payload, metadata, recorded_at, prev_hash, hash)
        SELECT e.event_id, e.stream_id, e.version, e.type, e.payload::jsonb, e.metadata::jsonb, $13, e.prev_hash, e.hash
        FROM unnest($5::uuid[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])
          WITH ORDINALITY AS e(event_id, stream_id, version, type, payload, metadata, prev_hash, hash, ord)
        WHERE e.stream_id IN (SELECT stream_id FROM ok)
        ORDER BY e.ord
        RETURNING position, txid, event_id, stream_id
      )
      SELECT position, txid, event_id, stream_id FROM ev
      """;

  /**
   * The batch when every append creates its stream (fresh ids: client_credentials tokens, codes):
   * plain inserts of the stream heads and the events, with no {@code ON CONFLICT}. An insert with
   * {@code ON CONFLICT} is a speculative insertion in PostgreSQL: one more index probe per row
   * before the insert and one more WAL record (its confirmation) after it, for the stream head and
   * for every projected row. Here a conflict, which fresh random ids all but never meet, makes the
   * whole transaction fail with a unique violation instead; it is rolled back and its appends are
   * decided again through {@link #LOCK_HEADS} and {@link #WRITE_BATCH}, which fail only the append
   * whose stream exists (see {@link #writeNew}).
   */
  private static final String WRITE_NEW_HEADS =
      """
      WITH s AS (
        INSERT INTO streams (stream_id, version, last_hash)
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
      )""";

  private static final String WRITE_NEW_EVENTS =
      """
      INSERT INTO events (event_id, stream_id, version, type, payload, metadata, recorded_at, prev_hash, hash)
      SELECT e.event_id, e.stream_id, e.version, e.type, e.payload::jsonb, e.metadata::jsonb, $12, e.prev_hash, e.hash
      FROM unnest($4::uuid[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::bytea[], $11::bytea[])
        WITH ORDINALITY AS e(event_id, stream_id, version, type, payload, metadata, prev_hash, hash, ord)
      ORDER BY e.ord
      RETURNING position, txid, event_id
      """;

  private static final String WRITE_NEW = WRITE_NEW_HEADS + "\n" + WRITE_NEW_EVENTS;

  /** How many parameters {@link #WRITE_NEW} takes: its projections' inserts' are numbered after. */
  private static final int WRITE_NEW_PARAMETERS = 12;

  private static final Pattern PARAMETER = Pattern.compile("\\$(\\d+)");

  /** {@link #folded} statements by their projections' inserts, made once each (few kinds). */
  private final Map<List<String>, String> foldedSql = new HashMap<>();

  private static final int MAX_FOLDED_SQL = 64;

  /** SQLSTATE of a unique violation. */
  private static final String UNIQUE_VIOLATION = "23505";

  private static final String READ_STREAM =
      "SELECT " + COLUMNS + " FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version";

  /** Only transactions older than the oldest one still running: see {@link GlobalPosition}. */
  private static final String READ_ALL =
      "SELECT "
          + COLUMNS
          + " FROM events WHERE (txid, position) > ($1, $2)"
          + " AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
          + " ORDER BY txid, position LIMIT $3";

  /** {@link #READ_ALL} of the types in $4 only. */
  private static final String READ_ALL_OF_TYPES =
      "SELECT "
          + COLUMNS
          + " FROM events WHERE (txid, position) > ($1, $2)"
          + " AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
          + " AND type = ANY($4) ORDER BY txid, position LIMIT $3";

  /**
   * The last readable event in commit order (not max(txid) with max(position): they may be two
   * events).
   */
  private static final String HEAD =
      "SELECT txid, position FROM events WHERE txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
          + " ORDER BY txid DESC, position DESC LIMIT 1";

  private final Vertx vertx;
  private final Pool pool;
  private final EventStoreOptions options;
  private final Context context;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final List<InlineProjection> inlineProjections = new CopyOnWriteArrayList<>();
  private final List<Consumer<List<RecordedEvent>>> commitListeners = new CopyOnWriteArrayList<>();
  private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
  private int inFlight;
  private boolean closed;
  private boolean notifyPending;
  private static final long NOTIFY_DELAY_MS = 5;

  /** The tracer of batches ({@link #traceAppends}); null when nothing traces them. */
  private volatile AppendTracing tracing;

  /**
   * NOTIFY in a transaction of its own that does not wait for its commit record to reach the disk:
   * NOTIFY gives its transaction an id, so with {@code synchronous_commit} on each one was a WAL
   * flush of its own (one every 5 ms per store, beside the group commits' flushes). It carries no
   * data, only a wake-up for followers in other processes, who also poll; the events it announces
   * were committed, durably, before it is sent. The appends' own commits stay synchronous.
   */
  static final String NOTIFY =
      "BEGIN; SET LOCAL synchronous_commit TO off; NOTIFY " + CHANNEL + "; COMMIT";

  private final AtomicLong batches = new AtomicLong();
  private final DistributionSummary batchSize;
  private final Timer batchTimer;
  private final Counter conflicts;
  private final Counter eventsCounter;

  private PgConnection listener;
  private long pollTimer = -1;
  private long reconnectTimer = -1;

  private EventStore(Vertx vertx, Pool pool, EventStoreOptions options) {
    this.vertx = Objects.requireNonNull(vertx);
    this.pool = Objects.requireNonNull(pool);
    this.options = Objects.requireNonNull(options);
    this.context = vertx.getOrCreateContext();
    var reg = options.meterRegistry();
    this.batchSize =
        DistributionSummary.builder("grantry.eventstore.append.batch.size")
            .description("Appends written per transaction (group commit)")
            .baseUnit("appends")
            .publishPercentiles(0.5, 0.99)
            .register(reg);
    this.batchTimer =
        Timer.builder("grantry.eventstore.append.batch")
            .description("Time to write and commit one batch of appends")
            .publishPercentiles(0.5, 0.99)
            .register(reg);
    this.conflicts =
        Counter.builder("grantry.eventstore.append.conflicts")
            .description("Appends refused for a wrong expected version")
            .register(reg);
    this.eventsCounter =
        Counter.builder("grantry.eventstore.append.events")
            .description("Events appended")
            .register(reg);
  }

  /** Creates a store bound to the current Vert.x context (or a new one outside any). */
  public static EventStore create(Vertx vertx, Pool pool, EventStoreOptions options) {
    return new EventStore(vertx, pool, options);
  }

  public Vertx vertx() {
    return vertx;
  }

  public Pool pool() {
    return pool;
  }

  public EventStoreOptions options() {
    return options;
  }

  /** Registers a projection written in the same transaction as every batch of appends. */
  public EventStore addInlineProjection(InlineProjection projection) {
    inlineProjections.add(Objects.requireNonNull(projection));
    return this;
  }

  /**
   * Registers a listener told of every batch this store commits, on the store's context, after the
   * commit and before any appender's future completes: what it does (e.g. dropping a cached answer
   * that a revocation makes stale) is done before the appending request is answered. It must be
   * quick and must not throw.
   */
  public EventStore addCommitListener(Consumer<List<RecordedEvent>> listener) {
    commitListeners.add(Objects.requireNonNull(listener));
    return this;
  }

  /**
   * Traces every batch of appends with {@code tracing} (see {@link AppendTracing}); null (the
   * default) traces nothing.
   */
  public EventStore traceAppends(AppendTracing tracing) {
    this.tracing = tracing;
    return this;
  }

  /** Transactions committed by this store's group commit (for metrics and tests). */
  public long batchesCommitted() {
    return batches.get();
  }

  // ---------------------------------------------------------------- append

  public Future<AppendResult> append(
      String streamId, ExpectedVersion expected, List<NewEvent> events) {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(expected, "expected");
    if (streamId.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("a stream id is not empty"));
    }
    Context caller = vertx.getOrCreateContext();
    Promise<AppendResult> promise = Promise.promise();
    Pending p = new Pending(streamId, expected, List.copyOf(events), promise);
    AppendTracing t = tracing;
    if (t != null) {
      p.origin = t.origin();
    }
    if (Vertx.currentContext() == context) {
      enqueue(p);
    } else {
      context.runOnContext(v -> enqueue(p));
    }
    if (caller == context) {
      return promise.future();
    }
    // Deliver the outcome on the caller's own context.
    Promise<AppendResult> onCaller = Promise.promise();
    promise.future().onComplete(ar -> caller.runOnContext(v -> onCaller.handle(ar)));
    return onCaller.future();
  }

  public Future<AppendResult> append(
      String streamId, ExpectedVersion expected, NewEvent... events) {
    return append(streamId, expected, List.of(events));
  }

  private void enqueue(Pending p) {
    if (closed) {
      p.promise.fail(new IllegalStateException("the event store is closed"));
      return;
    }
    queue.add(p);
    flush();
  }

  private void flush() {
    while (inFlight < options.maxInFlight() && !queue.isEmpty()) {
      int n = Math.min(queue.size(), options.maxBatchAppends());
      List<Pending> batch = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        batch.add(queue.poll());
      }
      inFlight++;
      long start = System.nanoTime();
      AppendTracing t = tracing;
      (t == null ? writeBatch(batch) : t.batch(origins(batch), () -> writeBatch(batch)))
          .onComplete(
              ar -> {
                inFlight--;
                batchTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                batchSize.record(batch.size());
                flush();
              });
    }
  }

  private static List<Object> origins(List<Pending> batch) {
    List<Object> out = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      out.add(p.origin);
    }
    return out;
  }

  private Future<Void> writeBatch(List<Pending> batch) {
    Instant now = EventHash.truncate(options.clock().instant());
    Set<String> ids = new TreeSet<>();
    for (Pending p : batch) {
      ids.add(p.streamId);
    }
    String[] streamIds = ids.toArray(String[]::new);
    // When every append creates its stream (fresh random ids: codes, client_credentials tokens),
    // there is no head to lock: see writeNew. Its retries, and every other batch, lock the heads.
    boolean allNew =
        batch.stream()
            .allMatch(p -> p.expected.equals(ExpectedVersion.NO_STREAM) && p.attempts == 0);
    if (allNew) {
      return writeNew(batch, now);
    }
    return pool.withConnection(
            conn ->
                inTransaction(
                    conn,
                    () ->
                        conn.preparedQuery(LOCK_HEADS)
                            .execute(Tuple.of(streamIds))
                            .map(
                                rows -> {
                                  Map<String, Head> locked = new HashMap<>();
                                  for (Row r : rows) {
                                    locked.put(
                                        r.getString(0),
                                        new Head(r.getLong(1), r.getBuffer(2).getBytes(), false));
                                  }
                                  return locked;
                                })
                            .compose(
                                heads -> {
                                  Plan plan = plan(batch, heads, now);
                                  if (plan.rows.isEmpty()) {
                                    return Future.succeededFuture(plan);
                                  }
                                  return conn.preparedQuery(WRITE_BATCH)
                                      .execute(plan.tuple(now))
                                      .compose(written -> plan.recorded(written, now))
                                      .compose(recorded -> applyInline(conn, recorded))
                                      .map(v -> plan);
                                })))
        .onSuccess(this::settle)
        .onFailure(err -> retryOrFail(batch, err, false))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * A batch in which every append creates its stream, on its first attempt: when the inline
   * projections need only inserts, one statement ({@link #writeFolded}); else BEGIN, {@link
   * #WRITE_NEW}, the inline projections' statements ({@link InlineProjection#applyNew}) and COMMIT
   * sent at once in one pipeline, so the batch costs one round trip instead of three (BEGIN and the
   * insert; the projections; COMMIT). Projections get the events before their positions are known
   * (position and txid 0); the appends' results carry the real ones. Any unique violation (a stream
   * that exists after all, a projected row that does) rolls the whole transaction back, and every
   * append of the batch is queued again to be decided with the stream locks and per-append conflict
   * handling: the others' events are then written, and the append whose stream exists fails with
   * {@link WrongExpectedVersionException} alone.
   */
  private Future<Void> writeNew(List<Pending> batch, Instant now) {
    Plan plan = plan(batch, Map.of(), now);
    if (plan.rows.isEmpty()) {
      settle(plan);
      return Future.succeededFuture();
    }
    List<RecordedEvent> provisional = plan.provisional(now);
    List<InlineProjection.Insert> inserts = newInserts(provisional);
    if (inserts != null) {
      return writeFolded(batch, plan, inserts, now);
    }
    return pool.withConnection(
            conn -> {
              Future<Void> begin = conn.query("BEGIN").execute().mapEmpty();
              Future<RowSet<Row>> written =
                  conn.preparedQuery(WRITE_NEW).execute(plan.newTuple(now));
              Future<Void> projected = applyInlineNew(conn, provisional);
              // COMMIT right behind the statements, not after their answers: the whole batch is one
              // round trip. When a statement failed, the transaction is aborted and PostgreSQL ends
              // it
              // at this COMMIT with a rollback (its answer is then "ROLLBACK", not an error), so
              // the
              // outcome is read from the statements first: all of them succeeded and so did COMMIT.
              // A projection that already failed here (it threw) may have sent some of its
              // statements
              // and not others: that transaction is rolled back explicitly.
              Future<Void> commit =
                  conn.query(projected.failed() ? "ROLLBACK" : "COMMIT").execute().mapEmpty();
              return Future.join(List.of(begin, written, projected, commit))
                  .transform(
                      ar -> {
                        for (Future<?> f : List.of(begin, written, projected, commit)) {
                          if (f.failed()) {
                            return Future.<Plan>failedFuture(f.cause());
                          }
                        }
                        return plan.recorded(written.result(), now).map(plan);
                      });
            })
        .onSuccess(this::settle)
        .onFailure(err -> retryOrFail(batch, err, true))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * A batch of new streams whose inline projections need only inserts ({@link
   * InlineProjection#newInserts}): the stream heads, the events and the projections' rows in one
   * statement ({@link #folded}), sent on its own, so PostgreSQL runs it in an implicit transaction
   * that commits at the statement's Sync, before the answer the future completes with (the same
   * {@code synchronous_commit}: the batch is on disk before any appender hears of it). One message
   * each way and one statement, where {@link #writeNew}'s pipeline is five (BEGIN, the insert, the
   * projections' statements, COMMIT), each parsed, run and answered on its own. A failure rolls the
   * whole statement back; a unique violation is decided again as in {@link #writeNew}.
   */
  private Future<Void> writeFolded(
      List<Pending> batch, Plan plan, List<InlineProjection.Insert> inserts, Instant now) {
    Tuple params = plan.newTuple(now);
    for (InlineProjection.Insert insert : inserts) {
      for (int c = 0; c < insert.params().size(); c++) {
        params.addValue(insert.params().getValue(c));
      }
    }
    return pool.preparedQuery(folded(inserts))
        .execute(params)
        .compose(written -> plan.recorded(written, now))
        .map(recorded -> plan)
        .onSuccess(this::settle)
        .onFailure(err -> retryOrFail(batch, err, true))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * Every inline projection's inserts for a batch of new streams, or null when one of them needs
   * more than inserts (or fails to say): then they all go through {@link #applyInlineNew}.
   */
  private List<InlineProjection.Insert> newInserts(List<RecordedEvent> events) {
    List<InlineProjection.Insert> all = new ArrayList<>(2);
    for (InlineProjection p : inlineProjections) {
      List<InlineProjection.Insert> mine;
      try {
        mine = p.newInserts(events);
      } catch (RuntimeException e) {
        return null; // applyNew will meet it again, and fail the batch as before
      }
      if (mine == null) {
        return null;
      }
      all.addAll(mine);
    }
    return all;
  }

  /**
   * {@link #WRITE_NEW} with each insert as a data-modifying {@code WITH} clause of its own, its
   * parameters renumbered to follow the ones before it.
   */
  private String folded(List<InlineProjection.Insert> inserts) {
    if (inserts.isEmpty()) {
      return WRITE_NEW;
    }
    List<String> key = new ArrayList<>(inserts.size());
    for (InlineProjection.Insert insert : inserts) {
      key.add(insert.sql());
    }
    String known = foldedSql.get(key);
    if (known != null) {
      return known;
    }
    StringBuilder sql = new StringBuilder(WRITE_NEW_HEADS);
    int offset = WRITE_NEW_PARAMETERS;
    for (int i = 0; i < inserts.size(); i++) {
      InlineProjection.Insert insert = inserts.get(i);
      int shift = offset;
      sql.append(", p")
          .append(i)
          .append(" AS (\n  ")
          .append(
              PARAMETER
                  .matcher(insert.sql())
                  .replaceAll(m -> "\\$" + (Integer.parseInt(m.group(1)) + shift)))
          .append("\n)");
      offset += insert.params().size();
    }
    String made = sql.append('\n').append(WRITE_NEW_EVENTS).toString();
    if (foldedSql.size() < MAX_FOLDED_SQL) {
      foldedSql.put(List.copyOf(key), made);
    }
    return made;
  }

  /**
   * Every inline projection's statements for a batch of new streams, sent at once (see {@link
   * #writeNew}).
   */
  private Future<Void> applyInlineNew(SqlConnection conn, List<RecordedEvent> events) {
    List<Future<Void>> sent = new ArrayList<>(inlineProjections.size());
    for (InlineProjection p : inlineProjections) {
      Future<Void> f;
      try {
        f = p.applyNew(conn, events);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      sent.add(f);
    }
    return Future.all(sent).mapEmpty();
  }

  /**
   * Runs {@code work} in a transaction of its own on {@code conn}, sending BEGIN together with the
   * work's first statement instead of waiting for BEGIN's answer first (vertx-sql-client's {@code
   * withTransaction} waits): a batch of fresh streams (client_credentials tokens, codes) then costs
   * three round trips (BEGIN and the insert; the inline projections; COMMIT) instead of four or
   * more. COMMIT is sent only after every statement of the work succeeded; on any failure the
   * transaction is rolled back before the connection goes back to the pool. A failed BEGIN fails
   * the statements sent after it, so the work cannot run outside the transaction unnoticed: its
   * result is used only when BEGIN succeeded too.
   */
  private static <T> Future<T> inTransaction(SqlConnection conn, Supplier<Future<T>> work) {
    Future<Void> begin = conn.query("BEGIN").execute().mapEmpty();
    Future<T> done;
    try {
      done = work.get();
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    Future<T> result = done;
    return Future.join(begin, result)
        .transform(
            ar -> {
              if (ar.succeeded()) {
                return conn.query("COMMIT").execute().map(r -> result.result());
              }
              Throwable cause = begin.failed() ? begin.cause() : result.cause();
              return conn.query("ROLLBACK")
                  .execute()
                  .transform(ignored -> Future.<T>failedFuture(cause));
            });
  }

  private Future<Void> applyInline(SqlConnection conn, List<RecordedEvent> recorded) {
    Future<Void> f = Future.succeededFuture();
    if (recorded.isEmpty()) {
      return f;
    }
    for (InlineProjection p : inlineProjections) {
      f = f.compose(v -> p.apply(conn, recorded));
    }
    return f;
  }

  private void settle(Plan plan) {
    if (!commitListeners.isEmpty() && !plan.rows.isEmpty()) {
      List<RecordedEvent> committed = new ArrayList<>(plan.rows.size());
      for (Pending p : plan.batch) {
        if (p.conflict == null && !p.lostCreationRace) {
          committed.addAll(p.recorded);
        }
      }
      for (var listener : commitListeners) {
        try {
          listener.accept(committed);
        } catch (RuntimeException e) {
          log.warn("A commit listener failed", e);
        }
      }
    }
    long written = 0;
    for (Pending p : plan.batch) {
      if (p.conflict != null) {
        conflicts.increment();
        p.promise.fail(p.conflict);
      } else if (p.lostCreationRace) {
        // Another process created the stream between our lock and our write: decide again.
        requeue(p, new WrongExpectedVersionException(p.streamId, p.expected, -1));
      } else {
        written += p.recorded.size();
        p.promise.complete(new AppendResult(p.streamId, p.resultVersion, List.copyOf(p.recorded)));
      }
    }
    if (!plan.rows.isEmpty()) {
      batches.incrementAndGet();
      eventsCounter.increment(written);
      wakeSubscriptions();
      scheduleNotify();
    }
  }

  /**
   * Tells other processes that events were committed ({@link #NOTIFY}), at most once per {@link
   * #NOTIFY_DELAY_MS}, after the commit and outside the append transaction: NOTIFY inside it would
   * take PostgreSQL's global notification lock at every commit and serialize the group commits of
   * all servers.
   */
  private void scheduleNotify() {
    if (notifyPending || closed || !options.notifyCommits()) {
      return;
    }
    notifyPending = true;
    vertx.setTimer(
        NOTIFY_DELAY_MS,
        id ->
            pool.query(NOTIFY)
                .execute()
                .onComplete(
                    ar -> {
                      notifyPending = false;
                      if (ar.failed()) {
                        log.debug("NOTIFY failed: {}", ar.cause().toString());
                      }
                    }));
  }

  /**
   * After a failed batch: deadlocks and serialization failures are tried again; so is a unique
   * violation of a batch of new streams ({@code allNew}), which the next attempt decides append by
   * append (see {@link #writeNew}). Anything else fails every append of the batch.
   */
  private void retryOrFail(List<Pending> batch, Throwable err, boolean allNew) {
    boolean retryable =
        err instanceof PgException pg
            && ("40P01".equals(pg.getSqlState())
                || "40001".equals(pg.getSqlState())
                || allNew && UNIQUE_VIOLATION.equals(pg.getSqlState()));
    for (Pending p : batch) {
      if (retryable) {
        requeue(p, err);
      } else {
        p.promise.fail(err);
      }
    }
  }

  private void requeue(Pending p, Throwable cause) {
    p.reset();
    if (++p.attempts >= MAX_ATTEMPTS) {
      p.promise.fail(cause);
    } else {
      queue.add(p);
    }
  }

  private static Plan plan(List<Pending> batch, Map<String, Head> locked, Instant now) {
    Plan plan = new Plan(batch);
    Map<String, Head> state = new HashMap<>();
    for (Pending p : batch) {
      Head h =
          state.computeIfAbsent(
              p.streamId,
              id ->
                  locked.containsKey(id)
                      ? locked.get(id).copy()
                      : new Head(0, EventHash.genesis(), true));
      if (!p.expected.matches(h.version)) {
        p.conflict = new WrongExpectedVersionException(p.streamId, p.expected, h.version);
        continue;
      }
      for (NewEvent e : p.events) {
        long v = ++h.version;
        byte[] hash =
            EventHash.of(
                h.lastHash, p.streamId, v, e.eventId(), e.type(), now, e.payload(), e.metadata());
        plan.rows.add(new EventRow(p, e, v, h.lastHash, hash));
        h.lastHash = hash;
        h.touched = true;
      }
      p.resultVersion = h.version;
    }
    state.forEach(
        (id, h) -> {
          if (h.touched) {
            plan.heads.put(id, h);
          }
        });
    return plan;
  }

  // ---------------------------------------------------------------- read

  /** The whole stream in version order; empty when it does not exist. */
  public Future<List<RecordedEvent>> readStream(String streamId) {
    return readStream(streamId, 0);
  }

  /** The stream's events after {@code afterVersion}, in version order. */
  public Future<List<RecordedEvent>> readStream(String streamId, long afterVersion) {
    return pool.preparedQuery(READ_STREAM)
        .execute(Tuple.of(streamId, afterVersion))
        .map(
            rows -> {
              List<RecordedEvent> out = new ArrayList<>(rows.size());
              rows.forEach(r -> out.add(toEvent(r)));
              return out;
            });
  }

  /**
   * Up to {@code limit} events after {@code from} in commit order. Events of transactions still
   * running, and of any transaction newer than the oldest one running, are not returned yet.
   */
  public Future<List<RecordedEvent>> readAll(GlobalPosition from, int limit) {
    return pool.preparedQuery(READ_ALL)
        .execute(Tuple.of(from.txid(), from.position(), limit))
        .map(
            rows -> {
              List<RecordedEvent> out = new ArrayList<>(rows.size());
              rows.forEach(r -> out.add(toEvent(r)));
              return out;
            });
  }

  /**
   * As {@link #readAll(GlobalPosition, int)}, only events of {@code types}: the others are skipped
   * in the database, never sent or decoded (a replay for a projection that reads a few types).
   */
  public Future<List<RecordedEvent>> readAll(GlobalPosition from, int limit, Set<String> types) {
    return pool.preparedQuery(READ_ALL_OF_TYPES)
        .execute(Tuple.of(from.txid(), from.position(), limit, types.toArray(new String[0])))
        .map(
            rows -> {
              List<RecordedEvent> out = new ArrayList<>(rows.size());
              rows.forEach(r -> out.add(toEvent(r)));
              return out;
            });
  }

  /** The commit-order position of the newest event a reader may see now. */
  public Future<GlobalPosition> head() {
    return pool.query(HEAD)
        .execute()
        .map(
            rows -> {
              if (rows.size() == 0) {
                return GlobalPosition.START;
              }
              Row r = rows.iterator().next();
              return new GlobalPosition(r.getLong("txid"), r.getLong("position"));
            });
  }

  public static RecordedEvent toEvent(Row r) {
    Object payload = r.getValue("payload");
    Object metadata = r.getValue("metadata");
    return new RecordedEvent(
        r.getLong("position"),
        r.getLong("txid"),
        r.getUUID("event_id"),
        r.getString("stream_id"),
        r.getLong("version"),
        r.getString("type"),
        payload instanceof JsonObject o ? o : new JsonObject(String.valueOf(payload)),
        metadata instanceof JsonObject o ? o : new JsonObject(String.valueOf(metadata)),
        r.getOffsetDateTime("recorded_at").toInstant(),
        r.getBuffer("prev_hash").getBytes(),
        r.getBuffer("hash").getBytes());
  }

  // ---------------------------------------------------------------- subscribe

  /**
   * Delivers every event after {@code from} in commit order, in batches, then follows new commits:
   * woken by this store's own commits, by NOTIFY from other processes (when listen options are
   * set), and by a poll as the fallback. The next batch is read only after the handler's future
   * completes; a failed handler is retried from the same position after the poll interval.
   */
  public Subscription subscribe(
      GlobalPosition from, int batchSize, Function<List<RecordedEvent>, Future<Void>> handler) {
    Subscription s = new Subscription(from, batchSize, handler);
    context.runOnContext(
        v -> {
          subscriptions.add(s);
          ensureFollowing();
          s.wake();
        });
    return s;
  }

  private void wakeSubscriptions() {
    for (Subscription s : subscriptions) {
      s.wake();
    }
  }

  private void ensureFollowing() {
    if (pollTimer < 0) {
      pollTimer = vertx.setPeriodic(options.pollInterval().toMillis(), id -> wakeSubscriptions());
    }
    if (options.listenOptions() != null && listener == null && reconnectTimer < 0) {
      listen();
    }
  }

  private void listen() {
    PgConnection.connect(vertx, options.listenOptions())
        .compose(
            conn -> {
              conn.notificationHandler(n -> wakeSubscriptions());
              conn.closeHandler(
                  v -> {
                    listener = null;
                    if (!closed) {
                      scheduleListen();
                    }
                  });
              return conn.query("LISTEN " + CHANNEL).execute().map(conn);
            })
        .onSuccess(
            conn -> {
              listener = conn;
              // Anything committed while we were not listening is found by this catch-up.
              wakeSubscriptions();
            })
        .onFailure(
            err -> {
              log.warn(
                  "Cannot LISTEN for new events ({}); polling every {} ms until it works",
                  err.getMessage(),
                  options.pollInterval().toMillis());
              scheduleListen();
            });
  }

  private void scheduleListen() {
    if (closed || reconnectTimer >= 0) {
      return;
    }
    reconnectTimer =
        vertx.setTimer(
            1000,
            id -> {
              reconnectTimer = -1;
              if (!closed && listener == null) {
                listen();
              }
            });
  }

  /** Stops subscriptions and the listener; appends already queued still complete or fail. */
  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(
        v -> {
          closed = true;
          subscriptions.forEach(Subscription::cancel);
          if (pollTimer >= 0) {
            vertx.cancelTimer(pollTimer);
          }
          if (reconnectTimer >= 0) {
            vertx.cancelTimer(reconnectTimer);
          }
          if (listener != null) {
            listener.close().onComplete(ar -> done.complete());
          } else {
            done.complete();
          }
        });
    return done.future();
  }

  /** A live subscription; {@link #position()} is the last position its handler accepted. */
  public final class Subscription {
    private final int batchSize;
    private final Function<List<RecordedEvent>, Future<Void>> handler;
    private volatile GlobalPosition position;
    private boolean reading;
    private boolean again;
    private volatile boolean cancelled;

    private Subscription(
        GlobalPosition from, int batchSize, Function<List<RecordedEvent>, Future<Void>> handler) {
      this.position = from;
      this.batchSize = batchSize;
      this.handler = handler;
    }

    public GlobalPosition position() {
      return position;
    }

    public void cancel() {
      cancelled = true;
      subscriptions.remove(this);
    }

    void wake() {
      if (cancelled) {
        return;
      }
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      again = false;
      readAll(position, batchSize)
          .compose(
              events -> {
                if (events.isEmpty() || cancelled) {
                  return Future.succeededFuture(false);
                }
                return handler
                    .apply(events)
                    .map(
                        v -> {
                          position = events.get(events.size() - 1).commitOrder();
                          return events.size() == batchSize;
                        });
              })
          .onComplete(
              ar -> {
                reading = false;
                if (ar.failed()) {
                  log.warn("A subscription handler failed at {}; retrying", position, ar.cause());
                } else if (ar.result() || again) {
                  context.runOnContext(v -> wake());
                }
              });
    }
  }

  // ---------------------------------------------------------------- internals

  private static final class Pending {
    final String streamId;
    final ExpectedVersion expected;
    final List<NewEvent> events;
    final Promise<AppendResult> promise;
    int attempts;
    WrongExpectedVersionException conflict;
    boolean lostCreationRace;
    long resultVersion;
    final List<RecordedEvent> recorded = new ArrayList<>();

    /** What {@link AppendTracing#origin} answered for this append; null when untraced. */
    Object origin;

    Pending(
        String streamId,
        ExpectedVersion expected,
        List<NewEvent> events,
        Promise<AppendResult> promise) {
      this.streamId = streamId;
      this.expected = expected;
      this.events = events;
      this.promise = promise;
    }

    void reset() {
      conflict = null;
      lostCreationRace = false;
      resultVersion = 0;
      recorded.clear();
    }
  }

  private static final class Head {
    long version;
    byte[] lastHash;
    final boolean isNew;
    boolean touched;

    Head(long version, byte[] lastHash, boolean isNew) {
      this.version = version;
      this.lastHash = lastHash;
      this.isNew = isNew;
    }

    Head copy() {
      return new Head(version, lastHash, isNew);
    }
  }

  private record EventRow(
      Pending owner, NewEvent event, long version, byte[] prevHash, byte[] hash) {}

  private static final class Plan {
    final List<Pending> batch;
    final List<EventRow> rows = new ArrayList<>();
    final Map<String, Head> heads = new HashMap<>();

    Plan(List<Pending> batch) {
      this.batch = batch;
    }

    /**
     * The parameters of {@link #WRITE_BATCH}: the heads (with whether each is new), the events, the
     * time.
     */
    Tuple tuple(Instant now) {
      return parameters(now, true);
    }

    /** The parameters of {@link #WRITE_NEW}: the new heads, the events, the time. */
    Tuple newTuple(Instant now) {
      return parameters(now, false);
    }

    /**
     * The heads' columns (ids, versions, last hashes, and their "new" flags when asked for), the
     * events' columns, the time.
     */
    private Tuple parameters(Instant now, boolean newFlags) {
      int h = heads.size();
      String[] hIds = new String[h];
      Long[] hVersions = new Long[h];
      Buffer[] hHashes = new Buffer[h];
      Boolean[] hNew = new Boolean[h];
      int i = 0;
      for (var entry : heads.entrySet()) {
        hIds[i] = entry.getKey();
        hVersions[i] = entry.getValue().version;
        hHashes[i] = Buffer.buffer(entry.getValue().lastHash);
        hNew[i] = entry.getValue().isNew;
        i++;
      }
      Tuple out = Tuple.tuple().addValue(hIds).addValue(hVersions).addValue(hHashes);
      if (newFlags) {
        out.addValue(hNew);
      }
      Tuple events = eventColumns();
      for (int c = 0; c < events.size(); c++) {
        out.addValue(events.getValue(c));
      }
      return out.addValue(OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
    }

    /**
     * The events' columns as arrays: ids, streams, versions, types, payloads, metadata, previous
     * hashes, hashes.
     */
    private Tuple eventColumns() {
      int n = rows.size();
      UUID[] ids = new UUID[n];
      String[] streams = new String[n];
      Long[] versions = new Long[n];
      String[] types = new String[n];
      String[] payloads = new String[n];
      String[] metadata = new String[n];
      Buffer[] prev = new Buffer[n];
      Buffer[] hashes = new Buffer[n];
      for (int j = 0; j < n; j++) {
        EventRow r = rows.get(j);
        ids[j] = r.event.eventId();
        streams[j] = r.owner.streamId;
        versions[j] = r.version;
        types[j] = r.event.type();
        payloads[j] = r.event.payload().encode();
        metadata[j] = r.event.metadata().encode();
        prev[j] = Buffer.buffer(r.prevHash);
        hashes[j] = Buffer.buffer(r.hash);
      }
      return Tuple.tuple()
          .addValue(ids)
          .addValue(streams)
          .addValue(versions)
          .addValue(types)
          .addValue(payloads)
          .addValue(metadata)
          .addValue(prev)
          .addValue(hashes);
    }

    /**
     * The events as the inline projections of {@link #writeNew} see them: position and txid not
     * known yet (0).
     */
    List<RecordedEvent> provisional(Instant now) {
      List<RecordedEvent> out = new ArrayList<>(rows.size());
      for (EventRow r : rows) {
        out.add(
            new RecordedEvent(
                0,
                0,
                r.event.eventId(),
                r.owner.streamId,
                r.version,
                r.event.type(),
                r.event.payload(),
                r.event.metadata(),
                now,
                r.prevHash,
                r.hash));
      }
      return out;
    }

    /**
     * Matches the inserted rows to their appends; streams whose creation lost a race wrote nothing.
     */
    Future<List<RecordedEvent>> recorded(RowSet<Row> written, Instant now) {
      Map<UUID, long[]> positions = new HashMap<>(written.size() * 2);
      for (Row r : written) {
        positions.put(r.getUUID(2), new long[] {r.getLong(0), r.getLong(1)});
      }
      List<RecordedEvent> all = new ArrayList<>(written.size());
      for (EventRow r : rows) {
        long[] pos = positions.get(r.event.eventId());
        if (pos == null) {
          r.owner.lostCreationRace = true;
          continue;
        }
        RecordedEvent e =
            new RecordedEvent(
                pos[0],
                pos[1],
                r.event.eventId(),
                r.owner.streamId,
                r.version,
                r.event.type(),
                r.event.payload(),
                r.event.metadata(),
                now,
                r.prevHash,
                r.hash);
        r.owner.recorded.add(e);
        all.add(e);
      }
      return Future.succeededFuture(all);
    }
  }
}
