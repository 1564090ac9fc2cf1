package io.grantry.cli.faults;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.projections.ProjectionRunner;
import io.grantry.server.GrantryServer;
import io.grantry.server.config.ConfigLoader;
import io.grantry.server.config.GrantryConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The server in a process of its own, for {@link ServerKilledTest} to kill with SIGKILL: started as
 * {@code grantry serve} starts it (settings from the GRANTRY_* environment), plus the test's
 * asynchronous projection. Prints {@code READY} when it serves; never stops by itself.
 */
public final class ChildServer {
  private ChildServer() {}

  public static void main(String[] args) throws Exception {
    PrometheusMeterRegistry registry = GrantryServer.newRegistry();
    Vertx vertx = GrantryServer.createVertx(registry);
    GrantryConfig config =
        ConfigLoader.load(vertx, System.getenv())
            .toCompletionStage()
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    GrantryServer server =
        GrantryServer.start(vertx, config, registry)
            .toCompletionStage()
            .toCompletableFuture()
            .get(120, TimeUnit.SECONDS);
    EventStore store =
        EventStore.create(
            vertx,
            server.resources().pool(),
            EventStoreOptions.defaults().withPollInterval(Duration.ofMillis(50)));
    new ProjectionRunner(store)
        .start(new StreamSummaryProjection())
        .toCompletionStage()
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    System.out.println("READY");
    System.out.flush();
    Thread.currentThread().join();
  }
}
