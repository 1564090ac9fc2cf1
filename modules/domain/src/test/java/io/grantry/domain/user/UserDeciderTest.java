package io.grantry.domain.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.user.UserCommand.ChangePassword;
import io.grantry.domain.user.UserCommand.Disable;
import io.grantry.domain.user.UserCommand.Register;
import io.grantry.domain.user.UserState.Registered;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UserDeciderTest {
  static final Instant T0 = Instant.parse("2025-02-01T08:00:00Z");
  static final String HASH_1 =
      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo";
  static final String HASH_2 =
      "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0b3RoZXI$b3RoZXJoYXNob3RoZXJoYXNob3RoZXI";

  private static Register alice() {
    return new Register(
        "u-1", "Alice.Smith", HASH_1, Optional.of("alice@example.com"), Optional.of("Alice Smith"));
  }

  private static UserState registered() {
    return UserDecider.replay(UserDecider.decide(UserState.initial(), alice(), T0).events());
  }

  private static ValidationError validationError(Decision<UserEvent> d) {
    assertThat(d).isInstanceOf(Decision.Rejected.class);
    DomainError e = ((Decision.Rejected<UserEvent>) d).error();
    assertThat(e).isInstanceOf(ValidationError.class);
    return (ValidationError) e;
  }

  @Test
  void registersWithANormalizedUsername() {
    Decision<UserEvent> d = UserDecider.decide(UserState.initial(), alice(), T0);
    assertThat(d.events())
        .containsExactly(
            new UserRegistered(
                "u-1",
                "Alice.Smith",
                "alice.smith",
                HASH_1,
                Optional.of("alice@example.com"),
                Optional.of("Alice Smith"),
                T0));
    Registered r = (Registered) UserDecider.replay(d.events());
    assertThat(r.normalizedUsername()).isEqualTo("alice.smith");
    assertThat(r.passwordHash()).isEqualTo(HASH_1);
    assertThat(r.disabled()).isFalse();
  }

  @Test
  void theEmailIsVerifiedOnlyWhenSaidAndOnlyWhenThereIsOne() {
    Registered r = (Registered) registered();
    assertThat(r.emailVerified()).as("a registration's email is unverified by default").isFalse();

    Decision<UserEvent> verify =
        UserDecider.decide(r, new UserCommand.SetEmailVerified("u-1", true), T0);
    assertThat(verify.events()).containsExactly(new UserEmailVerificationSet("u-1", true, T0));
    Registered verified = (Registered) UserDecider.evolve(r, verify.events().get(0));
    assertThat(verified.emailVerified()).isTrue();
    assertThat(UserDecider.decide(verified, new UserCommand.SetEmailVerified("u-1", true), T0))
        .isEqualTo(Decision.unchanged());
    // A password change keeps it.
    Registered changed =
        (Registered)
            UserDecider.evolve(verified, new UserPasswordChanged("u-1", HASH_2, T0.plusSeconds(1)));
    assertThat(changed.emailVerified()).isTrue();

    // No email, nothing to verify: at registration and after.
    Register noEmail = new Register("u-2", "bob", HASH_1, Optional.empty(), Optional.empty(), true);
    assertThat(validationError(UserDecider.decide(UserState.initial(), noEmail, T0)).field())
        .isEqualTo("email_verified");
    UserState bob =
        UserDecider.replay(
            UserDecider.decide(
                    UserState.initial(),
                    new Register("u-2", "bob", HASH_1, Optional.empty(), Optional.empty()),
                    T0)
                .events());
    assertThat(
            validationError(
                    UserDecider.decide(bob, new UserCommand.SetEmailVerified("u-2", true), T0))
                .field())
        .isEqualTo("email_verified");

    // Registered verified.
    Register verifiedAtOnce =
        new Register("u-3", "cyd", HASH_1, Optional.of("cy@example.com"), Optional.empty(), true);
    assertThat(
            ((Registered)
                    UserDecider.replay(
                        UserDecider.decide(UserState.initial(), verifiedAtOnce, T0).events()))
                .emailVerified())
        .isTrue();
  }

  @Test
  void refusesASecondRegistration() {
    assertThat(UserDecider.decide(registered(), alice(), T0))
        .isEqualTo(Decision.reject(new DomainError.AlreadyExists("user", "u-1")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ab", "a b c", "alice!", "al\u0130ce", "\u0430lice", ""})
  void refusesBadUsernames(String username) {
    Register c = new Register("u-1", username, HASH_1, Optional.empty(), Optional.empty());
    assertThat(validationError(UserDecider.decide(UserState.initial(), c, T0)).field())
        .isEqualTo("username");
  }

  @Test
  void usernameLengthBounds() {
    assertThat(Usernames.problemWith("abc")).isEmpty();
    assertThat(Usernames.problemWith("a".repeat(64))).isEmpty();
    assertThat(Usernames.problemWith("a".repeat(65))).isPresent();
    assertThat(Usernames.problemWith("alice+test@example.com")).isEmpty();
  }

  @Test
  void refusesAPasswordInsteadOfAHashWithoutEchoingIt() {
    Register c =
        new Register("u-1", "alice", "correct horse battery", Optional.empty(), Optional.empty());
    ValidationError e = validationError(UserDecider.decide(UserState.initial(), c, T0));
    assertThat(e.field()).isEqualTo("password_hash");
    assertThat(e.message()).doesNotContain("correct horse");
  }

  @Test
  void checksIdEmailAndName() {
    assertThat(
            validationError(
                    UserDecider.decide(
                        UserState.initial(),
                        new Register("u 1", "alice", HASH_1, Optional.empty(), Optional.empty()),
                        T0))
                .field())
        .isEqualTo("user_id");
    assertThat(
            validationError(
                    UserDecider.decide(
                        UserState.initial(),
                        new Register(
                            "u-1", "alice", HASH_1, Optional.of("not-an-email"), Optional.empty()),
                        T0))
                .field())
        .isEqualTo("email");
    assertThat(
            validationError(
                    UserDecider.decide(
                        UserState.initial(),
                        new Register(
                            "u-1", "alice", HASH_1, Optional.empty(), Optional.of("Eve\u0000")),
                        T0))
                .field())
        .isEqualTo("name");
  }

  @Test
  void passwordPolicyIsAboutLength() {
    assertThat(PasswordPolicy.problemWith("1234567"))
        .get()
        .extracting(ValidationError::field)
        .isEqualTo("password");
    assertThat(PasswordPolicy.problemWith("12345678")).isEmpty();
    assertThat(PasswordPolicy.problemWith("x".repeat(1025))).isPresent();
    assertThat(PasswordPolicy.problemWith("secret7").get().message()).doesNotContain("secret7");
  }

  @Test
  void changesThePassword() {
    UserState state = registered();
    Decision<UserEvent> d =
        UserDecider.decide(state, new ChangePassword("u-1", HASH_2), T0.plusSeconds(9));
    assertThat(d.events())
        .containsExactly(new UserPasswordChanged("u-1", HASH_2, T0.plusSeconds(9)));
    assertThat(((Registered) UserDecider.evolve(state, d.events().get(0))).passwordHash())
        .isEqualTo(HASH_2);
    assertThat(UserDecider.decide(state, new ChangePassword("u-1", HASH_1), T0).events()).isEmpty();
    assertThat(
            validationError(UserDecider.decide(state, new ChangePassword("u-1", "hunter22"), T0))
                .field())
        .isEqualTo("password_hash");
  }

  @Test
  void unknownUsersAreNotFoundAndDisabledUsersAreFrozen() {
    assertThat(UserDecider.decide(UserState.initial(), new ChangePassword("u-9", HASH_2), T0))
        .isEqualTo(Decision.reject(new DomainError.NotFound("user", "u-9")));
    assertThat(UserDecider.decide(UserState.initial(), new Disable("u-9"), T0))
        .isEqualTo(Decision.reject(new DomainError.NotFound("user", "u-9")));

    UserState state = registered();
    Decision<UserEvent> d = UserDecider.decide(state, new Disable("u-1"), T0);
    assertThat(d.events()).containsExactly(new UserDisabled("u-1", T0));
    UserState disabled = UserDecider.evolve(state, d.events().get(0));
    assertThat(UserDecider.decide(disabled, new Disable("u-1"), T0).events()).isEmpty();
    assertThat(UserDecider.decide(disabled, new ChangePassword("u-1", HASH_2), T0))
        .isEqualTo(Decision.reject(new DomainError.Disabled("user", "u-1")));

    Decision<UserEvent> enable = UserDecider.decide(disabled, new UserCommand.Enable("u-1"), T0);
    assertThat(enable.events()).containsExactly(new UserEnabled("u-1", T0));
    UserState enabled = UserDecider.evolve(disabled, enable.events().get(0));
    assertThat(enabled).isEqualTo(state);
    assertThat(UserDecider.decide(enabled, new UserCommand.Enable("u-1"), T0).events()).isEmpty();
    assertThat(UserDecider.decide(UserState.initial(), new UserCommand.Enable("u-9"), T0))
        .isEqualTo(Decision.reject(new DomainError.NotFound("user", "u-9")));
  }

  @Test
  void evolveRefusesCorruptStreams() {
    assertThatThrownBy(() -> UserDecider.evolve(UserState.initial(), new UserDisabled("u-1", T0)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () -> UserDecider.evolve(registered(), new UserPasswordChanged("u-2", HASH_2, T0)))
        .isInstanceOf(IllegalStateException.class);
  }

  /**
   * Names that differ only in case normalize to one key; the stored display name is kept as typed.
   */
  @Property(tries = 300)
  void normalizationIsCaseInsensitiveAndIdempotent(
      @ForAll
          @StringLength(min = 3, max = 64)
          @CharRange(from = 'a', to = 'z')
          @CharRange(from = 'A', to = 'Z')
          @Chars({'.', '_', '-', '@', '+', '0', '9'})
          String username) {
    String lower = username.toLowerCase(Locale.ROOT);
    String upper = username.toUpperCase(Locale.ROOT);
    assertThat(Usernames.normalize(lower)).isEqualTo(Usernames.normalize(upper));
    assertThat(Usernames.normalize(Usernames.normalize(username)))
        .isEqualTo(Usernames.normalize(username));

    Register c = new Register("u-1", username, HASH_1, Optional.empty(), Optional.empty());
    Decision<UserEvent> d = UserDecider.decide(UserState.initial(), c, T0);
    Registered r = (Registered) UserDecider.replay(d.events());
    assertThat(r.username()).isEqualTo(username);
    assertThat(r.normalizedUsername()).isEqualTo(lower);
  }
}
