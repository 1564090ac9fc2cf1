package io.grantry.server.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads the GRANTRY_* settings (and the standard OpenTelemetry variables of {@link
 * TracingSettings#STANDARD}): environment variables first, then the JSON file named by
 * GRANTRY_CONFIG_FILE (if set), whose keys override the environment's. Both through vertx-config.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static Future<GrantryConfig> load(Vertx vertx) {
    return load(vertx, System.getenv());
  }

  public static Future<GrantryConfig> load(Vertx vertx, Map<String, String> env) {
    JsonArray keys = new JsonArray();
    env.keySet().stream().filter(ConfigLoader::read).forEach(keys::add);
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setScanPeriod(-1);
    // The env store reads the process environment; for an explicit map (tests) use a json store.
    if (env == System.getenv()) {
      options.addStore(
          new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("keys", keys)));
    } else {
      JsonObject given = new JsonObject();
      env.forEach(
          (k, v) -> {
            if (read(k)) {
              given.put(k, v);
            }
          });
      options.addStore(new ConfigStoreOptions().setType("json").setConfig(given));
    }
    String file = env.get("GRANTRY_CONFIG_FILE");
    if (file != null && !file.isBlank()) {
      if (!Files.isReadable(Path.of(file))) {
        return Future.failedFuture(
            new ConfigException("GRANTRY_CONFIG_FILE names " + file + ", which cannot be read"));
      }
      options.addStore(
          new ConfigStoreOptions()
              .setType("file")
              .setFormat("json")
              .setConfig(new JsonObject().put("path", file)));
    }
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever
        .getConfig()
        .recover(
            err ->
                Future.failedFuture(
                    new ConfigException("cannot read the configuration: " + err.getMessage())))
        .map(GrantryConfig::from)
        .andThen(ar -> retriever.close());
  }

  /** GRANTRY_* settings, and the standard OpenTelemetry variables tracing reads. */
  private static boolean read(String key) {
    return key.startsWith("GRANTRY_") || TracingSettings.STANDARD.contains(key);
  }
}
