package io.grantry.domain.logout;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.LogoutMetadata;
import io.grantry.domain.logout.LogoutFlow.AskToConfirm;
import io.grantry.domain.logout.LogoutFlow.Done;
import io.grantry.domain.logout.LogoutFlow.EndSession;
import io.grantry.domain.logout.LogoutFlow.Hint;
import io.grantry.domain.logout.LogoutFlow.RedirectTo;
import io.grantry.domain.logout.LogoutFlow.Request;
import io.grantry.domain.logout.LogoutFlow.Session;
import io.grantry.domain.logout.LogoutFlow.ShowError;
import io.grantry.domain.logout.LogoutFlow.ShowSignedOut;
import io.grantry.domain.logout.LogoutFlow.Situation;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** OpenID Connect RP-Initiated Logout 1.0 §2-§3 as a table of situations. */
class LogoutFlowTest {
  static final String BACK = "https://app.example/bye";
  static final Session ALICE = new Session("u-alice", "s1");
  static final ClientState.Registered WEB =
      new ClientState.Registered(
          "web",
          ClientMetadata.builder("Web", ClientType.CONFIDENTIAL)
              .redirectUris("https://app.example/cb")
              .grantTypes(GrantType.AUTHORIZATION_CODE)
              .logout(new LogoutMetadata(List.of(BACK), Optional.empty(), false))
              .build(),
          Optional.of("hmac-sha256$x"),
          Optional.empty(),
          false,
          Instant.EPOCH);

  static Optional<Hint> hintFor(String sub) {
    return Optional.of(new Hint(sub, List.of("web"), Optional.of("s1")));
  }

  static Request request(Optional<Hint> hint, String clientId, String uri) {
    return new Request(
        hint, Optional.ofNullable(clientId), Optional.ofNullable(uri), Optional.of("st"));
  }

  static LogoutFlow.Next next(Request r, Optional<Session> session, boolean confirmed) {
    Optional<ClientState.Registered> client =
        r.identifiedClient().filter("web"::equals).map(id -> WEB);
    return LogoutFlow.next(new Situation(r, client, session, confirmed));
  }

  @Test
  void aHintNamingTheSignedInUserEndsTheSessionAndGoesToTheRegisteredUri() {
    assertThat(next(request(hintFor("u-alice"), null, BACK), Optional.of(ALICE), false))
        .isEqualTo(new EndSession(ALICE, new RedirectTo(BACK, Optional.of("st"))));
    assertThat(next(request(hintFor("u-alice"), null, null), Optional.of(ALICE), false))
        .isEqualTo(new EndSession(ALICE, new ShowSignedOut()));
  }

  @Test
  void anotherUsersHintOrNoHintAsksFirst() {
    // An attacker's own ID token must not sign the victim out unasked.
    assertThat(next(request(hintFor("u-mallory"), null, BACK), Optional.of(ALICE), false))
        .isInstanceOf(AskToConfirm.class);
    assertThat(next(request(Optional.empty(), "web", BACK), Optional.of(ALICE), false))
        .isInstanceOf(AskToConfirm.class);
    assertThat(next(request(Optional.empty(), "web", BACK), Optional.of(ALICE), true))
        .isEqualTo(new EndSession(ALICE, new RedirectTo(BACK, Optional.of("st"))));
  }

  @Test
  void anUnregisteredUriIsNeverFollowed() {
    String evil = "https://evil.example/";
    assertThat(next(request(hintFor("u-alice"), null, evil), Optional.of(ALICE), false))
        .isInstanceOf(AskToConfirm.class);
    assertThat(next(request(hintFor("u-alice"), null, evil), Optional.of(ALICE), true))
        .isEqualTo(new EndSession(ALICE, new ShowSignedOut()));
    assertThat(next(request(Optional.empty(), null, BACK), Optional.of(ALICE), true))
        .as("a URI with no client to check it against")
        .isEqualTo(new EndSession(ALICE, new ShowSignedOut()));
    assertThat(next(request(Optional.empty(), "web", BACK + "/"), Optional.empty(), false))
        .isEqualTo(new Done(new ShowSignedOut()));
  }

  @Test
  void withoutASessionThereIsNothingToEnd() {
    assertThat(next(request(hintFor("u-alice"), null, BACK), Optional.empty(), false))
        .isEqualTo(new Done(new RedirectTo(BACK, Optional.of("st"))));
    assertThat(next(request(Optional.empty(), null, null), Optional.empty(), false))
        .isEqualTo(new Done(new ShowSignedOut()));
  }

  @Test
  void aClientIdThatTheHintWasNotForIsAnError() {
    assertThat(next(request(hintFor("u-alice"), "other", BACK), Optional.of(ALICE), false))
        .isInstanceOf(ShowError.class);
    assertThat(next(request(hintFor("u-alice"), "web", BACK), Optional.of(ALICE), false))
        .isInstanceOf(EndSession.class);
  }
}
