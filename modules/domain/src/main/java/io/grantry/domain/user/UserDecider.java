package io.grantry.domain.user;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.FieldRules;
import io.grantry.domain.user.UserCommand.ChangePassword;
import io.grantry.domain.user.UserCommand.Disable;
import io.grantry.domain.user.UserCommand.Enable;
import io.grantry.domain.user.UserCommand.Register;
import io.grantry.domain.user.UserCommand.SetEmailVerified;
import io.grantry.domain.user.UserState.Registered;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/** The user aggregate's pure {@link #decide} and {@link #evolve}. */
public final class UserDecider {
  static final String KIND = "user";

  /** OIDC Core §2 caps {@code sub} at 255 ASCII characters; we keep ids shorter. */
  public static final int MAX_USER_ID_LENGTH = 128;

  public static final int MAX_EMAIL_LENGTH = 254;
  public static final int MAX_NAME_LENGTH = 200;
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");

  private static final Optional<ValidationError> NO_EMAIL =
      Optional.of(
          new ValidationError(
              "email_verified", "email_verified needs an email address: this user has none"));

  private UserDecider() {}

  public static Decision<UserEvent> decide(UserState state, UserCommand command, Instant now) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(now, "now");
    if (state instanceof Registered r && !r.userId().equals(command.userId())) {
      throw new IllegalArgumentException(
          "command for user '"
              + command.userId()
              + "' decided against the state of '"
              + r.userId()
              + "'");
    }
    if (command instanceof Register c) {
      if (state instanceof Registered) {
        return Decision.reject(new DomainError.AlreadyExists(KIND, c.userId()));
      }
      Optional<ValidationError> problem =
          FieldRules.identifier("user_id", c.userId(), MAX_USER_ID_LENGTH)
              .or(() -> Usernames.problemWith(c.username()))
              .or(() -> FieldRules.phcHash("password_hash", c.passwordHash()))
              .or(() -> c.email().flatMap(UserDecider::emailProblem))
              .or(() -> c.name().flatMap(n -> FieldRules.displayText("name", n, MAX_NAME_LENGTH)))
              .or(() -> c.emailVerified() && c.email().isEmpty() ? NO_EMAIL : Optional.empty());
      if (problem.isPresent()) {
        return Decision.reject(problem.get());
      }
      return Decision.accept(
          new UserRegistered(
              c.userId(),
              c.username(),
              Usernames.normalize(c.username()),
              c.passwordHash(),
              c.email(),
              c.name(),
              c.emailVerified(),
              now));
    }
    if (!(state instanceof Registered current)) {
      return Decision.reject(new DomainError.NotFound(KIND, command.userId()));
    }
    if (command instanceof Disable) {
      return current.disabled()
          ? Decision.unchanged()
          : Decision.accept(new UserDisabled(current.userId(), now));
    }
    if (command instanceof Enable) {
      return current.disabled()
          ? Decision.accept(new UserEnabled(current.userId(), now))
          : Decision.unchanged();
    }
    if (current.disabled()) {
      return Decision.reject(new DomainError.Disabled(KIND, current.userId()));
    }
    if (command instanceof SetEmailVerified v) {
      if (v.verified() && current.email().isEmpty()) {
        return Decision.reject(NO_EMAIL.get());
      }
      return v.verified() == current.emailVerified()
          ? Decision.unchanged()
          : Decision.accept(new UserEmailVerificationSet(current.userId(), v.verified(), now));
    }
    ChangePassword c = (ChangePassword) command;
    Optional<ValidationError> problem = FieldRules.phcHash("password_hash", c.passwordHash());
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (c.passwordHash().equals(current.passwordHash())) {
      return Decision.unchanged();
    }
    return Decision.accept(new UserPasswordChanged(current.userId(), c.passwordHash(), now));
  }

  private static Optional<ValidationError> emailProblem(String email) {
    if (email.length() > MAX_EMAIL_LENGTH
        || !EMAIL.matcher(email).matches()
        || email.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7F)) {
      return Optional.of(
          new ValidationError(
              "email",
              "email must look like 'name@domain', at most " + MAX_EMAIL_LENGTH + " characters"));
    }
    return Optional.empty();
  }

  /**
   * The state after {@code event}; an event that cannot follow the state means a corrupt stream.
   */
  public static UserState evolve(UserState state, UserEvent event) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(event, "event");
    if (event instanceof UserRegistered e) {
      if (state instanceof Registered) {
        throw corrupt(state, event);
      }
      return new Registered(
          e.userId(),
          e.username(),
          e.normalizedUsername(),
          e.passwordHash(),
          e.email(),
          e.name(),
          e.emailVerified(),
          false,
          e.registeredAt());
    }
    if (!(state instanceof Registered r) || !r.userId().equals(event.userId())) {
      throw corrupt(state, event);
    }
    if (event instanceof SessionStarted || event instanceof SessionEnded) {
      return state; // the account itself is unchanged; see UserStream for the sessions
    }
    if (event instanceof UserPasswordChanged e) {
      return new Registered(
          r.userId(),
          r.username(),
          r.normalizedUsername(),
          e.passwordHash(),
          r.email(),
          r.name(),
          r.emailVerified(),
          r.disabled(),
          r.registeredAt());
    }
    if (event instanceof UserDisabled || event instanceof UserEnabled) {
      return new Registered(
          r.userId(),
          r.username(),
          r.normalizedUsername(),
          r.passwordHash(),
          r.email(),
          r.name(),
          r.emailVerified(),
          event instanceof UserDisabled,
          r.registeredAt());
    }
    if (event instanceof UserEmailVerificationSet e) {
      return new Registered(
          r.userId(),
          r.username(),
          r.normalizedUsername(),
          r.passwordHash(),
          r.email(),
          r.name(),
          e.verified(),
          r.disabled(),
          r.registeredAt());
    }
    throw new IllegalArgumentException("unhandled user event " + event.type());
  }

  public static UserState replay(Iterable<? extends UserEvent> events) {
    UserState state = UserState.initial();
    for (UserEvent event : events) {
      state = evolve(state, event);
    }
    return state;
  }

  private static IllegalStateException corrupt(UserState state, UserEvent event) {
    return new IllegalStateException(
        "corrupt user stream: "
            + event.type()
            + " for '"
            + event.userId()
            + "' cannot follow "
            + (state instanceof Registered r
                ? "registered user '" + r.userId() + "'"
                : "an empty stream"));
  }
}
