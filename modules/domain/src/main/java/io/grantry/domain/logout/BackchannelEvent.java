package io.grantry.domain.logout;

import java.time.Instant;
import java.util.Optional;

/**
 * What happened to a back-channel logout (OpenID Connect Back-Channel Logout 1.0): one stream per
 * ended session and client, {@code backchannel:<session id>:<client id>}, recording every attempt
 * to deliver its logout token, so that an auditor reads in the user's history which applications
 * were told, when, and which could not be.
 */
public sealed interface BackchannelEvent
    permits BackchannelEvent.Delivered, BackchannelEvent.AttemptFailed, BackchannelEvent.Abandoned {

  String userId();

  String sessionId();

  String clientId();

  /** Which attempt this was, from 1. */
  int attempt();

  Instant at();

  static String streamId(String sessionId, String clientId) {
    return "backchannel:" + sessionId + ":" + clientId;
  }

  /** The client's back-channel logout URI answered 200 (or 204). */
  record Delivered(
      String userId, String sessionId, String clientId, int attempt, int status, Instant at)
      implements BackchannelEvent {
    public static final String TYPE = "backchannel.logout_delivered.v1";
  }

  /**
   * The attempt failed (a status other than 200 or 204, a timeout, a refused connection); another
   * follows at {@code nextAttemptAt}.
   *
   * @param reason what went wrong, for people (never a token)
   * @param status the HTTP status, when there was an answer
   */
  record AttemptFailed(
      String userId,
      String sessionId,
      String clientId,
      int attempt,
      String reason,
      Optional<Integer> status,
      Instant nextAttemptAt,
      Instant at)
      implements BackchannelEvent {
    public static final String TYPE = "backchannel.logout_attempt_failed.v1";
  }

  /** No further attempt: the time to deliver ran out, or the client no longer has a URI. */
  record Abandoned(
      String userId, String sessionId, String clientId, int attempt, String reason, Instant at)
      implements BackchannelEvent {
    public static final String TYPE = "backchannel.logout_abandoned.v1";
  }
}
