package io.grantry.eventstore.audit;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The verifier's bookkeeping on a ledger built in memory: long stretches between checkpoints (the
 * digest history grows and is compacted), and the order of events as they are fed. The signature
 * here is a stand-in (the claims themselves, checked for a marker); real ES256 signatures are
 * tested with the CLI.
 */
class LedgerVerifierTest {
  static final CheckpointSignatures TRUST =
      jws -> {
        JsonObject c = new JsonObject(jws);
        if (!"trusted".equals(c.getString("by"))) {
          throw new IllegalArgumentException("unknown signer");
        }
        return c;
      };

  /**
   * Builds events on 7 streams, with a checkpoint after each of {@code checkpointsAfter} events.
   */
  static final class Builder {
    final List<RecordedEvent> events = new ArrayList<>();
    final Map<String, RecordedEvent> heads = new HashMap<>();
    final MessageDigest md = EventHash.sha256();
    byte[] digest = Checkpoint.genesis();
    GlobalPosition cpPosition = GlobalPosition.START;
    byte[] cpDigest = Checkpoint.genesis();
    final Frontier tree = new Frontier();
    long n;

    void event(String stream, String type, JsonObject payload) {
      RecordedEvent head = heads.get(stream);
      long version = head == null ? 1 : head.version() + 1;
      byte[] prev = head == null ? EventHash.genesis() : head.hash();
      UUID id = UUID.randomUUID();
      Instant at = Instant.parse("2026-01-01T00:00:00Z").plusMillis(n);
      JsonObject meta = new JsonObject();
      byte[] hash = EventHash.of(prev, stream, version, id, type, at, payload, meta);
      n++;
      RecordedEvent e =
          new RecordedEvent(n, 1000 + n, id, stream, version, type, payload, meta, at, prev, hash);
      events.add(e);
      heads.put(stream, e);
      digest = Checkpoint.next(md, digest, hash);
      tree.append(md, MerkleTree.leafHash(md, hash));
    }

    void events(int count) {
      for (int i = 0; i < count; i++) {
        event("s" + (n % 7), "test.v1", new JsonObject().put("i", n));
      }
    }

    void checkpoint() {
      RecordedEvent last = events.get(events.size() - 1);
      JsonObject claims = Checkpoint.claims(last.commitOrder(), n, digest, cpPosition, cpDigest);
      JsonObject payload =
          claims.copy().put("kid", "k").put("jws", claims.copy().put("by", "trusted").encode());
      cpPosition = last.commitOrder();
      cpDigest = digest;
      event(Checkpoint.STREAM, Checkpoint.TYPE, payload);
    }

    /** A checkpoint with the Merkle tree, its head signed as a note by {@code key} (or none). */
    void checkpointWithTree(NoteKey key) {
      RecordedEvent last = events.get(events.size() - 1);
      byte[] root = tree.root(md);
      JsonObject claims =
          Checkpoint.claims(last.commitOrder(), n, digest, cpPosition, cpDigest, root);
      String note = null;
      if (key != null) {
        String text = new TreeHead(key.name(), n, root).text();
        note = new SignedNote(text, List.of(key.sign(text))).encode();
      }
      Checkpoint c =
          new Checkpoint(
              last.commitOrder(),
              n,
              digest,
              cpPosition,
              cpDigest,
              "k",
              claims.copy().put("by", "trusted").encode(),
              new Checkpoint.Tree(root, tree.encoded(), note));
      cpPosition = last.commitOrder();
      cpDigest = digest;
      event(Checkpoint.STREAM, Checkpoint.TYPE_V2, c.toPayload());
    }
  }

  static LedgerVerifier.Result verify(List<RecordedEvent> events) {
    return verify(new LedgerVerifier(TRUST), events);
  }

  static LedgerVerifier.Result verify(LedgerVerifier v, List<RecordedEvent> events) {
    for (RecordedEvent e : events) {
      if (!v.accept(e)) {
        break;
      }
    }
    return v.finish();
  }

  @Test
  void longStretchesBetweenCheckpointsVerify() {
    Builder b = new Builder();
    b.events(2500);
    b.checkpoint();
    b.events(1500);
    b.checkpoint();
    b.events(3000);
    b.checkpoint();
    LedgerVerifier.Result r = verify(b.events);
    assertThat(r.ok()).as(r.summary()).isTrue();
    assertThat(r.checkpoints()).isEqualTo(3);
    assertThat(r.events()).isEqualTo(7003);
    assertThat(r.uncovered()).isEqualTo(1);
  }

  @Test
  void aSwapFarBeforeACheckpointIsFoundAfterTheHistoryWasCompacted() {
    Builder b = new Builder();
    b.events(2500);
    b.checkpoint();
    b.events(3000);
    b.checkpoint();
    List<RecordedEvent> events = new ArrayList<>(b.events);
    // Events 3001 and 3002 are on different streams: swap their places (and their positions).
    RecordedEvent x = events.get(3000);
    RecordedEvent y = events.get(3001);
    events.set(3000, at(y, x.commitOrder()));
    events.set(3001, at(x, y.commitOrder()));
    LedgerVerifier.Result r = verify(events);
    assertThat(r.ok()).isFalse();
    assertThat(r.problem()).isEqualTo(LedgerVerifier.Problem.REORDERED);
    assertThat(r.detectedAt()).isEqualTo(events.get(events.size() - 1).commitOrder());
    // The first event after the first checkpoint's own event.
    assertThat(r.firstBad()).isEqualTo(events.get(2501).commitOrder());
  }

  @Test
  void eventsOutOfCommitOrderInAFileAreReordered() {
    Builder b = new Builder();
    b.events(10);
    List<RecordedEvent> events = new ArrayList<>(b.events);
    RecordedEvent moved = events.remove(3);
    events.add(6, moved);
    LedgerVerifier.Result r = verify(events);
    assertThat(r.ok()).isFalse();
    assertThat(r.problem()).isEqualTo(LedgerVerifier.Problem.REORDERED);
    assertThat(r.firstBad()).isEqualTo(moved.commitOrder());
  }

  @Test
  void aCheckpointWhosePayloadDiffersFromItsSignedClaimsFails() {
    Builder b = new Builder();
    b.events(5);
    b.checkpoint();
    List<RecordedEvent> events = new ArrayList<>(b.events);
    RecordedEvent cp = events.get(5);
    JsonObject p = cp.payload().copy().put("count", 4);
    byte[] hash =
        EventHash.of(
            cp.prevHash(),
            cp.streamId(),
            cp.version(),
            cp.eventId(),
            cp.type(),
            cp.recordedAt(),
            p,
            cp.metadata());
    events.set(
        5,
        new RecordedEvent(
            cp.position(),
            cp.txid(),
            cp.eventId(),
            cp.streamId(),
            cp.version(),
            cp.type(),
            p,
            cp.metadata(),
            cp.recordedAt(),
            cp.prevHash(),
            hash));
    LedgerVerifier.Result r = verify(events);
    assertThat(r.problem()).isEqualTo(LedgerVerifier.Problem.BAD_SIGNATURE);
    assertThat(r.reason()).contains("payload differs from the signed claims");
  }

  @Test
  void theTreeOfEveryCheckpointIsCheckedAndItsNoteSignatureToo() {
    NoteKey key = NoteKey.generate("grantry.test/ledger", NoteKey.ED25519);
    NoteKey verifier = NoteKey.verifier(key.verifierKey());
    Builder b = new Builder();
    b.events(300);
    b.checkpointWithTree(key);
    b.events(40);
    b.checkpointWithTree(key);
    b.events(3);
    LedgerVerifier.Result r =
        verify(new LedgerVerifier(TRUST).noteKeys(() -> List.of(verifier)), b.events);
    assertThat(r.ok()).as(r.summary()).isTrue();
    assertThat(r.checkpoints()).isEqualTo(2);
    assertThat(r.treeSize()).isEqualTo(345);
    assertThat(r.root()).isEqualTo(b.tree.root(b.md));

    // The same ledger checked with another log's key: the note does not verify.
    NoteKey stranger =
        NoteKey.verifier(NoteKey.generate("grantry.test/ledger", NoteKey.ED25519).verifierKey());
    LedgerVerifier.Result foreign =
        verify(new LedgerVerifier(TRUST).noteKeys(() -> List.of(stranger)), b.events);
    assertThat(foreign.ok()).isFalse();
    assertThat(foreign.reason()).contains("not signed by a trusted key");
  }

  @Test
  void aPinnedTreeHeadCatchesATruncatedLedgerAndARewrittenOne() {
    Builder b = new Builder();
    b.events(100);
    b.checkpointWithTree(null);
    b.events(50);
    b.checkpointWithTree(null);
    byte[] pinnedRoot = b.tree.root(b.md);
    long pinnedSize = b.n;
    b.events(10);
    LedgerVerifier.Pin pin = new LedgerVerifier.Pin(pinnedSize, pinnedRoot, "head.txt");

    LedgerVerifier.Result whole = verify(new LedgerVerifier(TRUST).expect(pin), b.events);
    assertThat(whole.ok()).as(whole.summary()).isTrue();
    assertThat(whole.summary()).contains("extends the 1 pinned tree head");

    // The newest checkpoint and everything after the previous one cut off: every remaining
    // signature still holds, only the pin sees it.
    List<RecordedEvent> cut = b.events.subList(0, 101);
    assertThat(verify(cut).ok()).isTrue();
    LedgerVerifier.Result truncated = verify(new LedgerVerifier(TRUST).expect(pin), cut);
    assertThat(truncated.problem()).isEqualTo(LedgerVerifier.Problem.TRUNCATED);
    assertThat(truncated.reason()).contains("holds 101 events, fewer than the 152");

    // A ledger rewritten from scratch and signed again by whoever holds the keys.
    Builder other = new Builder();
    other.events(100);
    other.checkpointWithTree(null);
    other.events(60);
    assertThat(verify(other.events).ok()).isTrue();
    LedgerVerifier.Result forked = verify(new LedgerVerifier(TRUST).expect(pin), other.events);
    assertThat(forked.problem()).isEqualTo(LedgerVerifier.Problem.FORKED);
    assertThat(forked.reason())
        .contains("the first 152 events are not those the pinned tree head head.txt");
  }

  @Test
  void aCheckpointWhoseTreeRootIsNotTheTreeOfItsEventsFails() {
    Builder b = new Builder();
    b.events(20);
    b.tree.append(b.md, new byte[32]); // the checkpointer's tree has one leaf more than the ledger
    b.checkpointWithTree(null);
    LedgerVerifier.Result r = verify(b.events);
    assertThat(r.ok()).isFalse();
    assertThat(r.problem()).isEqualTo(LedgerVerifier.Problem.MALFORMED);
    assertThat(r.reason()).contains("Merkle root is not the root of the 20 events");
  }

  @Test
  void twoEventsOfOneStreamSwappedAreReorderedNotRemoved() {
    Builder b = new Builder();
    b.events(30);
    List<RecordedEvent> events = new ArrayList<>(b.events);
    // s2's v2 (event 10) and v3 (event 17) trade places in commit order.
    RecordedEvent x = events.get(9);
    RecordedEvent y = events.get(16);
    assertThat(x.streamId()).isEqualTo(y.streamId());
    events.set(9, at(y, x.commitOrder()));
    events.set(16, at(x, y.commitOrder()));
    LedgerVerifier.Result r = verify(events);
    assertThat(r.problem()).isEqualTo(LedgerVerifier.Problem.REORDERED);
    assertThat(r.firstBad()).isEqualTo(x.commitOrder());
    assertThat(r.reason()).contains(x.streamId() + " v3 comes before v2");

    // The same gap with v2 gone for good is a removal, named where the gap is.
    List<RecordedEvent> removed = new ArrayList<>(b.events);
    removed.remove(9);
    LedgerVerifier.Result gone = verify(removed);
    assertThat(gone.problem()).isEqualTo(LedgerVerifier.Problem.REMOVED);
    assertThat(gone.firstBad()).isEqualTo(b.events.get(16).commitOrder());
    assertThat(gone.reason()).contains("v3 follows v1: v2 is missing");
  }

  private static RecordedEvent at(RecordedEvent e, GlobalPosition p) {
    return new RecordedEvent(
        p.position(),
        p.txid(),
        e.eventId(),
        e.streamId(),
        e.version(),
        e.type(),
        e.payload(),
        e.metadata(),
        e.recordedAt(),
        e.prevHash(),
        e.hash());
  }
}
