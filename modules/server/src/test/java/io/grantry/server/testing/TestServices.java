package io.grantry.server.testing;

import io.grantry.eventstore.EventStore;
import io.grantry.server.ServerResources;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.clients.ClientService;
import io.grantry.server.dev.DevSeed;
import io.grantry.server.grants.GrantRevoker;
import io.grantry.server.users.UserDirectory;
import io.grantry.server.users.UserService;
import java.nio.file.Path;

/** Services over a test's own event store, wired from a running test server's shared resources. */
public final class TestServices {
  private TestServices() {}

  public static ClientService clientService(TestServer server, EventStore store) {
    ServerResources r = server.server.resources();
    return new ClientService(
        store, r.clientSecrets(), r.clock(), r.clientCache(), new GrantRevoker(store, r.clock()));
  }

  public static ClientDirectory clientDirectory(TestServer server) {
    ServerResources r = server.server.resources();
    return new ClientDirectory(r.pool(), r.clientSecrets(), r.clock(), r.clientCache());
  }

  public static UserService userService(TestServer server, EventStore store) {
    ServerResources r = server.server.resources();
    return new UserService(store, r.passwords(), new GrantRevoker(store, r.clock()), r.clock());
  }

  public static UserDirectory userDirectory(TestServer server) {
    ServerResources r = server.server.resources();
    return new UserDirectory(r.pool(), r.passwords(), r.userCache());
  }

  public static DevSeed devSeed(TestServer server, EventStore store, Path dataDir) {
    ServerResources r = server.server.resources();
    return new DevSeed(
        server.vertx,
        store,
        clientService(server, store),
        userService(server, store),
        userDirectory(server),
        clientDirectory(server),
        r.config().issuer(),
        r.secrets().adminToken(),
        dataDir);
  }
}
