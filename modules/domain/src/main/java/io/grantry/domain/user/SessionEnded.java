package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;

/** A browser session ended: its cookie no longer signs anyone in, on any server instance. */
public record SessionEnded(
    String userId, String sessionId, SessionEndReason reason, Instant endedAt)
    implements UserEvent {
  public static final String TYPE = "user.session_ended.v1";

  public SessionEnded {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(endedAt, "endedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
