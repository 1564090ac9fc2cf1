package io.grantry.server.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What the introspection cache may answer, and what makes it forget (the server-level behaviour is
 * in TokenLifecycleTest).
 */
class IntrospectionCacheTest {
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  static final JsonObject ACTIVE = new JsonObject().put("active", true);
  final Object verifier = new Object();
  final IntrospectionCache cache = new IntrospectionCache(Duration.ofMinutes(5));

  static RecordedEvent event(String type) {
    return new RecordedEvent(
        1,
        1,
        UUID.randomUUID(),
        "grant-x",
        1,
        type,
        new JsonObject(),
        new JsonObject(),
        NOW,
        new byte[32],
        new byte[32]);
  }

  @Test
  void anActiveAnswerIsKeptForItsVerifierUntilTheTokenExpires() {
    cache.put("t", verifier, ACTIVE, NOW.plusSeconds(60), cache.generation(), System.nanoTime());
    assertThat(cache.get("t", verifier, NOW)).isSameAs(ACTIVE);
    assertThat(cache.get("other", verifier, NOW)).isNull();
    assertThat(cache.get("t", new Object(), NOW)).as("another key set").isNull();
    cache.put("t", verifier, ACTIVE, NOW.plusSeconds(60), cache.generation(), System.nanoTime());
    assertThat(cache.get("t", verifier, NOW.plusSeconds(60))).as("expired").isNull();
  }

  @Test
  void aCommittedRevocationForgetsEverything() {
    cache.put("t", verifier, ACTIVE, NOW.plusSeconds(60), cache.generation(), System.nanoTime());
    cache.onCommitted(List.of(event(ClientCredentialsIssued.TYPE)));
    assertThat(cache.get("t", verifier, NOW)).isSameAs(ACTIVE);
    cache.onCommitted(List.of(event(ClientCredentialsIssued.TYPE), event(AccessTokenRevoked.TYPE)));
    assertThat(cache.get("t", verifier, NOW)).isNull();
    cache.put("t", verifier, ACTIVE, NOW.plusSeconds(60), cache.generation(), System.nanoTime());
    cache.onCommitted(List.of(event(GrantRevoked.TYPE)));
    assertThat(cache.get("t", verifier, NOW)).isNull();
  }

  @Test
  void anAnswerLookedUpWhileARevocationCommittedIsNotKept() {
    long before = cache.generation();
    cache.onCommitted(List.of(event(AccessTokenRevoked.TYPE)));
    cache.put("t", verifier, ACTIVE, NOW.plusSeconds(60), before, System.nanoTime());
    assertThat(cache.get("t", verifier, NOW)).isNull();
  }

  @Test
  void aZeroTtlKeepsNothing() {
    IntrospectionCache off = new IntrospectionCache(Duration.ZERO);
    off.put("t", verifier, ACTIVE, NOW.plusSeconds(60), off.generation(), System.nanoTime());
    assertThat(off.get("t", verifier, NOW)).isNull();
    assertThat(off.enabled()).isFalse();
  }

  /**
   * An answer is kept for the time to live from when its read started, not from when it was put: an
   * answer from the access-token mirror, itself up to that long behind, is then never served later
   * than the bound.
   */
  @Test
  void anAnswerAsOfLongerAgoThanTheTimeToLiveIsNotServed() {
    cache.put(
        "t",
        verifier,
        ACTIVE,
        NOW.plusSeconds(60),
        cache.generation(),
        System.nanoTime() - Duration.ofMinutes(5).toNanos() - 1);
    assertThat(cache.get("t", verifier, NOW)).isNull();
  }
}
