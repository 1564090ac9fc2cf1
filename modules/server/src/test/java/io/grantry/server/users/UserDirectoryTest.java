package io.grantry.server.users;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.user.UserState;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.server.InlineProjections;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.testing.TestServer;
import io.grantry.server.testing.TestServices;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class UserDirectoryTest {
  static TestServer server;
  static EventStore store;
  static UserService service;
  static UserDirectory directory;
  static final Aggregate.Metadata WHO = new Aggregate.Metadata("admin", "test", null);

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    store =
        EventStore.create(
            server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
    InlineProjections.register(store);
    service = TestServices.userService(server, store);
    directory = TestServices.userDirectory(server);
  }

  @AfterAll
  static void stop() throws Exception {
    await(store.close());
    server.close();
  }

  static UserState.Registered register(String username, String password) throws Exception {
    return await(service.register(username, password, Optional.empty(), Optional.empty(), WHO));
  }

  @Test
  void theRightPasswordSignsInRegardlessOfUsernameCase() throws Exception {
    UserState.Registered grace = register("Grace", "correct horse battery");
    Optional<UserState.Registered> ok =
        await(directory.authenticate("grace", "correct horse battery"));
    assertThat(ok).isPresent();
    assertThat(ok.get().userId()).isEqualTo(grace.userId());
    assertThat(await(directory.authenticate("GRACE", "correct horse battery"))).isPresent();
    assertThat(await(directory.findById(grace.userId())).orElseThrow().username())
        .isEqualTo("Grace");
  }

  @Test
  void aWrongPasswordAnUnknownUserAndADisabledUserAreAllEmpty() throws Exception {
    UserState.Registered heidi = register("heidi", "heidi's password");
    assertThat(await(directory.authenticate("heidi", "heidi's passworD"))).isEmpty();
    assertThat(await(directory.authenticate("heidi", ""))).isEmpty();
    assertThat(await(directory.authenticate("heidi", null))).isEmpty();
    assertThat(await(directory.authenticate("nobody-here", "heidi's password"))).isEmpty();
    assertThat(await(directory.authenticate("not a valid name!", "heidi's password"))).isEmpty();
    assertThat(await(directory.authenticate("heidi", "heidi's password"))).isPresent();

    await(service.disable(heidi.userId(), WHO));
    assertThat(await(directory.authenticate("heidi", "heidi's password"))).isEmpty();
    assertThat(await(directory.findById(heidi.userId())).orElseThrow().disabled()).isTrue();
  }

  @Test
  void aNewPasswordReplacesTheOldOne() throws Exception {
    UserState.Registered ivan = register("ivan", "first password");
    await(service.setPassword(ivan.userId(), "second password", WHO));
    assertThat(await(directory.authenticate("ivan", "first password"))).isEmpty();
    assertThat(await(directory.authenticate("ivan", "second password"))).isPresent();
  }

  @Test
  void ofTwoRacingRegistrationsOfOneNameExactlyOneWins() throws Exception {
    Future<UserState.Registered> a =
        service.register("Racer", "password one", Optional.empty(), Optional.empty(), WHO);
    Future<UserState.Registered> b =
        service.register("racer", "password two", Optional.empty(), Optional.empty(), WHO);
    await(Future.join(a, b).otherwiseEmpty());
    assertThat(List.of(a.succeeded(), b.succeeded())).containsExactlyInAnyOrder(true, false);
    Future<UserState.Registered> loser = a.succeeded() ? b : a;
    assertThat(loser.cause()).isInstanceOf(CommandRejected.class);
    assertThat(((CommandRejected) loser.cause()).error()).isEqualTo(UserService.USERNAME_TAKEN);

    var rows =
        await(
            store
                .pool()
                .preparedQuery("SELECT count(*) FROM users WHERE normalized_username = $1")
                .execute(Tuple.of("racer")));
    assertThat(rows.iterator().next().getLong(0)).isEqualTo(1);
    var claims = await(store.readStream("username:racer"));
    assertThat(claims).hasSize(1);
    UserState.Registered winner = a.succeeded() ? a.result() : b.result();
    assertThat(claims.get(0).payload().getString("user_id")).isEqualTo(winner.userId());
  }
}
