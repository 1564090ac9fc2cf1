package io.grantry.projections;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rebuild replays the whole ledger into fresh copies of a projection's tables while the live
 * tables keep serving, then catches the copies up and swaps them in by renaming, in one
 * transaction. For an asynchronous projection that transaction holds the checkpoint row, so no live
 * batch commits meanwhile. An inline projection is written by every append, so the transaction
 * first takes {@code LOCK TABLE events IN EXCLUSIVE MODE} (readers go on; appends wait): once it is
 * held, every append that wrote to the live tables has committed, and every later one waits and
 * writes to the swapped-in tables. The catch-up then reads every committed event after the replay
 * (not only those below the readers' horizon, which an append waiting on the lock holds back), so
 * nothing committed during the rebuild is lost. Appends pause for the catch-up and the rename only:
 * the replay is run twice before the lock, the second time over what came in during the first.
 *
 * <p>Pages replayed into copies commit without waiting for the disk ({@code synchronous_commit =
 * off}): the copies are read by nobody until the swap, and the swap's transaction commits with the
 * server's durability; its commit record is flushed only after every WAL record before it, the
 * copies' rows included, so once the swap is durable they are too. A crash before the swap can lose
 * pages of copies that were never live, and a rebuild starts by dropping them anyway. It saves a
 * WAL flush (an fsync) per page.
 */
final class ProjectionRebuild {
  private static final Logger log = LoggerFactory.getLogger(ProjectionRebuild.class);

  private static final int BATCH = FirstPass.PAGE_SIZE;

  private static final String READ_COMMITTED =
      "SELECT position, txid, event_id, stream_id, version, type, payload,"
          + " metadata, recorded_at, prev_hash, hash FROM events WHERE (txid, position) > ($1, $2)"
          + " ORDER BY txid, position LIMIT $3";

  private final EventStore store;
  private final Pool pool;

  ProjectionRebuild(EventStore store) {
    this.store = store;
    this.pool = store.pool();
  }

  /**
   * Empty copies of the projection's live tables (same columns and defaults); with {@code indexes}
   * their indexes and key constraints too.
   */
  Future<TableNames> createCopies(Projection p, String suffix, boolean indexes) {
    TableNames copies = TableNames.withSuffix(p, suffix);
    Future<Void> f = Future.succeededFuture();
    for (var e : copies.all().entrySet()) {
      f =
          f.compose(v -> pool.query("DROP TABLE IF EXISTS " + e.getValue()).execute().mapEmpty())
              .compose(
                  v ->
                      pool.query(
                              "CREATE TABLE "
                                  + e.getValue()
                                  + " (LIKE "
                                  + e.getKey()
                                  + " INCLUDING ALL"
                                  + (indexes ? "" : " EXCLUDING INDEXES")
                                  + ")")
                          .execute()
                          .mapEmpty());
    }
    return f.map(copies);
  }

  /**
   * Replays every readable event after {@code from} into {@code target}, a page a transaction, then
   * applies the projection's retention rule. Returns the position of the last event applied.
   */
  Future<GlobalPosition> replay(
      Projection p, TableNames target, GlobalPosition from, LongConsumer progress) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(
        p,
        target,
        from,
        done,
        events -> FirstPass.applyToCopies(pool, p, target, events),
        // A projection that names its event types is read only those: the rest of the ledger is
        // skipped in the database (the catch-up before the swap reads everything after the last
        // one, so the checkpoint still ends at the ledger's end).
        p.eventTypes().isEmpty()
            ? at -> store.readAll(at, BATCH)
            : at -> store.readAll(at, BATCH, p.eventTypes()),
        progress);
    // The projection's retention rule (if any) applies to a replay as it did to the live tables.
    return done.future().compose(last -> p.afterReplay(pool, target).map(last));
  }

  private static void replayPage(
      Projection p,
      TableNames target,
      GlobalPosition from,
      Promise<GlobalPosition> done,
      Function<List<RecordedEvent>, Future<Void>> apply,
      Function<GlobalPosition, Future<List<RecordedEvent>>> read,
      LongConsumer progress) {
    read.apply(from)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
                return;
              }
              List<RecordedEvent> events = ar.result();
              if (events.isEmpty()) {
                done.complete(from);
                return;
              }
              GlobalPosition last = events.get(events.size() - 1).commitOrder();
              apply
                  .apply(events)
                  .onComplete(
                      applied -> {
                        if (applied.failed()) {
                          done.fail(applied.cause());
                          return;
                        }
                        progress.accept(events.size());
                        if (events.size() < BATCH) {
                          done.complete(last);
                        } else {
                          replayPage(p, target, last, done, apply, read, progress);
                        }
                      });
            });
  }

  /** Rebuilds an asynchronous projection: swapped in holding its checkpoint row. */
  Future<GlobalPosition> rebuildFollowing(
      Projection p, LongConsumer progress, Supplier<Future<Void>> beforeSwap) {
    return createCopies(p, TableNames.REBUILD_SUFFIX, true)
        .compose(
            copies ->
                replay(p, copies, GlobalPosition.START, progress)
                    .compose(upTo -> beforeSwap.get().map(upTo))
                    .compose(
                        upTo ->
                            pool.withTransaction(
                                tx ->
                                    ProjectionRunner.lockCheckpoint(tx, p.name())
                                        // Holding the checkpoint row, no live batch can commit:
                                        // catch the copies up, then swap.
                                        .compose(
                                            cp ->
                                                catchUp(
                                                    tx,
                                                    p,
                                                    copies,
                                                    upTo,
                                                    progress,
                                                    at -> store.readAll(at, BATCH)))
                                        .compose(
                                            last ->
                                                TableSwap.swap(tx, copies)
                                                    .compose(
                                                        v ->
                                                            ProjectionRunner.saveCheckpoint(
                                                                tx, p.name(), last))
                                                    .map(last)))));
  }

  /**
   * Rebuilds inline projections together: one first pass (statement replay, or {@code firstPass}
   * when given) feeds them all, and one transaction swaps them all in.
   */
  Future<GlobalPosition> rebuildInline(
      List<Projection> ps,
      FirstPass firstPass,
      LongConsumer progress,
      Supplier<Future<Void>> beforeSwap) {
    Projection all = ps.size() == 1 ? ps.get(0) : ProjectionRunner.composite(ps);
    Map<Projection, TableNames> copyNames = new LinkedHashMap<>();
    Future<Void> created = Future.succeededFuture();
    for (Projection p : ps) {
      boolean indexed = firstPass == null || !firstPass.writesInBulk(p);
      created =
          created.compose(
              v ->
                  createCopies(p, TableNames.REBUILD_SUFFIX, indexed)
                      .map(
                          t -> {
                            copyNames.put(p, t);
                            return null;
                          }));
    }
    return created.compose(
        v -> {
          TableNames copies = TableNames.union(copyNames.values());
          // Wall clock of the rebuild's steps, logged at the end.
          long[] at = new long[4];
          at[0] = System.nanoTime();
          Future<GlobalPosition> first =
              firstPass == null
                  ? replay(all, copies, GlobalPosition.START, progress)
                  : firstPass
                      .run(pool, ps, copyNames, progress)
                      .compose(
                          last -> {
                            at[1] = System.nanoTime();
                            return all.afterReplay(pool, copies).map(last);
                          });
          return first
              // What came in during the first pass, so that appends wait only for the rest.
              .compose(
                  upTo -> {
                    at[2] = System.nanoTime();
                    return replay(all, copies, upTo, progress);
                  })
              .compose(upTo -> beforeSwap.get().map(upTo))
              .compose(
                  upTo -> {
                    at[3] = System.nanoTime();
                    return pool.withTransaction(
                        tx ->
                            tx.query(
                                    "SET LOCAL lock_timeout = '"
                                        + ProjectionRunner.SWAP_LOCK_TIMEOUT.toMillis()
                                        + "ms'")
                                .execute()
                                .compose(
                                    x -> tx.query("LOCK TABLE events IN EXCLUSIVE MODE").execute())
                                .compose(
                                    x -> catchUp(tx, all, copies, upTo, progress, committedIn(tx)))
                                .compose(last -> TableSwap.swap(tx, copies).map(last)));
                  })
              .onSuccess(
                  last ->
                      log.info(
                          "Rebuild of {}: first pass {} ms (retention after it {} ms), second pass {} ms,"
                              + " catch-up under the lock and swap {} ms",
                          all.name(),
                          ((at[1] == 0 ? at[2] : at[1]) - at[0]) / 1_000_000,
                          at[1] == 0 ? 0 : (at[2] - at[1]) / 1_000_000,
                          (at[3] - at[2]) / 1_000_000,
                          (System.nanoTime() - at[3]) / 1_000_000));
        });
  }

  /** Replays into the copies in the caller's transaction {@code tx}, reading with {@code read}. */
  private static Future<GlobalPosition> catchUp(
      SqlConnection tx,
      Projection p,
      TableNames copies,
      GlobalPosition from,
      LongConsumer progress,
      Function<GlobalPosition, Future<List<RecordedEvent>>> read) {
    Promise<GlobalPosition> done = Promise.promise();
    replayPage(p, copies, from, done, events -> p.apply(tx, copies, events), read, progress);
    return done.future();
  }

  /**
   * Every committed event after a position, read in {@code tx} in commit order without the readers'
   * horizon: with the events table locked against appends, what is committed is final.
   */
  private static Function<GlobalPosition, Future<List<RecordedEvent>>> committedIn(
      SqlConnection tx) {
    return at ->
        tx.preparedQuery(READ_COMMITTED)
            .execute(Tuple.of(at.txid(), at.position(), BATCH))
            .map(
                rows -> {
                  List<RecordedEvent> out = new ArrayList<>(rows.size());
                  rows.forEach(r -> out.add(EventStore.toEvent(r)));
                  return out;
                });
  }
}
