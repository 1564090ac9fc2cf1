package io.grantry.domain.user;

import java.util.Objects;
import java.util.Optional;

/**
 * What is asked of a user account. The password is hashed before the command is made (check it
 * first with {@link PasswordPolicy}); the command never holds the password itself.
 */
public sealed interface UserCommand
    permits UserCommand.Register,
        UserCommand.ChangePassword,
        UserCommand.Disable,
        UserCommand.Enable,
        UserCommand.SetEmailVerified {

  String userId();

  record Register(
      String userId,
      String username,
      String passwordHash,
      Optional<String> email,
      Optional<String> name,
      boolean emailVerified)
      implements UserCommand {
    public Register {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(passwordHash, "passwordHash");
      Objects.requireNonNull(email, "email");
      Objects.requireNonNull(name, "name");
    }

    /** A registration whose email address (if any) is not verified. */
    public Register(
        String userId,
        String username,
        String passwordHash,
        Optional<String> email,
        Optional<String> name) {
      this(userId, username, passwordHash, email, name, false);
    }
  }

  /** Says whether the user's email address is verified (it must have one to be verified). */
  record SetEmailVerified(String userId, boolean verified) implements UserCommand {
    public SetEmailVerified {
      Objects.requireNonNull(userId, "userId");
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

  /** Lets a disabled user sign in again; ended sessions and revoked grants stay so. */
  record Enable(String userId) implements UserCommand {
    public Enable {
      Objects.requireNonNull(userId, "userId");
    }
  }
}
