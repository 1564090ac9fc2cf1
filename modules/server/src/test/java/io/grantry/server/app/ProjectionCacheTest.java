package io.grantry.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The user and consent read cache: answers kept for the time to live, dropped by commits of their
 * stream, and a read that overlapped such a commit not kept. (The end-to-end behaviour, a disabled
 * user or a withdrawn consent seen by the next authorization, is in AuthorizeEndpointTest and
 * ConsentManagementTest.)
 */
class ProjectionCacheTest {
  private final AtomicLong clock = new AtomicLong();
  private final ProjectionCache<String> cache =
      new ProjectionCache<>(Duration.ofSeconds(1), id -> id.startsWith("user:"), clock::get);
  private final AtomicInteger reads = new AtomicInteger();
  private final Function<String, Future<String>> database =
      id -> {
        reads.incrementAndGet();
        return Future.succeededFuture("row of " + id + " #" + reads.get());
      };

  private static RecordedEvent committed(String streamId) {
    return new RecordedEvent(
        1,
        1,
        UUID.randomUUID(),
        streamId,
        2,
        "t",
        new JsonObject(),
        new JsonObject(),
        Instant.EPOCH,
        new byte[32],
        new byte[32]);
  }

  private String read(String id) {
    return cache.get(id, database).result();
  }

  @Test
  void anAnswerIsKeptForTheTimeToLiveThenReadAgain() {
    assertThat(read("user:a")).isEqualTo("row of user:a #1");
    clock.addAndGet(Duration.ofMillis(999).toNanos());
    assertThat(read("user:a")).isEqualTo("row of user:a #1");
    assertThat(reads).hasValue(1);
    clock.addAndGet(Duration.ofMillis(1).toNanos());
    assertThat(read("user:a")).isEqualTo("row of user:a #2");
  }

  @Test
  void aCommitOfTheStreamDropsItsAnswerAndOnlyItsAnswer() {
    read("user:a");
    read("user:b");
    cache.onCommitted(List.of(committed("grant:g1"), committed("user:a")));
    assertThat(read("user:a")).isEqualTo("row of user:a #3");
    assertThat(read("user:b")).isEqualTo("row of user:b #2");
  }

  @Test
  void commitsOfStreamsItDoesNotFollowDropNothing() {
    read("user:a");
    cache.onCommitted(List.of(committed("grant:g1"), committed("consent:a:c")));
    assertThat(read("user:a")).isEqualTo("row of user:a #1");
  }

  @Test
  void aReadUnderWayWhileACommitDropsAnswersIsNotKept() {
    Promise<String> slow = Promise.promise();
    Future<String> answer = cache.get("user:a", id -> slow.future());
    // The user is disabled and committed while the read is in flight; the read saw the old row.
    cache.onCommitted(List.of(committed("user:a")));
    slow.complete("enabled");
    assertThat(answer.result()).isEqualTo("enabled");
    assertThat(read("user:a")).isEqualTo("row of user:a #1");
  }

  @Test
  void aFailedReadIsNotKept() {
    cache.get("user:a", id -> Future.failedFuture(new IllegalStateException("database down")));
    assertThat(read("user:a")).isEqualTo("row of user:a #1");
  }

  @Test
  void withoutATimeToLiveEveryReadGoesToTheDatabase() {
    ProjectionCache<String> off = new ProjectionCache<>(Duration.ZERO, id -> true, clock::get);
    off.get("user:a", database);
    off.get("user:a", database);
    assertThat(reads).hasValue(2);
    assertThat(off.size()).isZero();
  }

  @Test
  void itNeverHoldsMoreThanItsBoundExpiredAnswersGoFirst() {
    for (int i = 0; i < ProjectionCache.MAX_ENTRIES; i++) {
      read("user:old" + i);
    }
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    read("user:new");
    assertThat(cache.size()).isEqualTo(1);
  }
}
