package io.grantry.cli;

import io.grantry.server.config.ConfigException;
import io.grantry.server.http.Failures;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code grantry} command. Without arguments it serves; its other subcommands are the
 * operator's and auditor's tools.
 */
@Command(
    name = "grantry",
    mixinStandardHelpOptions = true,
    version = "grantry 0.1.0",
    description =
        "OAuth 2.0 / OpenID Connect authorization server on an append-only ledger of grant events.",
    subcommands = {
      ServeCommand.class,
      SecretsCommand.class,
      EventsCommand.class,
      ProjectionsCommand.class,
      ClientsCommand.class,
      UsersCommand.class,
      KeysCommand.class,
      AuditCommand.class,
      WitnessCommand.class,
      ExampleApiCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Grantry implements Callable<Integer> {

  @Override
  public Integer call() {
    return new CommandLine(new ServeCommand()).execute();
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (tests call this). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new Grantry());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof CliFailure f) {
            cmd.getErr().println("grantry: " + f.getMessage());
            return f.exitCode();
          }
          cmd.getErr().println("grantry: " + CliSupport.oneLine(ex));
          return ex instanceof ConfigException
              ? CliFailure.USAGE
              : Failures.databaseUnavailable(ex) ? CliFailure.UNREACHABLE : CliFailure.FAILED;
        });
    return cl.execute(args);
  }
}
