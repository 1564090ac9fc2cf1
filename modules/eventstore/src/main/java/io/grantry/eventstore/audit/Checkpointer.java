package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Writes signed checkpoints: continues the running digest from the last checkpoint over the events
 * committed since (in commit order, only what every reader can already see), signs it and appends
 * it to the {@value Checkpoint#STREAM} stream, expecting that stream's version, so two servers
 * never fork the checkpoint chain (the loser just skips this round).
 */
public final class Checkpointer {
  private static final int PAGE = 5000;
  private static final String LAST =
      "SELECT position, txid, event_id, stream_id, version, type, payload, metadata,"
          + " recorded_at, prev_hash, hash FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1";

  private final EventStore store;
  private final Supplier<CheckpointSigner> signer;
  private boolean running;

  public Checkpointer(EventStore store, Supplier<CheckpointSigner> signer) {
    this.store = store;
    this.signer = signer;
  }

  /**
   * Writes a checkpoint if anything but checkpoints was committed since the last one; answers it,
   * or empty when there was nothing new (or another run or another server got there first).
   */
  public synchronized Future<Optional<Checkpoint>> checkpoint() {
    if (running) {
      return Future.succeededFuture(Optional.empty());
    }
    running = true;
    return store
        .pool()
        .preparedQuery(LAST)
        .execute(Tuple.of(Checkpoint.STREAM))
        .compose(
            rows -> {
              long version = 0;
              Checkpoint prev = null;
              for (Row r : rows) {
                RecordedEvent e = EventStore.toEvent(r);
                version = e.version();
                prev = Checkpoint.fromPayload(e.payload());
              }
              Run run =
                  prev == null
                      ? new Run(GlobalPosition.START, 0, Checkpoint.genesis(), version)
                      : new Run(prev.position(), prev.count(), prev.digest(), version);
              Promise<Run> read = Promise.promise();
              page(run, read);
              return read.future();
            })
        .compose(this::write)
        .onComplete(
            ar -> {
              synchronized (this) {
                running = false;
              }
            });
  }

  private static final class Run {
    final GlobalPosition prevPosition;
    final byte[] prevDigest;
    final long streamVersion;
    final MessageDigest md = EventHash.sha256();
    GlobalPosition position;
    long count;
    byte[] digest;
    boolean news;

    Run(GlobalPosition prevPosition, long prevCount, byte[] prevDigest, long streamVersion) {
      this.prevPosition = prevPosition;
      this.prevDigest = prevDigest;
      this.streamVersion = streamVersion;
      this.position = prevPosition;
      this.count = prevCount;
      this.digest = prevDigest;
    }
  }

  private void page(Run run, Promise<Run> done) {
    store
        .readAll(run.position, PAGE)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
                return;
              }
              List<RecordedEvent> events = ar.result();
              for (RecordedEvent e : events) {
                run.digest = Checkpoint.next(run.md, run.digest, e.hash());
                run.count++;
                run.position = e.commitOrder();
                run.news |= !Checkpoint.isCheckpoint(e);
              }
              if (events.size() < PAGE) {
                done.complete(run);
              } else {
                page(run, done);
              }
            });
  }

  private Future<Optional<Checkpoint>> write(Run run) {
    if (!run.news) {
      return Future.succeededFuture(Optional.empty());
    }
    CheckpointSigner s = signer.get();
    JsonObject claims =
        Checkpoint.claims(run.position, run.count, run.digest, run.prevPosition, run.prevDigest);
    Checkpoint c =
        new Checkpoint(
            run.position,
            run.count,
            run.digest,
            run.prevPosition,
            run.prevDigest,
            s.kid(),
            s.sign(claims));
    return store
        .append(
            Checkpoint.STREAM,
            ExpectedVersion.exactly(run.streamVersion),
            NewEvent.of(
                Checkpoint.TYPE,
                c.toPayload(),
                new JsonObject().put("actor", "system:checkpointer")))
        .map(r -> Optional.of(c))
        .recover(
            err ->
                err instanceof WrongExpectedVersionException
                    ? Future.succeededFuture(Optional.empty())
                    : Future.failedFuture(err));
  }
}
