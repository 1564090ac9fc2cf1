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
import java.util.Map;
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
 * {@value LedgerTree#TILE} leaves or more, the leaf hashes of each tile it completes) is written to
 * the tree's tables as it goes ({@link LedgerTree}), and the signed tree head once the checkpoint
 * is appended. A ledger whose last checkpoint has no tree (written before there was one) gets its
 * tree built from the first event in the next run.
 *
 * <p>A tile's leaf hashes are written when the run that completes it saw all of its leaves: the
 * leaves of the tile the last run ended in are kept for the next one, so only the tile a process
 * (re)starts in, and the tiles completed before the table existed, miss theirs; {@link
 * #backfillTiles} stores those from the events, each checked against the tile's stored node.
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
  // The leaf hashes of the tile the last run ended in, and the tree's size then (-1: none kept).
  private byte[] pendingTile;
  private long pendingSize = -1;
  // Every complete tile below this one has its leaf hashes stored (as far as this process knows).
  private long filledBelow;
  private boolean backfilling;

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
              synchronized (this) {
                run.continueTile(pendingSize, pendingTile);
              }
              // A head whose row was not written (the process stopped right after the append).
              Future<Void> head =
                  prev != null && prev.tree() != null
                      ? tree.putHead(head(prev))
                      : Future.succeededFuture();
              Promise<Run> read = Promise.promise();
              head.onComplete(v -> page(run, read));
              return read.future();
            })
        .compose(
            run -> {
              synchronized (this) {
                // Kept whatever becomes of the append: a run from the same size has the same
                // leaves.
                pendingSize = run.tileKnown ? run.frontier.size() : -1;
                pendingTile = run.tileKnown ? run.tileLeaves.clone() : null;
              }
              return write(run);
            })
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
    // The leaf hashes of the tile the tree's next leaf falls in, as far as it goes; known when this
    // run saw the tile's first leaf, or the last run's were kept.
    final byte[] tileLeaves = new byte[LedgerTree.TILE_BYTES];
    boolean tileKnown;

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
      this.tileKnown = frontier.size() % LedgerTree.TILE == 0;
    }

    /** Takes the leaf hashes the last run kept if they are those of this tree's last tile. */
    void continueTile(long size, byte[] leaves) {
      if (!tileKnown && leaves != null && size == frontier.size()) {
        System.arraycopy(leaves, 0, tileLeaves, 0, leaves.length);
        tileKnown = true;
      }
    }

    void leaf(LedgerTree.Leaf l) {
      long size = frontier.size();
      int offset = (int) (size % LedgerTree.TILE);
      if (offset == 0) {
        writes.tile(size / LedgerTree.TILE, l.at());
        tileKnown = true;
      }
      byte[] leaf = MerkleTree.leafHash(md, l.hash());
      System.arraycopy(
          leaf, 0, tileLeaves, offset * MerkleTree.HASH_LENGTH, MerkleTree.HASH_LENGTH);
      frontier.append(md, leaf, 0, writes, LedgerTree.TILE_LEVEL);
      if (offset == LedgerTree.TILE - 1 && tileKnown) {
        writes.tileLeaves(size / LedgerTree.TILE, tileLeaves.clone());
      }
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

  /**
   * Stores the leaf hashes of up to {@code max} complete tiles that have none (tiles completed
   * before the table existed, or the tile a process started in), from the events, each only if the
   * root of its leaves is the tile's node the tree stored; answers how many tiles it looked at, 0
   * when none is left. Bounded and resumable: call it again until it answers 0 (what the server
   * does after its checkpoints); a stopped server starts over where the table ends. Off the token
   * path: it reads what is committed and hashes on a worker.
   */
  public Future<Integer> backfillTiles(int max) {
    synchronized (this) {
      if (backfilling) {
        return Future.succeededFuture(0);
      }
      backfilling = true;
    }
    return tree.latest()
        .compose(
            head -> {
              long complete = head.map(h -> h.size() / LedgerTree.TILE).orElse(0L);
              long from;
              synchronized (this) {
                from = filledBelow;
              }
              if (from >= complete) {
                return Future.succeededFuture(0);
              }
              return tree.tilesWithoutLeaves(from, complete, max)
                  .compose(
                      missing -> {
                        if (missing.isEmpty()) {
                          synchronized (this) {
                            filledBelow = Math.max(filledBelow, complete);
                          }
                          return Future.succeededFuture(0);
                        }
                        return backfill(missing)
                            .map(
                                v -> {
                                  synchronized (this) {
                                    filledBelow =
                                        Math.max(
                                            filledBelow,
                                            missing.get(missing.size() - 1).tile() + 1);
                                  }
                                  return missing.size();
                                });
                      });
            })
        .onComplete(
            ar -> {
              synchronized (this) {
                backfilling = false;
              }
            });
  }

  /**
   * Reads, checks and stores the leaf hashes of these tiles (in order), a run of them at a time.
   */
  private Future<Void> backfill(List<LedgerTree.TileStart> missing) {
    int end = 1;
    while (end < missing.size() && missing.get(end).tile() == missing.get(0).tile() + end) {
      end++;
    }
    List<LedgerTree.TileStart> run = missing.subList(0, end);
    List<LedgerTree.TileStart> rest = missing.subList(end, missing.size());
    int count = run.size() * LedgerTree.TILE;
    List<Long> ids = run.stream().map(LedgerTree.TileStart::tile).toList();
    return tree.tileRoots(ids)
        .compose(
            roots ->
                tree.tileLeaves(run.get(0).at(), count)
                    .compose(
                        leaves ->
                            store
                                .vertx()
                                .executeBlocking(() -> checkedTiles(run, leaves, roots), false))
                    .compose(w -> tree.write(store.pool(), w)))
        .compose(v -> rest.isEmpty() ? Future.succeededFuture() : backfill(rest));
  }

  /** The run's tiles whose leaves hash to the stored tile root, ready to be written. */
  private static LedgerTree.Writes checkedTiles(
      List<LedgerTree.TileStart> run, List<LedgerTree.Leaf> leaves, Map<Long, byte[]> roots) {
    MessageDigest md = EventHash.sha256();
    LedgerTree.Writes w = new LedgerTree.Writes();
    for (int t = 0; t < run.size(); t++) {
      long tile = run.get(t).tile();
      int first = t * LedgerTree.TILE;
      if (leaves.size() < first + LedgerTree.TILE
          || !leaves.get(first).at().equals(run.get(t).at())) {
        log.error(
            "Tile {} of the ledger's Merkle tree: its leaves are not where ledger_tree_tiles says"
                + " ({}); its leaf hashes are not stored: run `grantry audit verify`",
            tile,
            run.get(t).at());
        continue;
      }
      byte[] hashes =
          LedgerTree.leafHashes(leaves.subList(first, first + LedgerTree.TILE), LedgerTree.TILE);
      byte[] root = roots.get(tile);
      if (root == null
          || !MessageDigest.isEqual(root, MerkleTree.perfectRoot(md, hashes, 0, LedgerTree.TILE))) {
        log.error(
            "Tile {} of the ledger's Merkle tree: the root of its events' leaves is not the node"
                + " the tree stored for it; its leaf hashes are not stored: run `grantry audit"
                + " verify`",
            tile);
        continue;
      }
      w.tileLeaves(tile, hashes);
    }
    return w;
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
