package io.grantry.domain.user;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionDeciderTest {
  static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");
  static final Duration HOURS_12 = Duration.ofHours(12);

  static UserStream registered() {
    UserEvent reg =
        new UserRegistered(
            "u1",
            "alice",
            "alice",
            "$argon2id$v=19$m=1,t=1,p=1$aaaa$bbbb",
            Optional.empty(),
            Optional.empty(),
            T0);
    return UserStream.evolve(UserStream.EMPTY, reg);
  }

  static SessionCommand.Start start(String sid, Optional<String> replacing) {
    return new SessionCommand.Start(
        "u1",
        sid,
        "hash-" + sid,
        "pwd",
        HOURS_12,
        Optional.of("127.0.0.1"),
        Optional.of("Mozilla\n/5.0"),
        replacing);
  }

  static UserStream apply(UserStream s, Decision<UserEvent> d) {
    for (UserEvent e : d.events()) {
      s = UserStream.evolve(s, e);
    }
    return s;
  }

  @Test
  void aSignInStartsASessionHoldingOnlyTheSecretsHash() {
    Decision<UserEvent> d = SessionDecider.decide(registered(), start("s1", Optional.empty()), T0);
    assertThat(d.events()).hasSize(1);
    SessionStarted e = (SessionStarted) d.events().get(0);
    assertThat(e.secretHash()).isEqualTo("hash-s1");
    assertThat(e.authTime()).isEqualTo(T0);
    assertThat(e.expiresAt()).isEqualTo(T0.plus(HOURS_12));
    assertThat(e.userAgent()).contains("Mozilla?/5.0");
    UserStream s = apply(registered(), d);
    assertThat(s.sessions().live(T0))
        .extracting(UserSessions.Session::sessionId)
        .containsExactly("s1");
    assertThat(s.sessions().live(T0.plus(HOURS_12))).isEmpty();
  }

  @Test
  void signingOutEndsOneSessionAndRepeatingItChangesNothing() {
    UserStream s =
        apply(registered(), SessionDecider.decide(registered(), start("s1", Optional.empty()), T0));
    s = apply(s, SessionDecider.decide(s, start("s2", Optional.empty()), T0));
    Decision<UserEvent> out =
        SessionDecider.decide(
            s, new SessionCommand.End("u1", "s1", SessionEndReason.SIGNED_OUT), T0.plusSeconds(5));
    assertThat(out.events())
        .containsExactly(
            new SessionEnded("u1", "s1", SessionEndReason.SIGNED_OUT, T0.plusSeconds(5)));
    s = apply(s, out);
    assertThat(s.sessions().live(T0))
        .extracting(UserSessions.Session::sessionId)
        .containsExactly("s2");
    assertThat(
            SessionDecider.decide(
                    s, new SessionCommand.End("u1", "s1", SessionEndReason.SIGNED_OUT), T0)
                .events())
        .isEmpty();
  }

  @Test
  void aPasswordChangeAndADisableEndEverySessionInTheSameAppend() {
    UserStream s = registered();
    for (String sid : List.of("a", "b", "c")) {
      s = apply(s, SessionDecider.decide(s, start(sid, Optional.empty()), T0));
    }
    Decision<UserEvent> changed =
        SessionDecider.decideAccount(
            s,
            new UserCommand.ChangePassword("u1", "$argon2id$v=19$m=1,t=1,p=1$cccc$dddd"),
            T0.plusSeconds(60));
    assertThat(changed.events()).hasSize(4);
    assertThat(changed.events().get(0)).isInstanceOf(UserPasswordChanged.class);
    assertThat(changed.events().subList(1, 4))
        .allSatisfy(
            e ->
                assertThat(((SessionEnded) e).reason())
                    .isEqualTo(SessionEndReason.PASSWORD_CHANGED));
    UserStream after = apply(s, changed);
    assertThat(after.sessions().size()).isZero();

    Decision<UserEvent> disabled =
        SessionDecider.decideAccount(s, new UserCommand.Disable("u1"), T0.plusSeconds(60));
    assertThat(disabled.events()).hasSize(4);
    assertThat(disabled.events().subList(1, 4))
        .allSatisfy(
            e -> assertThat(((SessionEnded) e).reason()).isEqualTo(SessionEndReason.USER_DISABLED));
    // A disabled user cannot start a session.
    assertThat(
            SessionDecider.decide(
                apply(s, disabled), start("d", Optional.empty()), T0.plusSeconds(61)))
        .isInstanceOf(Decision.Rejected.class);
  }

  @Test
  void signingOutEverywhereElseKeepsThisSession() {
    UserStream s = registered();
    for (String sid : List.of("a", "b", "c")) {
      s = apply(s, SessionDecider.decide(s, start(sid, Optional.empty()), T0));
    }
    Decision<UserEvent> d =
        SessionDecider.decide(
            s, new SessionCommand.EndAll("u1", SessionEndReason.ADMIN, Optional.of("b")), T0);
    assertThat(d.events())
        .extracting(e -> ((SessionEnded) e).sessionId())
        .containsExactly("a", "c");
  }

  @Test
  void aNewSignInInTheSameBrowserReplacesItsSessionAndExpiredOnesAreRecordedAsEnded() {
    UserStream s =
        apply(
            registered(), SessionDecider.decide(registered(), start("old", Optional.empty()), T0));
    s =
        apply(
            s,
            SessionDecider.decide(
                s, start("mine", Optional.empty()), T0.plus(Duration.ofHours(6))));
    Instant later = T0.plus(Duration.ofHours(13));
    Decision<UserEvent> d = SessionDecider.decide(s, start("new", Optional.of("mine")), later);
    assertThat(d.events())
        .containsExactly(
            new SessionEnded("u1", "old", SessionEndReason.EXPIRED, later),
            new SessionEnded("u1", "mine", SessionEndReason.REPLACED, later),
            d.events().get(2));
    assertThat(apply(s, d).sessions().all())
        .extracting(UserSessions.Session::sessionId)
        .containsExactly("new");
  }

  @Test
  void theLiveSessionsOfAUserAreBounded() {
    UserStream s = registered();
    for (int i = 0; i < SessionDecider.MAX_LIVE_SESSIONS + 10; i++) {
      s =
          apply(
              s,
              SessionDecider.decide(
                  s, start(String.format("s%03d", i), Optional.empty()), T0.plusSeconds(i)));
    }
    assertThat(s.sessions().size()).isEqualTo(SessionDecider.MAX_LIVE_SESSIONS);
    List<String> ids = new ArrayList<>();
    s.sessions().all().forEach(x -> ids.add(x.sessionId()));
    assertThat(ids.get(0)).isEqualTo("s010");
  }

  @Test
  void unknownUsersAndBadIdsAreRefused() {
    assertThat(SessionDecider.decide(UserStream.EMPTY, start("s1", Optional.empty()), T0))
        .isEqualTo(Decision.reject(new DomainError.NotFound("user", "u1")));
    assertThat(SessionDecider.decide(registered(), start("bad id", Optional.empty()), T0))
        .isInstanceOf(Decision.Rejected.class);
    SessionCommand.Start forever =
        new SessionCommand.Start(
            "u1",
            "s1",
            "h",
            "pwd",
            Duration.ofDays(10_000),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    assertThat(SessionDecider.decide(registered(), forever, T0))
        .isInstanceOf(Decision.Rejected.class);
  }
}
