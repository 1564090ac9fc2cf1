package io.grantry.cli;

import io.grantry.resource.ResourceServerOptions;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code grantry example-api}: runs {@link ExampleApi}, a resource server protected by the kit, in
 * front of an issuer (this Grantry or another). In the CLI rather than a module of its own: it is
 * one more thing the jar an operator already has can run, next to the server it tries.
 */
@Command(
    name = "example-api",
    mixinStandardHelpOptions = true,
    description =
        "Run a small API protected by the resource-server kit: GET /notes needs notes:read, POST"
            + " /notes needs notes:write; each answers who called.")
final class ExampleApiCommand implements Callable<Integer> {
  @Option(names = "--issuer", required = true, description = "The issuer whose tokens are accepted")
  String issuer;

  @Option(
      names = "--audience",
      description = "The aud the tokens must name (default: the issuer, Grantry's default)")
  String audience;

  @Option(
      names = "--client-id",
      description = "The API's own client at the issuer, to introspect opaque tokens")
  String clientId;

  @Option(
      names = "--client-secret-env",
      defaultValue = "EXAMPLE_API_CLIENT_SECRET",
      description =
          "The environment variable holding that client's secret (default: ${DEFAULT-VALUE})")
  String clientSecretEnv;

  @Option(
      names = "--public-url",
      description =
          "The URL clients call the API at, behind a reverse proxy or TLS terminator"
              + " (https://host[:port][/prefix]): DPoP proofs' htu must name it")
  String publicUrl;

  @Option(
      names = "--dpop-nonce-secret-env",
      description =
          "Require DPoP nonces (RFC 9449 §9), derived from the base64 secret (32 bytes or more) in"
              + " this environment variable; instances with the same secret accept each other's")
  String dpopNonceSecretEnv;

  @Option(
      names = "--dpop-nonce-rotation",
      defaultValue = "30",
      description = "Seconds a DPoP nonce window lasts (default: ${DEFAULT-VALUE})")
  int dpopNonceRotation;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Listen address")
  String host;

  @Option(names = "--port", defaultValue = "8081", description = "Listen port")
  int port;

  @Override
  public Integer call() throws Exception {
    ResourceServerOptions options =
        new ResourceServerOptions(issuer, audience == null ? issuer : audience);
    if (clientId != null) {
      String secret = CliSupport.env.get(clientSecretEnv);
      if (secret == null || secret.isEmpty()) {
        throw new CliFailure(2, "--client-id needs its secret in $" + clientSecretEnv);
      }
      options.setIntrospectionClient(clientId, secret);
    }
    try {
      if (publicUrl != null) {
        options.setPublicUrl(publicUrl);
      }
      if (dpopNonceSecretEnv != null) {
        String secret = CliSupport.env.get(dpopNonceSecretEnv);
        if (secret == null || secret.isEmpty()) {
          throw new CliFailure(
              2, "--dpop-nonce-secret-env names $" + dpopNonceSecretEnv + ", which is empty");
        }
        byte[] key;
        try {
          key = java.util.Base64.getDecoder().decode(secret.strip());
        } catch (IllegalArgumentException e) {
          throw new CliFailure(2, "$" + dpopNonceSecretEnv + " is not base64");
        }
        options.setDpopNonces(key, java.time.Duration.ofSeconds(dpopNonceRotation));
      }
    } catch (IllegalArgumentException e) {
      // Never the secret: the messages name the setting only.
      throw new CliFailure(2, "example-api: " + e.getMessage());
    }
    Vertx vertx = Vertx.vertx();
    ExampleApi api;
    try {
      api = CliSupport.await(ExampleApi.start(vertx, options, host, port));
    } catch (Exception e) {
      CliSupport.await(vertx.close());
      throw new CliFailure(1, "cannot start the example API: " + CliSupport.oneLine(e));
    }
    System.out.println(
        "The example API is serving http://" + host + ":" + api.port() + " for " + issuer);
    System.out.println("  GET  /notes  needs " + ExampleApi.READ);
    System.out.println("  POST /notes  needs " + ExampleApi.WRITE);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    CliSupport.await(api.stop());
                    CliSupport.await(vertx.close());
                  } catch (Exception e) {
                    System.err.println("grantry: while stopping: " + CliSupport.oneLine(e));
                  } finally {
                    stopped.countDown();
                  }
                },
                "example-api-shutdown"));
    stopped.await();
    return 0;
  }
}
