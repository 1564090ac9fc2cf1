package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.merkle.Frontier;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * Verifies the ledger from its events in commit order: every event's hash against its content,
 * every stream's chain (versions 1, 2, 3... in commit order, each linked to the previous hash), the
 * running digest, and every checkpoint's signature, count and digest. Stops at the first failure.
 * Pure logic: the caller feeds events from the database or from an export file.
 *
 * <p>What is pinpointed: an edited event (its hash no longer matches), a removed event that had a
 * successor in its stream (a version gap), events of one stream out of order. What only the signed
 * checkpoints can see (a removed last event of a stream, a forged event with a correctly chained
 * hash, events of different streams swapped, an event edited with its hash recomputed) is reported
 * against the range since the last good checkpoint: {@link Result#firstBad()} is then the first
 * event not yet covered by a good checkpoint, and {@link Result#detectedAt()} the checkpoint that
 * disagrees. Frequent checkpoints make that range short. A stream whose events come out of order is
 * reported as reordered once its missing version turns up later, and as a removal only if it never
 * does.
 *
 * <p>It also builds the Merkle tree over the events (RFC 9162, {@link MerkleTree}) and checks it
 * against every checkpoint that carries one: the root (signed in the checkpoint's JWS), the
 * frontier and the signed note of the tree head ({@link #noteKeys}). Pinned tree heads ({@link
 * #expect}), kept from an earlier look at the ledger, catch what no signature inside the ledger
 * can: a ledger whose newest part was cut off with its checkpoints (truncated, rolled back), or one
 * rewritten and signed again (forked).
 *
 * <p>Why one long file: verification is one pass with one running state (stream heads, digest, last
 * good checkpoint) that every check reads and updates; the checks are short methods and splitting
 * them would make that state a shared mutable object passed between files.
 */
public final class LedgerVerifier {

  /** Why verification failed. */
  public enum Problem {
    EDITED,
    REMOVED,
    INSERTED,
    REORDERED,
    BAD_SIGNATURE,
    MALFORMED,
    /** The ledger holds fewer events than a pinned tree head commits to. */
    TRUNCATED,
    /** The ledger's first events are not those a pinned tree head commits to. */
    FORKED,
    /**
     * A copy of the tree that proofs are read from (a tile's stored leaf hashes) differs from the
     * events: the events are not affected, the proofs made from that copy are.
     */
    STORED_TREE
  }

  /** The leaf hashes the server stored for complete tiles of the tree (what proofs read). */
  @FunctionalInterface
  public interface StoredTiles {
    /**
     * The stored leaf hashes of tile {@code tile}, {@value LedgerTree#TILE_BYTES} bytes, or null
     * when none are stored; asked in increasing order of tiles.
     */
    byte[] leaves(long tile) throws Exception;
  }

  /** The nodes the server stored for the perfect subtrees of a tile or more (what proofs read). */
  @FunctionalInterface
  public interface StoredNodes {
    /**
     * The stored root of the subtree over leaves {@code [index * 2^level, (index + 1) * 2^level)},
     * or null when none is stored; asked in increasing order of {@code index} for each level.
     */
    byte[] node(int level, long index) throws Exception;
  }

  /**
   * A tree head kept from an earlier look at this ledger (e.g. a copy of /ledger/checkpoint, or a
   * witness's): the ledger must extend it.
   *
   * @param what how to name it in a report (e.g. its file)
   */
  public record Pin(long size, byte[] root, String what) {}

  /**
   * @param uncovered events after the last good checkpoint: covered by their stream chains only
   */
  public record Result(
      boolean ok,
      long events,
      long streams,
      long checkpoints,
      long uncovered,
      GlobalPosition firstBad,
      GlobalPosition detectedAt,
      Problem problem,
      String reason,
      long treeSize,
      byte[] root,
      long pinsChecked) {

    /** The Merkle tree's root over all the events verified, base64; null if it was not built. */
    public String rootBase64() {
      return root == null ? null : Base64.getEncoder().encodeToString(root);
    }

    public String summary() {
      if (ok) {
        return "OK: "
            + events
            + " events in "
            + streams
            + " streams, "
            + checkpoints
            + " signed checkpoints verified"
            + (uncovered > 0
                ? "; the last " + uncovered + " events are not covered by a checkpoint yet"
                : "")
            + (pinsChecked > 0
                ? "; the ledger extends the " + pinsChecked + " pinned tree head(s)"
                : "");
      }
      return "FAILED at "
          + firstBad
          + ": "
          + problem.name().toLowerCase().replace('_', ' ')
          + ": "
          + reason
          + (detectedAt != null && !detectedAt.equals(firstBad)
              ? " (detected at " + detectedAt + ")"
              : "");
    }
  }

  private final CheckpointSignatures signatures;
  private final MessageDigest md = EventHash.sha256();
  private StreamHeads heads = new StreamHeads();
  private final History history = new History();
  private final boolean partial;
  private byte[] digest;
  private long count;
  private long events;
  private long checkpoints;
  private long archived;
  private GlobalPosition last = GlobalPosition.START;
  private GlobalPosition checkpointPosition = GlobalPosition.START;
  private byte[] checkpointDigest;
  private Result failure;
  private GlobalPosition lastCheckpointEvent;
  // The Merkle tree as of the last good checkpoint (null: unknown, a part that starts after a
  // checkpoint without a tree); leaves since are in the history, added when a checkpoint or the
  // end needs them.
  private Frontier tree;
  private Supplier<List<NoteKey>> noteKeys;
  private final List<Pin> pins = new ArrayList<>();
  private long pinsChecked;
  private Gap gap;
  // The stored tiles checked as the tree grows: the current tile's leaves and their events.
  private StoredTiles storedTiles;
  private final byte[] tileLeaves = new byte[LedgerTree.TILE_BYTES];
  private final long[] tileTxids = new long[LedgerTree.TILE];
  private final long[] tilePositions = new long[LedgerTree.TILE];
  private long tilesFrom;
  private long tilesChecked;
  private long tilesNotStored;
  private StoredNodes storedNodes;
  private Frontier.NodeSink nodeSink;
  // The history entry whose leaf the tree is appending (the last leaf of the nodes it completes).
  private int growing;
  private long nodesChecked;
  private long nodesNotStored;

  /** A stream's version gap not yet decided: the missing event may still come, out of order. */
  private record Gap(GlobalPosition at, String streamId, long version, long missing) {}

  /** Verifies from the start of the ledger. */
  public LedgerVerifier(CheckpointSignatures signatures) {
    this.signatures = signatures;
    this.partial = false;
    this.digest = Checkpoint.genesis();
    this.checkpointDigest = Checkpoint.genesis();
    this.tree = new Frontier();
  }

  /**
   * Verifies a part of the ledger that starts right after {@code anchor}'s position, trusting the
   * anchor once its signature verifies. Streams that began before the anchor are checked from their
   * first event in the part on (their link to the earlier event is covered by the digest).
   */
  public LedgerVerifier(CheckpointSignatures signatures, Checkpoint anchor) {
    this.signatures = signatures;
    this.partial = true;
    this.digest = anchor.digest().clone();
    this.count = anchor.count();
    this.last = anchor.position();
    this.checkpointPosition = anchor.position();
    this.checkpointDigest = anchor.digest().clone();
    if (anchor.tree() != null) {
      try {
        Frontier f = Frontier.fromEncoded(anchor.count(), anchor.tree().frontier());
        if (MessageDigest.isEqual(f.root(md), anchor.tree().root())) {
          this.tree = f;
          // A tile begun before the anchor does not pass through here whole.
          this.tilesFrom = (anchor.count() + LedgerTree.TILE - 1) / LedgerTree.TILE;
        }
      } catch (IllegalArgumentException e) {
        // tree stays unknown: its root is checked by the next checkpoint's signature alone
      }
    }
    String bad = signatureProblem(anchor);
    if (bad != null) {
      failure =
          fail(
              anchor.position(),
              anchor.position(),
              Problem.BAD_SIGNATURE,
              "the export's anchor checkpoint: " + bad);
    }
  }

  public long events() {
    return events;
  }

  /**
   * Trust these Ed25519 keys for the signed notes of tree heads (e.g. learned from the ledger's
   * note-keys stream, or pinned). Without it a note's text is checked against the tree, its
   * signature not.
   */
  public LedgerVerifier noteKeys(Supplier<List<NoteKey>> keys) {
    this.noteKeys = keys;
    return this;
  }

  /**
   * Check these stored tiles against the events' leaf hashes as the tree reaches the end of each
   * tile: one that differs fails verification ({@link Problem#STORED_TREE}), naming the tile and
   * the first leaf it gets wrong.
   */
  public LedgerVerifier storedTiles(StoredTiles tiles) {
    this.storedTiles = tiles;
    return this;
  }

  /**
   * Check these stored nodes against the nodes of the events' tree as the tree completes each
   * perfect subtree of {@value LedgerTree#TILE} leaves or more: one that differs fails verification
   * ({@link Problem#STORED_TREE}), naming the node, its leaves and the hash it should have.
   */
  public LedgerVerifier storedNodes(StoredNodes nodes) {
    this.storedNodes = nodes;
    this.nodeSink = this::nodeHolds;
    return this;
  }

  /** Stored nodes checked and found equal to the events' tree. */
  public long nodesChecked() {
    return nodesChecked;
  }

  /**
   * Nodes of the events' tree of a tile or more with no stored row (those after the newest tree
   * head are not stored yet).
   */
  public long nodesNotStored() {
    return nodesNotStored;
  }

  /** Complete tiles whose stored leaf hashes were checked and match the events. */
  public long tilesChecked() {
    return tilesChecked;
  }

  /** Complete tiles checked for stored leaf hashes and found to have none (not yet stored). */
  public long tilesNotStored() {
    return tilesNotStored;
  }

  /** The ledger must extend this tree head: checked when the tree reaches its size. */
  public LedgerVerifier expect(Pin pin) {
    pins.add(pin);
    pins.sort(Comparator.comparingLong(Pin::size));
    return this;
  }

  public boolean failed() {
    return failure != null;
  }

  /** Checks the next event in commit order; returns false once verification has failed. */
  public boolean accept(RecordedEvent e) {
    return accept(e, Arrays.equals(EventHash.of(e), e.hash()));
  }

  /**
   * As {@link #accept(RecordedEvent)}, with the comparison of the event's hash against its content
   * already made by the caller ({@code hashMatches}): hashing is the costly part and needs nothing
   * but the event itself, so a bulk verification runs it on every core, ahead of this sequential
   * part (chains, digest, checkpoints).
   */
  public boolean accept(RecordedEvent e, boolean hashMatches) {
    return accept(e, hashMatches, null);
  }

  /**
   * As {@link #accept(RecordedEvent, boolean)}, with the event's Merkle leaf hash ({@code
   * SHA-256(0x00 || hash)}) too computed ahead (null: computed here).
   */
  public boolean accept(RecordedEvent e, boolean hashMatches, byte[] leafHash) {
    if (failure != null) {
      return false;
    }
    GlobalPosition at = e.commitOrder();
    if (!advance(at)) {
      return false;
    }
    if (!hashMatches) {
      failure =
          fail(
              at,
              at,
              Problem.EDITED,
              "the content of " + e.streamId() + " v" + e.version() + " does not match its hash");
      return false;
    }
    if (!link(
        at,
        e.streamId(),
        e.version(),
        e.prevHash(),
        e.hash(),
        leafHash != null ? leafHash : MerkleTree.leafHash(md, e.hash()))) {
      return false;
    }
    if (Checkpoint.isCheckpoint(e)) {
      checkCheckpoint(e, at);
    }
    return failure == null;
  }

  /**
   * Checks the stub of an archived event whose content is not at hand: its place in commit order,
   * its stream chain and, through the running digest, the signed checkpoints. Only its content goes
   * unchecked (the archive file holds it). Checkpoints and keys are never archived.
   */
  public boolean acceptArchived(ArchivedEvent a) {
    if (failure != null) {
      return false;
    }
    GlobalPosition at = a.commitOrder();
    archived++;
    return advance(at)
        && link(
            at,
            a.streamId(),
            a.version(),
            a.prevHash(),
            a.hash(),
            MerkleTree.leafHash(md, a.hash()));
  }

  /**
   * Sizes the table of stream heads for the ledger's {@code streams} at once (before the first
   * event), so that it never grows (and never holds an old and a new table together) on the way.
   */
  public LedgerVerifier expectStreams(long streams) {
    if (events > 0) {
      throw new IllegalStateException("the verifier has started");
    }
    heads = new StreamHeads(streams);
    return this;
  }

  /** The heap the stream heads of a ledger of {@code streams} take, in bytes. */
  public static long headsBytes(long streams) {
    return StreamHeads.bytesFor(streams);
  }

  /** Archived events accepted by their stubs alone (content not checked). */
  public long archivedUnchecked() {
    return archived;
  }

  private boolean advance(GlobalPosition at) {
    if (at.compareTo(last) <= 0) {
      failure =
          fail(
              at,
              at,
              Problem.REORDERED,
              "it comes after " + last + " but sorts before it in commit order");
      return false;
    }
    last = at;
    events++;
    return true;
  }

  /** The stream chain and the running digest, for an event whose own hash is trusted or checked. */
  private boolean link(
      GlobalPosition at,
      String streamId,
      long version,
      byte[] prevHash,
      byte[] hash,
      byte[] leafHash) {
    if (hash == null || hash.length != 32) {
      failure = fail(at, at, Problem.MALFORMED, streamId + " v" + version + " has no 32-byte hash");
      return false;
    }
    if (version < 1) {
      failure =
          fail(at, at, Problem.MALFORMED, streamId + " v" + version + ": versions start at 1");
      return false;
    }
    long head = heads.version(streamId);
    if (head == 0) {
      if (version != 1 && !partial) {
        failure =
            fail(at, at, Problem.REMOVED, streamId + " starts at v" + version + ": v1 is missing");
        return false;
      }
      if (version == 1 && !Arrays.equals(prevHash, EventHash.genesis())) {
        failure = fail(at, at, Problem.EDITED, streamId + " v1 does not link to the genesis hash");
        return false;
      }
    } else {
      if (version <= head) {
        if (gap != null
            && gap.streamId().equals(streamId)
            && version >= gap.missing()
            && version < gap.version()) {
          // The version missing at the gap came after all: the stream's events are out of order.
          GlobalPosition where = gap.at();
          String reason =
              streamId
                  + " v"
                  + gap.version()
                  + " comes before v"
                  + version
                  + " (at "
                  + at
                  + "): the stream's events are out of commit order";
          gap = null;
          failure = fail(where, at, Problem.REORDERED, reason);
          return false;
        }
        failure =
            fail(at, at, Problem.REORDERED, streamId + " v" + version + " comes after v" + head);
        return false;
      }
      if (version > head + 1) {
        // Removed, unless the missing version turns up later (then reordered): decided then, or
        // at the end.
        if (gap == null) {
          gap = new Gap(at, streamId, version, head + 1);
        }
      } else if (!heads.linksTo(prevHash)) {
        failure =
            fail(
                at,
                at,
                Problem.EDITED,
                streamId
                    + " v"
                    + version
                    + " does not link to the hash of v"
                    + head
                    + " (an event was replaced or forged)");
        return false;
      }
    }
    heads.advance(version, hash);
    digest = Checkpoint.next(md, digest, hash);
    count++;
    history.add(at, digest, leafHash);
    return true;
  }

  /**
   * Adds the history's leaves through index {@code i} to the tree, checking each pin the tree
   * reaches on the way.
   */
  private void grow(int i) {
    if (tree == null) {
      return;
    }
    if (!pinsHold(last)) {
      return;
    }
    for (int k = 0; k <= i; k++) {
      growing = k;
      history.leafTo(
          k, tree, md, nodeSink, nodeSink != null ? LedgerTree.TILE_LEVEL : Integer.MAX_VALUE);
      if (failure != null) {
        return; // a stored node differs (nodeHolds)
      }
      if (storedTiles != null && !tileHolds(k)) {
        return;
      }
      if (!pinsHold(history.position(k))) {
        return;
      }
    }
  }

  /**
   * Keeps history entry {@code k}, the tree's newest leaf, with its tile's; at the tile's end
   * checks the tile's stored leaf hashes against them. False on a failure.
   */
  private boolean tileHolds(int k) {
    long leaf = tree.size() - 1;
    int offset = (int) (leaf % LedgerTree.TILE);
    history.leafInto(k, tileLeaves, offset * MerkleTree.HASH_LENGTH);
    tileTxids[offset] = history.txid(k);
    tilePositions[offset] = history.pos(k);
    long tile = leaf / LedgerTree.TILE;
    if (offset != LedgerTree.TILE - 1 || tile < tilesFrom) {
      return true;
    }
    GlobalPosition at = history.position(k);
    byte[] stored;
    try {
      stored = storedTiles.leaves(tile);
    } catch (Exception e) {
      failure =
          fail(
              at,
              at,
              Problem.MALFORMED,
              "the stored leaf hashes of tile " + tile + " could not be read: " + e.getMessage());
      return false;
    }
    if (stored == null) {
      tilesNotStored++;
      return true;
    }
    if (Arrays.equals(stored, tileLeaves)) {
      tilesChecked++;
      return true;
    }
    int j = 0;
    while (j < LedgerTree.TILE
        && stored.length >= (j + 1) * MerkleTree.HASH_LENGTH
        && Arrays.equals(
            stored,
            j * MerkleTree.HASH_LENGTH,
            (j + 1) * MerkleTree.HASH_LENGTH,
            tileLeaves,
            j * MerkleTree.HASH_LENGTH,
            (j + 1) * MerkleTree.HASH_LENGTH)) {
      j++;
    }
    j = Math.min(j, LedgerTree.TILE - 1);
    GlobalPosition wrong = new GlobalPosition(tileTxids[j], tilePositions[j]);
    long first = tile * LedgerTree.TILE;
    failure =
        fail(
            wrong,
            at,
            Problem.STORED_TREE,
            "tile "
                + tile
                + " of the Merkle tree (leaves "
                + first
                + " to "
                + (first + LedgerTree.TILE - 1)
                + ") as stored in ledger_tree_tile_leaves differs from the events' leaf hashes"
                + (stored.length == LedgerTree.TILE_BYTES
                    ? " from leaf " + (first + j) + ", this event, on"
                    : " (it holds " + stored.length + " bytes)")
                + ": the events are not affected, but proofs made from the stored tile would not"
                + " verify; delete the row (a restarted server stores it again from the events)");
    return false;
  }

  /**
   * Compares a node the events' tree just completed with the stored one (the sink of the tree's
   * appends, while history entry {@link #growing}'s leaf is appended).
   */
  private void nodeHolds(int level, long index, byte[] hash, int offset) {
    if (failure != null) {
      return;
    }
    GlobalPosition at = history.position(growing);
    byte[] stored;
    try {
      stored = storedNodes.node(level, index);
    } catch (Exception e) {
      failure =
          fail(
              at,
              at,
              Problem.MALFORMED,
              "the stored nodes of the Merkle tree could not be read: " + e.getMessage());
      return;
    }
    if (stored == null) {
      nodesNotStored++;
      return;
    }
    if (stored.length == MerkleTree.HASH_LENGTH
        && Arrays.equals(
            stored, 0, MerkleTree.HASH_LENGTH, hash, offset, offset + MerkleTree.HASH_LENGTH)) {
      nodesChecked++;
      return;
    }
    long first = index << level;
    failure =
        fail(
            at,
            at,
            Problem.STORED_TREE,
            "the node of the Merkle tree over leaves "
                + first
                + " to "
                + (first + (1L << level) - 1)
                + " (level "
                + level
                + ", index "
                + index
                + ") as stored in ledger_tree_nodes differs from the events' tree, whose node it"
                + " should be "
                + Base64.getEncoder()
                    .encodeToString(
                        Arrays.copyOfRange(hash, offset, offset + MerkleTree.HASH_LENGTH))
                + " (this event is its last leaf): the events are not affected, but proofs read"
                + " through it would not verify");
  }

  /** Checks the pins of the tree's present size ({@code at}: its last leaf); false on a failure. */
  private boolean pinsHold(GlobalPosition at) {
    while (!pins.isEmpty() && pins.get(0).size() <= tree.size()) {
      Pin p = pins.remove(0);
      if (p.size() < tree.size()) {
        failure =
            fail(
                at,
                at,
                Problem.MALFORMED,
                "the pinned tree head "
                    + p.what()
                    + " (size "
                    + p.size()
                    + ") lies before the start of what is verified");
        return false;
      }
      byte[] root = tree.root(md);
      if (!MessageDigest.isEqual(root, p.root())) {
        failure =
            fail(
                at,
                at,
                Problem.FORKED,
                "the first "
                    + p.size()
                    + " events are not those the pinned tree head "
                    + p.what()
                    + " commits to (its root "
                    + Base64.getEncoder().encodeToString(p.root())
                    + ", the ledger's "
                    + Base64.getEncoder().encodeToString(root)
                    + "): the history up to here was rewritten");
        return false;
      }
      pinsChecked++;
    }
    return true;
  }

  private void checkCheckpoint(RecordedEvent e, GlobalPosition at) {
    Checkpoint c;
    try {
      c = Checkpoint.fromPayload(e.payload());
    } catch (IllegalArgumentException ex) {
      failure = fail(at, at, Problem.MALFORMED, ex.getMessage());
      return;
    }
    String bad = signatureProblem(c);
    if (bad != null) {
      failure = fail(at, at, Problem.BAD_SIGNATURE, "checkpoint " + c.position() + ": " + bad);
      return;
    }
    if (partial
        && c.position().equals(checkpointPosition)
        && MessageDigest.isEqual(c.digest(), checkpointDigest)) {
      checkpoints++; // the anchor of a partial export: verified when the export was opened
      return;
    }
    GlobalPosition firstUncovered = firstUncovered(at);
    String range = " between " + checkpointPosition + " and " + c.position();
    if (!c.prevPosition().equals(checkpointPosition)
        || !MessageDigest.isEqual(c.prevDigest(), checkpointDigest)) {
      failure =
          fail(
              firstUncovered,
              at,
              Problem.REMOVED,
              "checkpoint "
                  + c.position()
                  + " follows checkpoint "
                  + c.prevPosition()
                  + ", but the last checkpoint found is "
                  + checkpointPosition
                  + " (a checkpoint or the events before it were removed or altered)");
      return;
    }
    int i = history.find(c.position());
    if (i < 0) {
      failure =
          fail(
              firstUncovered,
              at,
              Problem.REMOVED,
              "the event at "
                  + c.position()
                  + ", which the signed checkpoint covers, is not in the ledger");
      return;
    }
    long have = history.count(i, count);
    if (have != c.count()) {
      boolean more = have > c.count();
      failure =
          fail(
              firstUncovered,
              at,
              more ? Problem.INSERTED : Problem.REMOVED,
              Math.abs(have - c.count())
                  + " event(s) "
                  + (more ? "more" : "fewer")
                  + " than the signed checkpoint counts"
                  + range);
      return;
    }
    if (!MessageDigest.isEqual(history.digest(i), c.digest())) {
      failure =
          fail(
              firstUncovered,
              at,
              Problem.REORDERED,
              "the digest differs from the signed checkpoint's"
                  + range
                  + " with the same number of events: events were reordered, or edited with their hashes recomputed");
      return;
    }
    grow(i);
    if (failure != null) {
      return;
    }
    if (c.tree() != null && tree != null) {
      String wrongTree = treeProblem(c);
      if (wrongTree != null) {
        failure =
            fail(
                firstUncovered,
                at,
                Problem.MALFORMED,
                "checkpoint " + c.position() + ": " + wrongTree);
        return;
      }
    }
    checkpoints++;
    checkpointPosition = c.position();
    checkpointDigest = c.digest();
    history.dropThrough(i);
    lastCheckpointEvent = at;
  }

  /** What is wrong with a checkpoint's tree against the tree of the same events here, or null. */
  private String treeProblem(Checkpoint c) {
    byte[] root = tree.root(md);
    if (!MessageDigest.isEqual(root, c.tree().root())) {
      return "its Merkle root is not the root of the " + c.count() + " events it covers";
    }
    if (!c.tree().frontier().equals(tree.encoded())) {
      return "its Merkle frontier is not the tree's";
    }
    if (c.tree().note() == null) {
      return null;
    }
    TreeHead head;
    SignedNote note;
    try {
      note = SignedNote.parse(c.tree().note());
      head = TreeHead.parse(note.text());
    } catch (IllegalArgumentException e) {
      return "its tree head note is malformed: " + e.getMessage();
    }
    if (head.size() != c.count() || !MessageDigest.isEqual(head.root(), root)) {
      return "its tree head note says size "
          + head.size()
          + " and root "
          + head.rootBase64()
          + ", not the checkpoint's";
    }
    if (noteKeys != null) {
      try {
        NoteKey.open(note, noteKeys.get());
      } catch (IllegalArgumentException e) {
        return "its tree head note: " + e.getMessage();
      }
    }
    return null;
  }

  /**
   * The first event not covered by a good checkpoint: where damage found by the next checkpoint can
   * begin. The last good checkpoint's own event is skipped: its content is signed.
   */
  private GlobalPosition firstUncovered(GlobalPosition dflt) {
    if (history.size() == 0) {
      return dflt;
    }
    if (history.position(0).equals(lastCheckpointEvent) && history.size() > 1) {
      return history.position(1);
    }
    return history.position(0);
  }

  private String signatureProblem(Checkpoint c) {
    JsonObject claims;
    try {
      claims = signatures.verify(c.jws());
    } catch (Exception ex) {
      return "the signature does not verify with the trusted keys (" + ex.getMessage() + ")";
    }
    if (!c.matches(claims)) {
      return "the payload differs from the signed claims";
    }
    return null;
  }

  private Result fail(
      GlobalPosition firstBad, GlobalPosition detectedAt, Problem p, String reason) {
    if (gap != null) {
      // A version gap met earlier and not filled by the event turning up later: found first, and
      // named exactly (what a checkpoint finds next is only bounded by its range).
      Gap g = gap;
      gap = null;
      return new Result(
          false,
          events,
          heads.size(),
          checkpoints,
          history.size(),
          g.at(),
          g.at(),
          Problem.REMOVED,
          g.streamId()
              + " v"
              + g.version()
              + " follows v"
              + (g.missing() - 1)
              + ": v"
              + g.missing()
              + (g.version() - g.missing() > 1 ? " to v" + (g.version() - 1) + " are" : " is")
              + " missing",
          -1,
          null,
          pinsChecked);
    }
    return new Result(
        false,
        events,
        heads.size(),
        checkpoints,
        history.size(),
        firstBad,
        detectedAt,
        p,
        reason,
        -1,
        null,
        pinsChecked);
  }

  /**
   * Records a failure the caller found (e.g. an archive file that disagrees with the stubs the
   * ledger kept); the first failure wins.
   */
  public Result reject(GlobalPosition at, Problem p, String reason) {
    if (failure == null) {
      failure = fail(at, at, p, reason);
    }
    return failure;
  }

  /** The outcome after the last event was accepted. */
  public Result finish() {
    if (failure != null) {
      return failure;
    }
    if (gap != null) {
      failure = fail(gap.at(), gap.at(), Problem.REMOVED, "");
      return failure;
    }
    long uncovered = history.size();
    grow(history.size() - 1);
    if (failure != null) {
      return failure;
    }
    if (!pins.isEmpty()) {
      Pin p = pins.get(0);
      failure =
          fail(
              last,
              last,
              tree == null ? Problem.MALFORMED : Problem.TRUNCATED,
              tree == null
                  ? "the pinned tree head "
                      + p.what()
                      + " cannot be checked: the tree of this part of the ledger is not known"
                  : "the ledger holds "
                      + tree.size()
                      + " events, fewer than the "
                      + p.size()
                      + " the pinned tree head "
                      + p.what()
                      + " commits to: its newest part was removed (truncated or rolled back)");
      return failure;
    }
    history.dropThrough(history.size() - 1);
    return new Result(
        true,
        events,
        heads.size(),
        checkpoints,
        uncovered,
        null,
        null,
        null,
        null,
        tree == null ? -1 : tree.size(),
        tree == null ? null : tree.root(md),
        pinsChecked);
  }

  /** Digests of the events since the last good checkpoint, kept compact (48 bytes an event). */
  private static final class History {
    private long[] txids = new long[1024];
    private long[] positions = new long[1024];
    private byte[] digests = new byte[1024 * EventHash.LENGTH];
    private byte[] leaves = new byte[1024 * EventHash.LENGTH];
    private int start;
    private int end;

    void add(GlobalPosition p, byte[] d, byte[] leaf) {
      if (end == txids.length) {
        int n = end - start;
        int cap = n * 2 > txids.length ? txids.length * 2 : txids.length;
        long[] t = new long[cap];
        long[] ps = new long[cap];
        byte[] ds = new byte[cap * EventHash.LENGTH];
        byte[] ls = new byte[cap * EventHash.LENGTH];
        System.arraycopy(txids, start, t, 0, n);
        System.arraycopy(positions, start, ps, 0, n);
        System.arraycopy(digests, start * EventHash.LENGTH, ds, 0, n * EventHash.LENGTH);
        System.arraycopy(leaves, start * EventHash.LENGTH, ls, 0, n * EventHash.LENGTH);
        txids = t;
        positions = ps;
        digests = ds;
        leaves = ls;
        start = 0;
        end = n;
      }
      txids[end] = p.txid();
      positions[end] = p.position();
      System.arraycopy(d, 0, digests, end * EventHash.LENGTH, EventHash.LENGTH);
      System.arraycopy(leaf, 0, leaves, end * EventHash.LENGTH, EventHash.LENGTH);
      end++;
    }

    /** Copies entry {@code i}'s leaf hash to {@code out[offset..]}. */
    void leafInto(int i, byte[] out, int offset) {
      System.arraycopy(leaves, (start + i) * EventHash.LENGTH, out, offset, EventHash.LENGTH);
    }

    long txid(int i) {
      return txids[start + i];
    }

    long pos(int i) {
      return positions[start + i];
    }

    /**
     * Appends entry {@code i}'s leaf hash to {@code tree} (each entry's once, in order), telling
     * {@code sink} of the subtrees of at least {@code 2^minLevel} leaves it completes.
     */
    void leafTo(int i, Frontier tree, MessageDigest md, Frontier.NodeSink sink, int minLevel) {
      tree.append(md, leaves, (start + i) * EventHash.LENGTH, sink, minLevel);
    }

    int size() {
      return end - start;
    }

    GlobalPosition position(int i) {
      return new GlobalPosition(txids[start + i], positions[start + i]);
    }

    /** The index of {@code p}, searched from the newest back, or -1. */
    int find(GlobalPosition p) {
      for (int i = end - 1; i >= start; i--) {
        if (txids[i] == p.txid() && positions[i] == p.position()) {
          return i - start;
        }
      }
      return -1;
    }

    /** The event count after entry {@code i}, given the count after the newest entry. */
    long count(int i, long newestCount) {
      return newestCount - (size() - 1 - i);
    }

    byte[] digest(int i) {
      int o = (start + i) * EventHash.LENGTH;
      return Arrays.copyOfRange(digests, o, o + EventHash.LENGTH);
    }

    void dropThrough(int i) {
      start += i + 1;
      if (start == end) {
        start = 0;
        end = 0;
      }
    }
  }
}
