package io.grantry.cli;

import io.grantry.server.GrantryServer;
import io.grantry.server.config.ConfigException;
import io.grantry.server.config.ConfigLoader;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.logging.LogOutput;
import io.grantry.server.tracing.Tracing;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/** Runs the server until the process is told to stop (SIGTERM or Ctrl-C), then stops it cleanly. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Run the authorization server (the default command). Settings come from GRANTRY_* environment variables.")
final class ServeCommand implements Callable<Integer> {

  @Override
  public Integer call() throws Exception {
    PrometheusMeterRegistry registry = GrantryServer.newRegistry();
    GrantryConfig config;
    // The settings are read first, on a Vert.x of their own: whether the server's Vert.x traces
    // (GRANTRY_OTEL_ENDPOINT) is decided as it is built.
    Vertx reader = Vertx.vertx();
    try {
      config = CliSupport.await(ConfigLoader.load(reader, CliSupport.env));
    } catch (ConfigException e) {
      System.err.println("grantry: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      System.err.println("grantry: cannot start: " + CliSupport.oneLine(e));
      return 1;
    } finally {
      CliSupport.await(reader.close());
    }
    // GRANTRY_LOG_LEVEL and GRANTRY_LOG_FORMAT, as checked with the rest (logback.xml reads the
    // environment variable of the level only; the configuration file may set both).
    LogOutput.apply(config.logLevel(), config.logs());
    Vertx vertx =
        GrantryServer.createVertx(
            registry, config.tracing().on() ? Tracing.otlp(config.tracing()) : null);
    GrantryServer server;
    try {
      server = CliSupport.await(GrantryServer.start(vertx, config, registry));
    } catch (ConfigException e) {
      System.err.println("grantry: " + e.getMessage());
      CliSupport.await(vertx.close());
      return 2;
    } catch (Exception e) {
      System.err.println("grantry: cannot start: " + CliSupport.oneLine(e));
      CliSupport.await(vertx.close());
      return 1;
    }
    System.out.println(
        "Grantry is serving "
            + config.issuer()
            + " on "
            + config.http().host()
            + ":"
            + config.http().port()
            + " ("
            + server.database().describe()
            + ")");
    System.out.println("  health:   " + config.issuer() + "/health/ready");
    System.out.println("  metrics:  " + config.issuer() + "/metrics");
    System.out.println(
        "  admin:    " + config.issuer() + "/admin (OpenAPI at /admin/openapi.json)");
    // Development mode only: demo credentials for this terminal (never logged).
    server.devNotes().forEach(System.out::println);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    CliSupport.await(server.stop());
                    CliSupport.await(vertx.close());
                  } catch (Exception e) {
                    System.err.println("grantry: while stopping: " + CliSupport.oneLine(e));
                  } finally {
                    stopped.countDown();
                  }
                },
                "grantry-shutdown"));
    stopped.await();
    return 0;
  }
}
