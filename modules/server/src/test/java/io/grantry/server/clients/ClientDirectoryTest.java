package io.grantry.server.clients;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientCommand;
import io.grantry.domain.client.ClientDecider;
import io.grantry.domain.client.ClientEventCodec;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.server.InlineProjections;
import io.grantry.server.ServerResources;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.grants.GrantRevoker;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClientDirectoryTest {
  static TestServer server;
  static ServerResources resources;
  static EventStore store;
  static ClientService service;
  static ClientDirectory directory;
  static final Aggregate.Metadata WHO = new Aggregate.Metadata("admin", "test", null);

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    resources = server.server.resources();
    store = EventStore.create(server.vertx, resources.pool(), EventStoreOptions.defaults());
    InlineProjections.register(store);
    service =
        new ClientService(
            store,
            resources.clientSecrets(),
            resources.clock(),
            resources.clientCache(),
            new GrantRevoker(store, resources.clock()));
    directory =
        new ClientDirectory(
            resources.pool(),
            resources.clientSecrets(),
            resources.clock(),
            resources.clientCache());
  }

  @AfterAll
  static void stop() throws Exception {
    await(store.close());
    server.close();
  }

  static ClientMetadata confidential() {
    return ClientMetadata.builder("Backend", ClientType.CONFIDENTIAL)
        .grantTypes(GrantType.CLIENT_CREDENTIALS)
        .allowedScopes(Scopes.of("api"))
        .build();
  }

  static ClientService.Issued register(String id) throws Exception {
    return await(service.register(Optional.of(id), confidential(), WHO));
  }

  static boolean authenticates(ClientDirectory d, String id, String secret) throws Exception {
    return await(d.authenticate(id, secret)).isPresent();
  }

  static boolean takenError(Throwable err) {
    return err instanceof CommandRejected r && r.error() instanceof DomainError.AlreadyExists;
  }

  @Test
  void ofTwoRacingRegistrationsOfOneIdInDifferentCaseExactlyOneWins() throws Exception {
    var a = service.register(Optional.of("Racing-Client"), confidential(), WHO);
    var b = service.register(Optional.of("racing-client"), confidential(), WHO);
    await(Future.join(a, b).otherwiseEmpty());
    assertThat(List.of(a.succeeded(), b.succeeded())).containsExactlyInAnyOrder(true, false);
    assertThat(takenError((a.succeeded() ? b : a).cause())).isTrue();
    var rows =
        await(
            store
                .pool()
                .preparedQuery("SELECT count(*) FROM clients WHERE lower(client_id) = $1")
                .execute(Tuple.of("racing-client")));
    assertThat(rows.iterator().next().getLong(0)).isEqualTo(1);
    var claims = await(store.readStream("client_id:racing-client"));
    assertThat(claims).hasSize(1);
    String winner = (a.succeeded() ? a : b).result().client().clientId();
    assertThat(claims.get(0).payload().getString("client_id")).isEqualTo(winner);
  }

  /**
   * Clients registered before ids were claimed have no claim: the registry's own table still keeps
   * their id, in every case, from a newcomer; and two old ones that differ only in case both stay
   * and keep working.
   */
  @Test
  void clientsRegisteredBeforeClaimsKeepTheirIdsInEveryCase() throws Exception {
    var legacy =
        new Aggregate<>(
            store, ClientEventCodec.INSTANCE, ClientState.initial(), ClientDecider::evolve);
    for (String id : new String[] {"Old-Twin", "old-twin"}) {
      var command =
          new ClientCommand.Register(
              id, confidential(), Optional.of("hmac-sha256$" + "a".repeat(43)));
      var outcome =
          await(
              legacy.execute(
                  ClientsProjection.streamId(id),
                  st -> ClientDecider.decide(st, command, Instant.now()),
                  WHO));
      assertThat(outcome.accepted()).isTrue();
    }
    assertThat(await(directory.find("Old-Twin"))).isPresent();
    assertThat(await(directory.find("old-twin"))).isPresent();
    for (String id : new String[] {"OLD-TWIN", "old-Twin"}) {
      var taken = service.register(Optional.of(id), confidential(), WHO);
      await(taken.otherwiseEmpty());
      assertThat(takenError(taken.cause())).as(id).isTrue();
      assertThat(await(directory.find(id))).as(id).isEmpty();
    }
  }

  @Test
  void theRightSecretAuthenticatesAndAnythingElseDoesNot() throws Exception {
    String secret = register("backend").clientSecret().orElseThrow();
    Optional<ClientState.Registered> ok = await(directory.authenticate("backend", secret));
    assertThat(ok).isPresent();
    assertThat(ok.get().clientId()).isEqualTo("backend");
    assertThat(authenticates(directory, "backend", secret + "x")).isFalse();
    assertThat(authenticates(directory, "backend", secret.substring(1))).isFalse();
    assertThat(authenticates(directory, "backend", "")).isFalse();
    assertThat(authenticates(directory, "backend", null)).isFalse();
    assertThat(authenticates(directory, "nobody", secret)).isFalse();
    assertThat(authenticates(directory, null, secret)).isFalse();
  }

  @Test
  void findReturnsDisabledClientsWithTheirFlagButTheyNeverAuthenticate() throws Exception {
    String secret = register("retiring").clientSecret().orElseThrow();
    await(service.disable("retiring", WHO));
    var found = await(directory.find("retiring"));
    assertThat(found).isPresent();
    assertThat(found.get().disabled()).isTrue();
    assertThat(found.get().metadata().name()).isEqualTo("Backend");
    assertThat(authenticates(directory, "retiring", secret)).isFalse();
    assertThat(await(directory.find("never-registered"))).isEmpty();
  }

  @Test
  void aPublicClientHasNoSecretToPresent() throws Exception {
    ClientMetadata m =
        ClientMetadata.builder("App", ClientType.PUBLIC)
            .grantTypes(GrantType.AUTHORIZATION_CODE)
            .redirectUris("http://127.0.0.1/cb")
            .build();
    ClientService.Issued issued = await(service.register(Optional.of("spa"), m, WHO));
    assertThat(issued.clientSecret()).isEmpty();
    assertThat(await(directory.find("spa")).orElseThrow().metadata().type())
        .isEqualTo(ClientType.PUBLIC);
    assertThat(authenticates(directory, "spa", "")).isFalse();
    assertThat(authenticates(directory, "spa", "anything")).isFalse();
  }

  @Test
  void theOldSecretWorksDuringItsGraceOnly() throws Exception {
    String first = register("rolling").clientSecret().orElseThrow();
    String second =
        await(service.rotateSecret("rolling", Duration.ofHours(1), WHO))
            .clientSecret()
            .orElseThrow();
    assertThat(second).isNotEqualTo(first);
    assertThat(authenticates(directory, "rolling", first)).isTrue();
    assertThat(authenticates(directory, "rolling", second)).isTrue();

    ClientDirectory twoHoursLater =
        new ClientDirectory(
            store.pool(),
            resources.clientSecrets(),
            Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC),
            null);
    assertThat(authenticates(twoHoursLater, "rolling", first)).isFalse();
    assertThat(authenticates(twoHoursLater, "rolling", second)).isTrue();

    String third =
        await(service.rotateSecret("rolling", Duration.ZERO, WHO)).clientSecret().orElseThrow();
    assertThat(authenticates(directory, "rolling", third)).isTrue();
    assertThat(authenticates(directory, "rolling", second)).isFalse();
    assertThat(authenticates(directory, "rolling", first)).isFalse();
  }

  @Test
  void refusalsAreTypedDomainErrors() throws Exception {
    register("dup");
    assertThat(
            service
                .register(Optional.of("dup"), confidential(), WHO)
                .toCompletionStage()
                .toCompletableFuture())
        .failsWithin(Duration.ofSeconds(30))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(CommandRejected.class);
    assertThat(await(directory.find("dup")).orElseThrow().metadata().name()).isEqualTo("Backend");
  }

  @Test
  void listPagesByClientId() throws Exception {
    for (String id : new String[] {"list-c", "list-a", "list-b"}) {
      register(id);
    }
    var first = await(directory.list(Optional.of("list-"), 2));
    assertThat(first).extracting(c -> c.clientId()).containsExactly("list-a", "list-b");
    var next = await(directory.list(Optional.of("list-b"), 2));
    assertThat(next.get(0).clientId()).isEqualTo("list-c");
  }
}
