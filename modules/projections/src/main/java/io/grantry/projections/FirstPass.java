package io.grantry.projections;

import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * How a rebuild of inline projections fills their copies from the start of the ledger: its first
 * pass, the long one, while the live tables keep serving (the runner then replays what came in
 * meanwhile, locks, catches up and swaps: {@link ProjectionRunner#rebuildAll}). Without one the
 * runner replays statement by statement through its pool; module {@code grantry-rebuild} has a
 * faster one, which must give the same rows.
 */
public interface FirstPass {
  /**
   * Events per page of a replay, and per transaction into the copies. A first pass that folds pages
   * must fold these pages: within a page the statements run kind by kind ({@code
   * TokenStateProjection}), so where a page ends can matter.
   */
  int PAGE_SIZE = 1000;

  /**
   * Whether this pass writes {@code p}'s copies in bulk: then the runner creates them without
   * indexes and key constraints, and this pass must give them the live tables' before it ends.
   */
  boolean writesInBulk(Projection p);

  /**
   * Replays every event from the start of the ledger into {@code copies} (each projection's, all of
   * them empty), telling {@code progress} how many events each page held; returns the position of
   * the last event read. {@code pool} is the runner's. The projections' retention rules ({@link
   * Projection#afterReplay}) are the runner's to apply afterwards.
   */
  Future<GlobalPosition> run(
      Pool pool,
      List<Projection> projections,
      Map<Projection, TableNames> copies,
      LongConsumer progress);

  /**
   * Applies a page of events to copies as the statement replay does: {@code p}'s statements, in a
   * transaction of their own that need not wait for the disk ({@link ProjectionRebuild}'s comment
   * says why that is safe for copies).
   */
  static Future<Void> applyToCopies(
      Pool pool, Projection p, TableNames copies, List<RecordedEvent> events) {
    return pool.withTransaction(
        tx ->
            tx.query("SET LOCAL synchronous_commit = off")
                .execute()
                .compose(v -> p.apply(tx, copies, events)));
  }
}
