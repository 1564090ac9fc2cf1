package io.grantry.domain.user;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.FieldRules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decisions about a user's browser sessions, and the account commands whose acceptance ends them: a
 * changed password and a disabled account end every session in the same append (OWASP ASVS 3.3.3;
 * SECURITY.md, "Sessions and the authorization flow").
 */
public final class SessionDecider {
  /**
   * The most sessions a user keeps at once; a new one beyond it replaces the oldest. It bounds the
   * state a sign-in folds, whatever a script that signs in in a loop does.
   */
  public static final int MAX_LIVE_SESSIONS = 50;

  /**
   * Longest absolute lifetime accepted (a year): keeps {@code now + lifetime} far from overflow.
   */
  public static final Duration MAX_LIFETIME = Duration.ofDays(366);

  static final int MAX_ADDRESS_LENGTH = 64;
  static final int MAX_USER_AGENT_LENGTH = 256;
  private static final String KIND = "user";

  private SessionDecider() {}

  public static Decision<UserEvent> decide(UserStream s, SessionCommand command, Instant now) {
    Objects.requireNonNull(s, "s");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(now, "now");
    if (!(s.account() instanceof UserState.Registered user)) {
      return Decision.reject(new DomainError.NotFound(KIND, command.userId()));
    }
    if (!user.userId().equals(command.userId())) {
      throw new IllegalArgumentException(
          "command for user '" + command.userId() + "' decided against '" + user.userId() + "'");
    }
    if (command instanceof SessionCommand.Start c) {
      return start(s, user, c, now);
    }
    if (command instanceof SessionCommand.End c) {
      return s.sessions().get(c.sessionId()).isEmpty()
          ? Decision.unchanged()
          : Decision.accept(new SessionEnded(user.userId(), c.sessionId(), c.reason(), now));
    }
    SessionCommand.EndAll c = (SessionCommand.EndAll) command;
    return Decision.accept(endAll(s.sessions(), user.userId(), c.reason(), c.keep(), now));
  }

  private static Decision<UserEvent> start(
      UserStream s, UserState.Registered user, SessionCommand.Start c, Instant now) {
    if (user.disabled()) {
      return Decision.reject(new DomainError.Disabled(KIND, user.userId()));
    }
    Optional<DomainError.ValidationError> problem =
        FieldRules.identifier("session_id", c.sessionId(), 64)
            .or(() -> FieldRules.identifier("secret_hash", c.secretHash(), 128));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (c.lifetime().isNegative()
        || c.lifetime().isZero()
        || c.lifetime().compareTo(MAX_LIFETIME) > 0) {
      return Decision.reject(
          new DomainError.ValidationError(
              "lifetime",
              "a session lives more than 0 s and at most " + MAX_LIFETIME.toDays() + " days"));
    }
    if (s.sessions().get(c.sessionId()).isPresent()) {
      return Decision.reject(new DomainError.AlreadyExists("session", c.sessionId()));
    }
    List<UserEvent> events = new ArrayList<>();
    // Sessions past their lifetime are recorded as ended now, so that the state and the live
    // sessions an operator lists stay small.
    List<UserSessions.Session> kept = new ArrayList<>();
    for (UserSessions.Session old : s.sessions().all()) {
      if (!old.liveAt(now)) {
        events.add(new SessionEnded(user.userId(), old.sessionId(), SessionEndReason.EXPIRED, now));
      } else if (c.replacing().filter(old.sessionId()::equals).isPresent()) {
        events.add(
            new SessionEnded(user.userId(), old.sessionId(), SessionEndReason.REPLACED, now));
      } else {
        kept.add(old);
      }
    }
    // Oldest first: the ones beyond the bound are the oldest.
    for (int i = 0; i <= kept.size() - MAX_LIVE_SESSIONS; i++) {
      events.add(
          new SessionEnded(user.userId(), kept.get(i).sessionId(), SessionEndReason.REPLACED, now));
    }
    events.add(
        new SessionStarted(
            user.userId(),
            c.sessionId(),
            c.secretHash(),
            now,
            c.method(),
            now.plus(c.lifetime()),
            c.address().map(a -> shorten(a, MAX_ADDRESS_LENGTH)),
            c.userAgent().map(a -> shorten(a, MAX_USER_AGENT_LENGTH))));
    return Decision.accept(events);
  }

  /**
   * An account command with what its acceptance does to the sessions: a new password or a disabled
   * account ends every session of the user, in the same append.
   */
  public static Decision<UserEvent> decideAccount(UserStream s, UserCommand command, Instant now) {
    Decision<UserEvent> decided = UserDecider.decide(s.account(), command, now);
    if (!(decided instanceof Decision.Accepted<UserEvent> accepted)
        || accepted.events().isEmpty()) {
      return decided;
    }
    List<UserEvent> events = new ArrayList<>(accepted.events());
    for (UserEvent e : accepted.events()) {
      SessionEndReason reason =
          e instanceof UserPasswordChanged
              ? SessionEndReason.PASSWORD_CHANGED
              : e instanceof UserDisabled ? SessionEndReason.USER_DISABLED : null;
      if (reason != null) {
        events.addAll(endAll(s.sessions(), e.userId(), reason, Optional.empty(), now));
      }
    }
    return Decision.accept(events);
  }

  private static List<UserEvent> endAll(
      UserSessions sessions,
      String userId,
      SessionEndReason reason,
      Optional<String> keep,
      Instant now) {
    List<UserEvent> events = new ArrayList<>();
    for (UserSessions.Session old : sessions.all()) {
      if (keep.filter(old.sessionId()::equals).isEmpty()) {
        events.add(
            new SessionEnded(
                userId, old.sessionId(), old.liveAt(now) ? reason : SessionEndReason.EXPIRED, now));
      }
    }
    return events;
  }

  /**
   * At most {@code max} characters, control characters replaced: it is shown on pages and in logs.
   */
  static String shorten(String text, int max) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), max));
    for (int i = 0; i < text.length() && out.length() < max; i++) {
      char ch = text.charAt(i);
      out.append(ch < 0x20 || ch == 0x7F ? '?' : ch);
    }
    return out.toString();
  }
}
