package io.grantry.domain.user;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What is asked of a user's browser sessions. Ids and secret hashes are made by the caller (the
 * domain has no randomness); the cookie's secret itself never reaches a command.
 */
public sealed interface SessionCommand
    permits SessionCommand.Start, SessionCommand.End, SessionCommand.EndAll {

  String userId();

  /**
   * Start a session after the person authenticated now.
   *
   * @param lifetime the absolute lifetime
   * @param replacing the session this browser's cookie held, if any: it ends as {@code replaced}
   */
  record Start(
      String userId,
      String sessionId,
      String secretHash,
      String method,
      Duration lifetime,
      Optional<String> address,
      Optional<String> userAgent,
      Optional<String> replacing)
      implements SessionCommand {
    public Start {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(sessionId, "sessionId");
      Objects.requireNonNull(secretHash, "secretHash");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(lifetime, "lifetime");
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(userAgent, "userAgent");
      Objects.requireNonNull(replacing, "replacing");
    }
  }

  /** End one session; ending one that already ended (or never was) changes nothing. */
  record End(String userId, String sessionId, SessionEndReason reason) implements SessionCommand {
    public End {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(sessionId, "sessionId");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** End every session of the user, except {@code keep} ("sign out everywhere else"). */
  record EndAll(String userId, SessionEndReason reason, Optional<String> keep)
      implements SessionCommand {
    public EndAll {
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(keep, "keep");
    }
  }
}
