package io.grantry.server.dev;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.client.ClientType;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.server.InlineProjections;
import io.grantry.server.app.Aggregate;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.clients.ClientService;
import io.grantry.server.testing.TestServer;
import io.grantry.server.testing.TestServices;
import io.grantry.server.users.UserDirectory;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevSeedTest {

  @Test
  void seedsOnceKeepsTheCredentialsInAPrivateFileAndPrintsThemAtEveryStart(@TempDir Path dataDir)
      throws Exception {
    try (TestServer server = TestServer.start()) {
      EventStore store =
          EventStore.create(
              server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
      InlineProjections.register(store);
      try {
        DevSeed.Result first = await(TestServices.devSeed(server, store, dataDir).run());
        assertThat(first.seededNow()).isTrue();
        Path file = dataDir.resolve("demo.json");
        assertThat(Files.getPosixFilePermissions(file))
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        JsonObject saved = new JsonObject(Files.readString(file));
        String secret = saved.getString("client_secret");
        String password = saved.getString("password");
        assertThat(secret).isNotBlank();
        assertThat(password).hasSizeGreaterThanOrEqualTo(20);

        String text = String.join("\n", first.lines());
        assertThat(text)
            .contains("demo-web", "demo-native", secret, password, TestServer.ADMIN_TOKEN)
            .contains(
                server.url("/authorize")
                    + "?response_type=code&client_id=demo-web"
                    + "&redirect_uri="
                    + URLEncoder.encode(server.url("/dev/callback"), StandardCharsets.UTF_8)
                    + "&scope=openid%20profile&state=")
            .contains("&code_challenge_method=S256")
            .contains(
                "export GRANTRY_ADMIN_URL="
                    + server.url("")
                    + " GRANTRY_ADMIN_TOKEN="
                    + TestServer.ADMIN_TOKEN);
        assertThat(first.toString()).doesNotContain(secret);

        ClientDirectory clients = TestServices.clientDirectory(server);
        var web = await(clients.authenticate("demo-web", secret)).orElseThrow();
        assertThat(web.metadata().redirectUris())
            .containsExactly(
                "http://localhost:8081/callback",
                "http://127.0.0.1:8081/callback",
                server.url("/dev/callback"));
        assertThat(web.metadata().allowedScopes().value())
            .isEqualTo("api email offline_access openid profile");
        var nat = await(clients.find("demo-native")).orElseThrow();
        assertThat(nat.metadata().type()).isEqualTo(ClientType.PUBLIC);
        assertThat(nat.metadata().redirectUris()).containsExactly("http://127.0.0.1/callback");
        UserDirectory users = TestServices.userDirectory(server);
        assertThat(await(users.authenticate("demo", password))).isPresent();

        long events = count(store);
        DevSeed.Result second = await(TestServices.devSeed(server, store, dataDir).run());
        assertThat(second.seededNow()).isFalse();
        assertThat(String.join("\n", second.lines())).contains(secret, password);
        assertThat(count(store)).isEqualTo(events);

        // Demo data from before the development callback (or from another port) gets it added,
        // the rest of demo-web's registration kept.
        ClientService service = TestServices.clientService(server, store);
        await(
            service.change(
                "demo-web",
                current ->
                    current.toBuilder().redirectUris("http://localhost:8081/callback").build(),
                Optional.empty(),
                Aggregate.Metadata.system("test")));
        await(TestServices.devSeed(server, store, dataDir).run());
        assertThat(await(clients.find("demo-web")).orElseThrow().metadata().redirectUris())
            .containsExactly("http://localhost:8081/callback", server.url("/dev/callback"));
      } finally {
        await(store.close());
      }
    }
  }

  @Test
  void anInterruptedSeedIsFinishedWithTheSavedPassword(@TempDir Path dataDir) throws Exception {
    try (TestServer server = TestServer.start()) {
      EventStore store =
          EventStore.create(
              server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
      InlineProjections.register(store);
      try {
        // As if a first start had registered the user and stopped: the user exists, demo-web does
        // not,
        // and the file is gone.
        await(
            TestServices.userService(server, store)
                .register(
                    "demo",
                    "an old forgotten password",
                    Optional.empty(),
                    Optional.empty(),
                    Aggregate.Metadata.system("test")));
        DevSeed.Result r = await(TestServices.devSeed(server, store, dataDir).run());
        assertThat(r.seededNow()).isTrue();
        String password =
            new JsonObject(Files.readString(dataDir.resolve("demo.json"))).getString("password");
        UserDirectory users = TestServices.userDirectory(server);
        assertThat(await(users.authenticate("demo", password))).isPresent();
        assertThat(await(users.authenticate("demo", "an old forgotten password"))).isEmpty();
      } finally {
        await(store.close());
      }
    }
  }

  @Test
  void theChallengeIsRfc7636S256() {
    // RFC 7636 Appendix B.
    assertThat(DevSeed.challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
        .isEqualTo("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  }

  private static long count(EventStore store) throws Exception {
    return await(store.pool().query("SELECT count(*) FROM events").execute())
        .iterator()
        .next()
        .getLong(0);
  }
}
