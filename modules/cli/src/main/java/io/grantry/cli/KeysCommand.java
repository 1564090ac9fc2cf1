package io.grantry.cli;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The signing keys through the admin API: the ring and its rotation. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Inspect and rotate signing keys (through the admin API).",
    subcommands = {KeysCommand.ListKeys.class, KeysCommand.Rotate.class})
final class KeysCommand {

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "The signing keys, newest first, with their state.")
  static final class ListKeys implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Override
    public Integer call() {
      admin.printPage(
          admin.api().get("/keys"),
          new String[] {"KID", "ALG", "STATUS", "IN_JWKS", "CREATED_AT", "RETIRE_AFTER"},
          new String[] {"kid", "alg", "status", "published", "created_at", "retire_after"},
          null);
      return 0;
    }
  }

  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description =
          "Make a new key of ALG the active one; the previous one stays in the JWKS for the overlap.")
  static final class Rotate implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Option(
        names = "--alg",
        required = true,
        description = "ES256 (access tokens) or RS256 (id_tokens).")
    String alg;

    @Option(
        names = "--overlap",
        paramLabel = "DURATION",
        description =
            "How long the previous key stays published, e.g. 24h (the default), 7d. At least the"
                + " longest access or ID token lifetime plus 1m: a shorter overlap is refused, since"
                + " tokens the previous key signed would stop verifying before they expire.")
    String overlap;

    @Override
    public Integer call() {
      JsonObject body = new JsonObject().put("alg", alg);
      if (overlap != null) {
        body.put("overlap_seconds", AdminOptions.duration("--overlap", overlap).toSeconds());
      }
      admin.printObject(admin.api().post("/keys/rotate", body));
      return 0;
    }
  }
}
