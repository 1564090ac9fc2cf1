package io.grantry.eventstore.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A partial export (one with an anchor, verified by {@code grantry audit verify --file}) whose file
 * holds an event of a stream first met after the anchor at version 0 or below. The event's hash
 * matches its content (the file is the attacker's: they hash what they write). The verifier reports
 * it as malformed (found by the session-4 review: it was accepted silently before a04f6f5, and then
 * thrown out of accept as an IllegalArgumentException, exit 1 instead of the tampering exit code).
 */
class PartialExportVersionTest {

  @Test
  void aStreamFirstMetAtVersionZeroInAPartialExportFailsVerificationInsteadOfThrowing() {
    for (long version : List.of(0L, -5L)) {
      LedgerVerifierTest.Builder b = new LedgerVerifierTest.Builder();
      b.events(10);
      b.checkpoint();
      RecordedEvent cp = b.events.get(b.events.size() - 1);
      Checkpoint anchor = Checkpoint.fromPayload(cp.payload());
      LedgerVerifier v = new LedgerVerifier(LedgerVerifierTest.TRUST, anchor);
      assertThat(v.failed()).isFalse();
      assertThat(v.accept(cp)).isTrue();

      byte[] prev = EventHash.genesis();
      UUID id = UUID.randomUUID();
      Instant at = Instant.parse("2026-01-01T00:00:10Z");
      JsonObject payload = new JsonObject().put("i", 1);
      JsonObject meta = new JsonObject();
      byte[] hash = EventHash.of(prev, "fresh", version, id, "test.v1", at, payload, meta);
      long n = b.n + 1;
      RecordedEvent forged =
          new RecordedEvent(
              n, 1000 + n, id, "fresh", version, "test.v1", payload, meta, at, prev, hash);

      assertThatCode(() -> v.accept(forged)).as("version " + version).doesNotThrowAnyException();
      assertThat(v.failed()).as("version " + version).isTrue();
    }
  }
}
