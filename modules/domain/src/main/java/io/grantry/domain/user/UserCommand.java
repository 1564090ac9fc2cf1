package io.grantry.domain.user;

import java.util.Objects;
import java.util.Optional;

/**
 * What is asked of a user account. The password is hashed before the command is made (check it
 * first with {@link PasswordPolicy}); the command never holds the password itself.
 */
public sealed interface UserCommand
    permits UserCommand.Register, UserCommand.ChangePassword, UserCommand.Disable {

  String userId();

  record Register(
      String userId,
      String username,
      String passwordHash,
      Optional<String> email,
      Optional<String> name)
      implements UserCommand {
    public Register {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(passwordHash, "passwordHash");
      Objects.requireNonNull(email, "email");
      Objects.requireNonNull(name, "name");
    }
  }

  record ChangePassword(String userId, String passwordHash) implements UserCommand {
    public ChangePassword {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(passwordHash, "passwordHash");
    }
  }

  record Disable(String userId) implements UserCommand {
    public Disable {
      Objects.requireNonNull(userId, "userId");
    }
  }
}
