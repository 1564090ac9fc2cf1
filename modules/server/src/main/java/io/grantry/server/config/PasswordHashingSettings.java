package io.grantry.server.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How much Argon2id work (sign-in checks, new passwords) runs at once and how much may wait for a
 * slot. One computation holds {@value #ARGON2ID_MEMORY_KIB} KiB (19 MiB, OWASP's minimum) for tens
 * of milliseconds of CPU, so the bound is set by the heap as much as by the cores: unbounded, 24
 * parallel sign-ins once filled the old generation and stalled every token request for seconds.
 *
 * @param concurrency GRANTRY_PASSWORD_HASH_CONCURRENCY: computations running at once, on threads of
 *     their own (1 to 256; default: as many as a quarter of the heap holds, at most half the cores,
 *     at least 1, even on a heap too small for one); a value set whose computations could hold more
 *     than half the heap stops the start
 * @param queue GRANTRY_PASSWORD_HASH_QUEUE: work that may wait for a slot (0 to 100000; default: 16
 *     per slot); beyond it a sign-in is answered 503 with {@code Retry-After} at once
 * @param maxWait how long work may wait in the queue: half of GRANTRY_DB_TIMEOUT_MS, the request
 *     deadline, so that work that waited longer is refused (503) while its request can still be
 *     answered, instead of being computed for nobody
 */
public record PasswordHashingSettings(int concurrency, int queue, Duration maxWait) {
  /**
   * The memory of one Argon2id computation at the server's parameters, {@code
   * crypto.PasswordHasher.Parameters.OWASP} (m=19456 KiB; PasswordHashingTest checks they agree).
   */
  public static final int ARGON2ID_MEMORY_KIB = 19_456;

  static final int MAX_CONCURRENCY = 256;
  static final int MAX_QUEUE = 100_000;
  static final int QUEUE_PER_SLOT = 16;

  /** The share of the heap the computations in flight hold by default. */
  private static final double HEAP_SHARE = 0.25;

  /** The most they may hold when set by hand. */
  private static final double MAX_HEAP_SHARE = 0.5;

  /** Bouncy Castle's blocks are 1 KiB of longs plus an object and an array header each. */
  private static final double BLOCK_OVERHEAD = 1.05;

  public PasswordHashingSettings {
    if (concurrency < 1 || queue < 0 || maxWait.isNegative()) {
      throw new IllegalArgumentException(
          "Argon2id concurrency must be at least 1, its queue and wait at least 0");
    }
  }

  static PasswordHashingSettings read(Settings s, Duration requestDeadline) {
    Runtime rt = Runtime.getRuntime();
    return read(s, requestDeadline, rt.maxMemory(), rt.availableProcessors());
  }

  /** With the heap and cores given (the configuration's tests). */
  static PasswordHashingSettings read(
      Settings s, Duration requestDeadline, long maxHeap, int cores) {
    Optional<Long> given = s.optionalWhole("GRANTRY_PASSWORD_HASH_CONCURRENCY", 1, MAX_CONCURRENCY);
    int concurrency = given.map(Long::intValue).orElse(defaultConcurrency(maxHeap, cores));
    long needed = (long) (concurrency * bytesPerComputation());
    if (given.isPresent() && needed > maxHeap * MAX_HEAP_SHARE) {
      throw new ConfigException(
          "GRANTRY_PASSWORD_HASH_CONCURRENCY "
              + concurrency
              + " would hold "
              + (needed >> 20)
              + " MB of Argon2id memory, over half the heap ("
              + (maxHeap >> 20)
              + " MB)");
    }
    int queue =
        s.integer(
            "GRANTRY_PASSWORD_HASH_QUEUE",
            Math.min(MAX_QUEUE, QUEUE_PER_SLOT * concurrency),
            0,
            MAX_QUEUE);
    return new PasswordHashingSettings(concurrency, queue, requestDeadline.dividedBy(2));
  }

  /**
   * As many computations as a quarter of {@code maxHeap} holds, at most half of {@code cores}, at
   * least one.
   */
  static int defaultConcurrency(long maxHeap, int cores) {
    int byHeap = (int) (maxHeap * HEAP_SHARE / bytesPerComputation());
    return Math.max(1, Math.min(MAX_CONCURRENCY, Math.min(byHeap, cores / 2)));
  }

  static double bytesPerComputation() {
    return ARGON2ID_MEMORY_KIB * 1024.0 * BLOCK_OVERHEAD;
  }
}
