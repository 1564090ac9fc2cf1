package io.grantry.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.config.PasswordHashingSettings;
import io.vertx.core.Future;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The discipline of Argon2id work: a fixed number at once on threads of its own, a bounded queue
 * behind them, and a {@link PasswordHashingBusyException} at once for anything beyond; sized as the
 * configuration says ({@link PasswordHashingSettings}).
 */
class PasswordHashingTest {
  static final Duration HOUR = Duration.ofHours(1);
  static final PasswordHasher CHEAP =
      new PasswordHasher(new PasswordHasher.Parameters(1024, 1, 1), new SecureRandom());

  @Test
  void workBeyondTheSlotsAndTheQueueIsRefusedAtOnce() throws Exception {
    try (PasswordHashing hashing = new PasswordHashing(CHEAP, 2, 3, HOUR)) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch started = new CountDownLatch(2);
      List<Future<String>> accepted = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        accepted.add(
            hashing.submit(
                () -> {
                  started.countDown();
                  release.await();
                  return Thread.currentThread().getName();
                }));
      }
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      Future<String> refused = hashing.hash("one too many");
      assertThat(refused.failed()).isTrue();
      assertThat(refused.cause()).isInstanceOf(PasswordHashingBusyException.class);
      assertThat(refused.cause().getStackTrace()).isEmpty();

      release.countDown();
      for (Future<String> f : accepted) {
        assertThat(f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
            .startsWith("grantry-password-hashing-");
      }
      // Free again: real work passes.
      String hash = hashing.hash("pw").toCompletionStage().toCompletableFuture().get();
      assertThat(hashing.verify("pw", hash).toCompletionStage().toCompletableFuture().get())
          .isTrue();
      assertThat(hashing.verify("wrong", hash).toCompletionStage().toCompletableFuture().get())
          .isFalse();
    }
  }

  @Test
  void withoutAQueueOnlyFreeSlotsTakeWork() throws Exception {
    try (PasswordHashing hashing = new PasswordHashing(CHEAP, 1, 0, HOUR)) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch started = new CountDownLatch(1);
      Future<Object> busy =
          hashing.submit(
              () -> {
                started.countDown();
                return release.await(10, TimeUnit.SECONDS);
              });
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(hashing.verifyUnknownUser("x").cause())
          .isInstanceOf(PasswordHashingBusyException.class);
      release.countDown();
      busy.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theSettingsSizeTheBoundByTheMemoryOfTheServersParameters() {
    // The configuration sizes the concurrency by one computation's memory without knowing the
    // hasher: the two must agree.
    assertThat(PasswordHashingSettings.ARGON2ID_MEMORY_KIB)
        .isEqualTo(PasswordHasher.Parameters.OWASP.memoryKib());
    try (PasswordHashing hashing =
        new PasswordHashing(CHEAP, new PasswordHashingSettings(3, 7, HOUR))) {
      assertThat(hashing.concurrency()).isEqualTo(3);
      assertThat(hashing.queueCapacity()).isEqualTo(7);
    }
  }

  @Test
  void workThatWaitedPastItsTimeIsRefusedInsteadOfRun() throws Exception {
    AtomicLong now = new AtomicLong();
    try (PasswordHashing hashing =
        new PasswordHashing(CHEAP, 1, 4, Duration.ofSeconds(1), now::get)) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch started = new CountDownLatch(1);
      // The first takes the free slot at once (no wait); the second waits behind it.
      Future<Object> first =
          hashing.submit(
              () -> {
                started.countDown();
                return release.await(10, TimeUnit.SECONDS);
              });
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      boolean[] ran = {false};
      Future<Object> late =
          hashing.submit(
              () -> {
                ran[0] = true;
                return null;
              });
      now.addAndGet(Duration.ofSeconds(2).toNanos()); // it waits past its time
      release.countDown();
      first.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      Throwable refused =
          late.toCompletionStage()
              .toCompletableFuture()
              .handle((v, e) -> e)
              .get(10, TimeUnit.SECONDS);
      assertThat(refused).isInstanceOf(PasswordHashingBusyException.class);
      assertThat(ran[0]).isFalse();
    }
  }
}
