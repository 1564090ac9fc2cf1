package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.WrongExpectedVersionException;
import io.grantry.eventstore.merkle.Frontier;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Writes signed checkpoints: continues the running digest and the Merkle tree from the last
 * checkpoint over the events committed since (in commit order, only what every reader can already
 * see), signs them and appends the checkpoint to the {@value Checkpoint#STREAM} stream, expecting
 * that stream's version, so two servers never fork the checkpoint chain (the loser just skips this
 * round).
 *
 * <p>The tree is maintained here, asynchronously, never on the token path: the appends that issue
 * tokens neither wait for it nor lock anything it uses. A checkpoint stores the tree's frontier, so
 * the next one hashes only the new leaves; what proofs need later (tile starts, perfect subtrees of
 * {@value LedgerTree#TILE} leaves or more) is written to the tree's tables as it goes ({@link
 * LedgerTree}), and the signed tree head once the checkpoint is appended. A ledger whose last
 * checkpoint has no tree (written before there was one) gets its tree built from the first event in
 * the next run.
 */
public final class Checkpointer {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Checkpointer.class);
  private static final int PAGE = 5000;
  private static final String LAST =
      "SELECT position, txid, event_id, stream_id, version, type, payload, metadata,"
          + " recorded_at, prev_hash, hash FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1";

  private final EventStore store;
  private final LedgerTree tree;
  private final Supplier<CheckpointSigner> signer;
  private final Supplier<NoteKey> noteKey;
  private final Clock clock;
  private boolean running;

  /** Checkpoints whose tree heads carry no signed note. */
  public Checkpointer(EventStore store, Supplier<CheckpointSigner> signer) {
    this(store, signer, () -> null, Clock.systemUTC());
  }

  /**
   * @param noteKey the Ed25519 key that signs each tree head as a note (its name is the log's
   *     origin); null from the supplier: no note
   */
  public Checkpointer(
      EventStore store, Supplier<CheckpointSigner> signer, Supplier<NoteKey> noteKey, Clock clock) {
    this.store = store;
    this.tree = new LedgerTree(store.pool());
    this.signer = signer;
    this.noteKey = noteKey;
    this.clock = clock;
  }

  public LedgerTree tree() {
    return tree;
  }

  /**
   * Writes a checkpoint if anything but checkpoints was committed since the last one (or the tree
   * was built for the first time); answers it, or empty when there was nothing new (or another run
   * or another server got there first).
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
                      ? new Run(GlobalPosition.START, 0, Checkpoint.genesis(), version, null)
                      : new Run(prev.position(), prev.count(), prev.digest(), version, prev);
              // A head whose row was not written (the process stopped right after the append).
              Future<Void> head =
                  prev != null && prev.tree() != null
                      ? tree.putHead(head(prev))
                      : Future.succeededFuture();
              Promise<Run> read = Promise.promise();
              head.onComplete(v -> page(run, read));
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

  private LedgerTree.Head head(Checkpoint c) {
    return new LedgerTree.Head(
        c.count(),
        c.position(),
        c.tree().root(),
        Frontier.fromEncoded(c.count(), c.tree().frontier()),
        c.tree().note(),
        "",
        clock.instant());
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
    // The tree, and where its last leaf is: the previous checkpoint's position, or the start of the
    // ledger when that checkpoint has no tree.
    final Frontier frontier;
    GlobalPosition treeAt;
    final boolean treeFromStart;
    final LedgerTree.Writes writes = new LedgerTree.Writes();
    final long started = System.nanoTime();

    Run(
        GlobalPosition prevPosition,
        long prevCount,
        byte[] prevDigest,
        long streamVersion,
        Checkpoint prev) {
      this.prevPosition = prevPosition;
      this.prevDigest = prevDigest;
      this.streamVersion = streamVersion;
      this.position = prevPosition;
      this.count = prevCount;
      this.digest = prevDigest;
      if (prev != null && prev.tree() != null) {
        this.frontier = Frontier.fromEncoded(prev.count(), prev.tree().frontier());
        this.treeAt = prevPosition;
        this.treeFromStart = false;
      } else {
        this.frontier = new Frontier();
        this.treeAt = GlobalPosition.START;
        this.treeFromStart = prevCount > 0;
      }
    }

    void leaf(LedgerTree.Leaf l) {
      if (frontier.size() % LedgerTree.TILE == 0) {
        writes.tile(frontier.size() / LedgerTree.TILE, l.at());
      }
      frontier.append(md, MerkleTree.leafHash(md, l.hash()), 0, writes, LedgerTree.TILE_LEVEL);
      treeAt = l.at();
      if (l.at().compareTo(prevPosition) > 0) {
        digest = Checkpoint.next(md, digest, l.hash());
        count++;
        position = l.at();
        news |= !l.checkpoint();
      }
    }
  }

  private void page(Run run, Promise<Run> done) {
    tree.leavesAfter(run.treeAt, PAGE)
        .compose(
            leaves ->
                // Three hashes per event (digest, leaf, on average one node): a few milliseconds a
                // page, on a worker rather than an event loop the HTTP verticles may share.
                store
                    .vertx()
                    .executeBlocking(
                        () -> {
                          leaves.forEach(run::leaf);
                          return leaves.size();
                        },
                        false))
        .compose(n -> tree.write(store.pool(), run.writes).map(v -> n))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
              } else if (ar.result() < PAGE) {
                done.complete(run);
              } else {
                page(run, done);
              }
            });
  }

  private static String note(NoteKey key, long size, byte[] root) {
    String text = new TreeHead(key.name(), size, root).text();
    return new SignedNote(text, List.of(key.sign(text))).encode();
  }

  private Future<Optional<Checkpoint>> write(Run run) {
    if (run.treeFromStart) {
      log.info(
          "Built the ledger's Merkle tree from its first event: {} leaves in {} ms",
          run.frontier.size(),
          (System.nanoTime() - run.started) / 1_000_000);
    }
    if (!run.news && !run.treeFromStart) {
      return Future.succeededFuture(Optional.empty());
    }
    if (run.frontier.size() != run.count) {
      // The digest counts events from its last checkpoint on; the tree counts them all. They
      // disagree only if the ledger before that checkpoint changed: sign nothing over it.
      return Future.failedFuture(
          new IllegalStateException(
              "the ledger holds "
                  + run.frontier.size()
                  + " events up to "
                  + run.position
                  + " but its checkpoints count "
                  + run.count
                  + ": run `grantry audit verify`"));
    }
    CheckpointSigner s = signer.get();
    byte[] root = run.frontier.root(run.md);
    JsonObject claims =
        Checkpoint.claims(
            run.position, run.count, run.digest, run.prevPosition, run.prevDigest, root);
    NoteKey key = noteKey.get();
    String note = key == null ? null : note(key, run.count, root);
    Checkpoint c =
        new Checkpoint(
            run.position,
            run.count,
            run.digest,
            run.prevPosition,
            run.prevDigest,
            s.kid(),
            s.sign(claims),
            new Checkpoint.Tree(root, run.frontier.encoded(), note));
    return store
        .append(
            Checkpoint.STREAM,
            ExpectedVersion.exactly(run.streamVersion),
            NewEvent.of(
                c.type(), c.toPayload(), new JsonObject().put("actor", "system:checkpointer")))
        .compose(
            r ->
                tree.putHead(
                        new LedgerTree.Head(
                            c.count(),
                            c.position(),
                            root,
                            run.frontier.copy(),
                            note,
                            "",
                            clock.instant()))
                    .map(v -> Optional.of(c)))
        .recover(
            err ->
                err instanceof WrongExpectedVersionException
                    ? Future.succeededFuture(Optional.empty())
                    : Future.failedFuture(err));
  }
}
