package io.grantry.domain.user;

import java.util.Objects;

/**
 * What a {@code user:<id>} stream holds: the account ({@link UserState}, as {@link UserDecider}
 * folds it) and its browser sessions ({@link UserSessions}). Sessions live in the user's stream so
 * that a password change or a disable and the end of every session are one append: no session can
 * outlive the event that ended it, and an auditor reads both in the user's history.
 */
public record UserStream(UserState account, UserSessions sessions) {
  public static final UserStream EMPTY = new UserStream(UserState.initial(), UserSessions.NONE);

  public UserStream {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(sessions, "sessions");
  }

  public static UserStream evolve(UserStream s, UserEvent event) {
    UserState account = UserDecider.evolve(s.account, event);
    if (event instanceof SessionStarted e) {
      return new UserStream(
          account,
          s.sessions.with(
              new UserSessions.Session(
                  e.sessionId(), e.secretHash(), e.authTime(), e.method(), e.expiresAt())));
    }
    if (event instanceof SessionEnded e) {
      return new UserStream(account, s.sessions.without(e.sessionId()));
    }
    return new UserStream(account, s.sessions);
  }

  public static UserStream replay(Iterable<? extends UserEvent> events) {
    UserStream s = EMPTY;
    for (UserEvent e : events) {
      s = evolve(s, e);
    }
    return s;
  }
}
