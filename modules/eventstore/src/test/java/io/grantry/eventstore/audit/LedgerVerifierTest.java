package io.grantry.eventstore.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
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
  }

  static LedgerVerifier.Result verify(List<RecordedEvent> events) {
    LedgerVerifier v = new LedgerVerifier(TRUST);
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
