package io.grantry.eventstore;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.pgclient.PgConnectOptions;
import java.time.Clock;
import java.time.Duration;

/**
 * Tuning and wiring of an {@link EventStore}.
 *
 * @param maxBatchAppends most appends gathered into one transaction
 * @param maxInFlight batches being written at once by one store; while they are in flight new
 *     appends queue up and form the next batch (group commit without a timer: a lone append is
 *     written at once, a crowd shares one fsync)
 * @param pollInterval how often subscriptions look for new events when no notification came
 * @param listenOptions where to LISTEN for commits of other processes; null for polling only
 * @param notifyCommits whether each committed batch is announced with NOTIFY to the subscriptions
 *     of other processes (on by default; a process whose ledger has no subscriber anywhere turns it
 *     off rather than send a NOTIFY per batch that nobody hears)
 */
public record EventStoreOptions(
    int maxBatchAppends,
    int maxInFlight,
    Duration pollInterval,
    PgConnectOptions listenOptions,
    MeterRegistry meterRegistry,
    Clock clock,
    boolean notifyCommits) {

  public EventStoreOptions {
    if (maxBatchAppends < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("maxBatchAppends and maxInFlight must be at least 1");
    }
    pollInterval = pollInterval == null ? Duration.ofMillis(500) : pollInterval;
    meterRegistry = meterRegistry == null ? new SimpleMeterRegistry() : meterRegistry;
    clock = clock == null ? Clock.systemUTC() : clock;
  }

  public static EventStoreOptions defaults() {
    return new EventStoreOptions(512, 1, Duration.ofMillis(500), null, null, null, true);
  }

  public EventStoreOptions withListenOptions(PgConnectOptions o) {
    return new EventStoreOptions(
        maxBatchAppends, maxInFlight, pollInterval, o, meterRegistry, clock, notifyCommits);
  }

  public EventStoreOptions withMeterRegistry(MeterRegistry r) {
    return new EventStoreOptions(
        maxBatchAppends, maxInFlight, pollInterval, listenOptions, r, clock, notifyCommits);
  }

  public EventStoreOptions withClock(Clock c) {
    return new EventStoreOptions(
        maxBatchAppends, maxInFlight, pollInterval, listenOptions, meterRegistry, c, notifyCommits);
  }

  public EventStoreOptions withBatching(int maxBatchAppends, int maxInFlight) {
    return new EventStoreOptions(
        maxBatchAppends,
        maxInFlight,
        pollInterval,
        listenOptions,
        meterRegistry,
        clock,
        notifyCommits);
  }

  public EventStoreOptions withCommitNotifications(boolean on) {
    return new EventStoreOptions(
        maxBatchAppends, maxInFlight, pollInterval, listenOptions, meterRegistry, clock, on);
  }

  public EventStoreOptions withPollInterval(Duration d) {
    return new EventStoreOptions(
        maxBatchAppends, maxInFlight, d, listenOptions, meterRegistry, clock, notifyCommits);
  }
}
