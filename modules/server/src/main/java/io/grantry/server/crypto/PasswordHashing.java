package io.grantry.server.crypto;

import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.PasswordHashingSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Argon2id work (hashing a new password, checking one at sign-in) with a bounded concurrency and a
 * bounded queue, on threads of its own.
 *
 * <p><strong>Why.</strong> One Argon2id computation holds 19 MiB (OWASP's m=19456 KiB, in Bouncy
 * Castle's 1 KiB blocks) for tens of milliseconds of CPU. Run on Vert.x's shared worker pool (20
 * threads), 24 parallel sign-ins put ~400 MB of blocks in flight on a heap of 192 MB: the old
 * generation filled to 236 of 248 MB and every token request stalled for 3 s in full collections;
 * and the sign-ins held every worker thread that anything else needed. Here at most {@link
 * #concurrency()} computations run at once, sized so that their memory is at most a quarter of the
 * heap and their CPU at most half of the cores (the rest serves tokens), on threads no other work
 * uses. Further work waits in a queue of at most {@link #queueCapacity()}; beyond that it is
 * refused at once with {@link PasswordHashingBusyException} (503 with Retry-After), since waiting
 * longer would only outlast the request's deadline.
 *
 * <p>Settings: {@link PasswordHashingSettings} (GRANTRY_PASSWORD_HASH_CONCURRENCY, default the heap
 * and core bound above, at least 1; GRANTRY_PASSWORD_HASH_QUEUE, default 16 per slot), handed in by
 * the composition root.
 */
public final class PasswordHashing implements AutoCloseable {
  private final PasswordHasher hasher;
  private final int concurrency;
  private final int queueCapacity;
  private final long maxWaitNanos;
  private final LongSupplier nanoTime;
  private final ThreadPoolExecutor executor;
  private final AtomicInteger running = new AtomicInteger();
  private Counter refused;

  /**
   * @param maxWait how long work may wait in the queue; work that waited longer is not run but
   *     refused like work that found the queue full (its request has run out of time meanwhile, and
   *     computing it would only delay the work behind it)
   */
  public PasswordHashing(
      PasswordHasher hasher, int concurrency, int queueCapacity, Duration maxWait) {
    this(hasher, concurrency, queueCapacity, maxWait, System::nanoTime);
  }

  /** With {@code nanoTime} as the clock of the queue's waits. */
  PasswordHashing(
      PasswordHasher hasher,
      int concurrency,
      int queueCapacity,
      Duration maxWait,
      LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    if (concurrency < 1 || queueCapacity < 0) {
      throw new IllegalArgumentException("concurrency must be at least 1 and the queue at least 0");
    }
    this.hasher = hasher;
    this.concurrency = concurrency;
    this.queueCapacity = queueCapacity;
    this.maxWaitNanos = maxWait.toNanos();
    AtomicInteger n = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            concurrency,
            concurrency,
            60,
            TimeUnit.SECONDS,
            // A SynchronousQueue when nothing may wait: a task is taken by a free thread or
            // refused.
            queueCapacity == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queueCapacity),
            r -> {
              Thread t = new Thread(r, "grantry-password-hashing-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    this.executor.allowCoreThreadTimeOut(true);
  }

  /** Bounded as configured ({@link GrantryConfig#passwordHashing()}), checked at start. */
  public PasswordHashing(PasswordHasher hasher, PasswordHashingSettings settings) {
    this(hasher, settings.concurrency(), settings.queue(), settings.maxWait());
  }

  /** {@code grantry_password_hashing_{running,queued}} and {@code ..._refused_total}. */
  public PasswordHashing withMetrics(MeterRegistry registry) {
    Gauge.builder("grantry_password_hashing_running", running, AtomicInteger::get)
        .description("Argon2id computations running now")
        .register(registry);
    Gauge.builder("grantry_password_hashing_queued", executor, e -> e.getQueue().size())
        .description("Argon2id computations waiting for a slot")
        .register(registry);
    refused =
        Counter.builder("grantry_password_hashing_refused_total")
            .description("Argon2id work refused because every slot and the queue were full (503)")
            .register(registry);
    return this;
  }

  public int concurrency() {
    return concurrency;
  }

  public int queueCapacity() {
    return queueCapacity;
  }

  public PasswordHasher.Parameters parameters() {
    return hasher.parameters();
  }

  /** The PHC string of {@code password} with a fresh salt ({@link PasswordHasher#hash}). */
  public Future<String> hash(String password) {
    return submit(() -> hasher.hash(password));
  }

  /** Whether {@code password} matches {@code encoded} ({@link PasswordHasher#verify}). */
  public Future<Boolean> verify(String password, String encoded) {
    return submit(() -> hasher.verify(password, encoded));
  }

  /** The cost of a verification, for an unknown user ({@link PasswordHasher#verifyUnknownUser}). */
  public Future<Boolean> verifyUnknownUser(String password) {
    return submit(() -> hasher.verifyUnknownUser(password));
  }

  /**
   * Runs {@code work} on a hashing thread; the future completes on the caller's context (or on the
   * hashing thread without one), or fails at once with {@link PasswordHashingBusyException}.
   */
  <T> Future<T> submit(Callable<T> work) {
    Context context = Vertx.currentContext();
    Promise<T> promise = Promise.promise();
    long queued = nanoTime.getAsLong();
    try {
      executor.execute(
          () -> {
            T result = null;
            Throwable failure = null;
            if (nanoTime.getAsLong() - queued > maxWaitNanos) {
              // Waited past its request's time: refused, so the slot goes to fresh work.
              if (refused != null) {
                refused.increment();
              }
              failure = new PasswordHashingBusyException();
            } else {
              running.incrementAndGet();
              try {
                result = work.call();
              } catch (Throwable t) {
                failure = t;
              } finally {
                running.decrementAndGet();
              }
            }
            T value = result;
            Throwable error = failure;
            Runnable complete =
                () -> {
                  if (error == null) {
                    promise.complete(value);
                  } else {
                    promise.fail(error);
                  }
                };
            if (context == null) {
              complete.run();
            } else {
              context.runOnContext(v -> complete.run());
            }
          });
    } catch (RejectedExecutionException e) {
      if (refused != null) {
        refused.increment();
      }
      return Future.failedFuture(new PasswordHashingBusyException());
    }
    return promise.future();
  }

  @Override
  public void close() {
    executor.shutdown();
  }
}
