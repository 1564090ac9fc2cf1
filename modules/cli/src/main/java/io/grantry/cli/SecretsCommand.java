package io.grantry.cli;

import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The server's secrets for a production deployment, made here and handed to a secret store. */
@Command(
    name = "secrets",
    mixinStandardHelpOptions = true,
    description = "Make the secrets a production deployment needs.",
    subcommands = {SecretsCommand.Generate.class})
final class SecretsCommand {

  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = {
        "Print a new production set: GRANTRY_KEK (32 random bytes, base64),"
            + " GRANTRY_SECRET_PEPPER (32 random bytes, base64) and GRANTRY_ADMIN_TOKEN"
            + " (32 random bytes, base64url), as NAME=value lines (an env file for systemd or"
            + " compose) or, with --json, one JSON object.",
        "Every instance of a deployment needs the same set: generate it once and keep it in your"
            + " secret store. Nothing is written anywhere else."
      })
  static final class Generate implements Callable<Integer> {
    @Option(names = "--json", description = "One JSON object instead of NAME=value lines.")
    boolean json;

    @Override
    public Integer call() {
      Map<String, String> set = generate(new SecureRandom());
      if (json) {
        System.out.println(new JsonObject(new LinkedHashMap<>(set)).encodePrettily());
      } else {
        set.forEach((k, v) -> System.out.println(k + "=" + v));
      }
      return 0;
    }
  }

  /**
   * A new set, each value in the form the server's configuration accepts (see {@code
   * SecretSettings}): the KEK is exactly 32 bytes (AES-256), the pepper at least 32, the admin
   * token at least 24 characters. Base64 for the two keys (as {@code openssl rand -base64 32} would
   * make them); base64url without padding for the token, which travels in an HTTP header and in
   * shells.
   */
  static Map<String, String> generate(SecureRandom random) {
    Map<String, String> set = new LinkedHashMap<>();
    set.put("GRANTRY_KEK", Base64.getEncoder().encodeToString(bytes(random, 32)));
    set.put("GRANTRY_SECRET_PEPPER", Base64.getEncoder().encodeToString(bytes(random, 32)));
    set.put(
        "GRANTRY_ADMIN_TOKEN",
        Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(random, 32)));
    return set;
  }

  private static byte[] bytes(SecureRandom random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
