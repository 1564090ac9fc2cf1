package io.grantry.eventstore.bench;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.testing.TestDatabase;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Append throughput of single-event appends, each acknowledged only after its commit
 * (synchronous_commit on), with 1, 16 and 64 concurrent appenders. Not a test: run it with {@code
 * ops/bench/append.sh}. Arguments: seconds per round (default 10), rounds (default 3).
 */
public final class AppendBenchmark {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int[] concurrency = {1, 16, 64};
    TestDatabase db = TestDatabase.fresh();
    Vertx vertx = Vertx.vertx();
    Pool pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(8))
            .connectingTo(db.connectOptions())
            .using(vertx)
            .build();
    String sync =
        pool.query("SHOW synchronous_commit")
            .execute()
            .toCompletionStage()
            .toCompletableFuture()
            .get()
            .iterator()
            .next()
            .getString(0);
    String fsync =
        pool.query("SHOW fsync")
            .execute()
            .toCompletionStage()
            .toCompletableFuture()
            .get()
            .iterator()
            .next()
            .getString(0);
    System.out.printf(
        "synchronous_commit=%s fsync=%s, %d s per round, %d rounds%n",
        sync, fsync, seconds, rounds);
    int inFlight =
        Integer.getInteger("grantry.bench.inflight", EventStoreOptions.defaults().maxInFlight());
    System.out.printf("batches in flight at most: %d%n", inFlight);
    // Like an HTTP verticle: the store and its appenders live on one event loop context.
    Context context = vertx.getOrCreateContext();
    CompletableFuture<EventStore> created = new CompletableFuture<>();
    context.runOnContext(
        v ->
            created.complete(
                EventStore.create(
                    vertx, pool, EventStoreOptions.defaults().withBatching(512, inFlight))));
    EventStore store = created.get();
    CONTEXT.set(context);

    // Warm-up: JIT and connections.
    run(store, 16, 3);
    StringBuilder table =
        new StringBuilder(
            "| appenders | events/s (median) | rounds | batches/s | avg appends per batch |\n|---|---|---|---|---|\n");
    double single = 0;
    for (int c : concurrency) {
      List<double[]> results = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        long b0 = store.batchesCommitted();
        double rate = run(store, c, seconds);
        long batches = store.batchesCommitted() - b0;
        results.add(new double[] {rate, batches / (double) seconds});
        System.out.printf(
            "appenders=%d round=%d events/s=%.0f batches/s=%.0f%n",
            c, r + 1, rate, batches / (double) seconds);
      }
      results.sort((x, y) -> Double.compare(x[0], y[0]));
      double[] med = results.get(results.size() / 2);
      if (c == 1) {
        single = med[0];
      }
      List<String> all = new ArrayList<>();
      for (double[] x : results) {
        all.add(String.format("%.0f", x[0]));
      }
      Collections.sort(all);
      table.append(
          String.format(
              "| %d | %.0f | %s | %.0f | %.1f |%n",
              c, med[0], String.join(", ", all), med[1], med[0] / med[1]));
    }
    System.out.println();
    System.out.print(table);
    System.out.println();
    System.out.printf(
        "median 64 appenders / median 1 appender = %.1f%n",
        Double.parseDouble(table.toString().split("\n")[4].split("\\|")[2].trim()) / single);
    store.close().toCompletionStage().toCompletableFuture().get();
    vertx.close().toCompletionStage().toCompletableFuture().get();
    System.exit(0);
  }

  private static final AtomicReference<Context> CONTEXT = new AtomicReference<>();

  /**
   * Runs {@code appenders} loops, each appending one event and waiting for it, for {@code seconds}.
   */
  static double run(EventStore store, int appenders, int seconds) throws InterruptedException {
    AtomicLong done = new AtomicLong();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    CountDownLatch finished = new CountDownLatch(appenders);
    long start = System.nanoTime();
    Context context = CONTEXT.get();
    for (int i = 0; i < appenders; i++) {
      String stream = "bench-" + UUID.randomUUID();
      context.runOnContext(v -> loop(store, stream, deadline, done, finished));
    }
    finished.await();
    double elapsed = (System.nanoTime() - start) / 1e9;
    return done.get() / elapsed;
  }

  private static void loop(
      EventStore store, String stream, long deadline, AtomicLong done, CountDownLatch finished) {
    if (System.nanoTime() >= deadline) {
      finished.countDown();
      return;
    }
    NewEvent e =
        NewEvent.of(
            "bench.appended.v1", new JsonObject().put("client_id", "bench").put("scope", "api"));
    store
        .append(stream, ExpectedVersion.ANY, List.of(e))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                System.err.println("append failed: " + ar.cause());
                finished.countDown();
                return;
              }
              done.incrementAndGet();
              loop(store, stream, deadline, done, finished);
            });
  }
}
