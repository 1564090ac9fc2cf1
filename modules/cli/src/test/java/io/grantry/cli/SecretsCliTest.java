package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ServerSecrets;
import io.grantry.server.crypto.KeyEncryption;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code grantry secrets generate} prints a set the server's configuration accepts as it is: the
 * lines, put in the environment of a server with a configured database, pass the same checks a
 * start does, and a second run makes a different set.
 */
class SecretsCliTest {

  @Test
  void theEnvLinesAreAcceptedByTheServersConfiguration() {
    Map<String, String> set = envLines(run("secrets", "generate"));
    assertThat(set.keySet())
        .containsExactly("GRANTRY_KEK", "GRANTRY_SECRET_PEPPER", "GRANTRY_ADMIN_TOKEN");
    ServerSecrets secrets = accepted(set);
    assertThat(secrets.kek()).hasSize(32);
    assertThat(secrets.pepper()).hasSizeGreaterThanOrEqualTo(32);
    assertThat(secrets.adminToken()).isEqualTo(set.get("GRANTRY_ADMIN_TOKEN"));
    assertThat(secrets.generated()).isFalse();
    new KeyEncryption(secrets.kek()); // an AES-256 key
    assertThat(envLines(run("secrets", "generate"))).doesNotContainValue(set.get("GRANTRY_KEK"));
  }

  @Test
  void theJsonFormIsTheSameSet() {
    JsonObject json = new JsonObject(run("secrets", "generate", "--json"));
    Map<String, String> set = new LinkedHashMap<>();
    json.forEach(e -> set.put(e.getKey(), (String) e.getValue()));
    assertThat(set.keySet())
        .containsExactly("GRANTRY_KEK", "GRANTRY_SECRET_PEPPER", "GRANTRY_ADMIN_TOKEN");
    assertThat(accepted(set).adminToken()).isEqualTo(json.getString("GRANTRY_ADMIN_TOKEN"));
  }

  /** What a production start checks: the configuration, then the secrets it needs. */
  private static ServerSecrets accepted(Map<String, String> set) {
    JsonObject env =
        new JsonObject().put("GRANTRY_DB_URL", "postgresql://grantry@db.example/grantry");
    set.forEach(env::put);
    GrantryConfig config = GrantryConfig.from(env);
    assertThat(config.unknown()).isEmpty();
    return ServerSecrets.resolve(config);
  }

  private static Map<String, String> envLines(String out) {
    Map<String, String> set = new LinkedHashMap<>();
    for (String line : out.strip().split("\n")) {
      assertThat(line).matches("GRANTRY_[A-Z_]+=[A-Za-z0-9+/=_-]+");
      int eq = line.indexOf('=');
      set.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return set;
  }

  private static synchronized String run(String... args) {
    PrintStream out = System.out;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      assertThat(Grantry.run(args)).isZero();
      return o.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(out);
    }
  }
}
