package io.grantry.domain.user;

import java.util.Optional;

/** Why a browser session ended; the wire spelling is what the ledger and the admin API show. */
public enum SessionEndReason {
  /**
   * The person signed out: of this browser, or of another of their sessions from the account page
   * ("sign out everywhere else").
   */
  SIGNED_OUT("signed_out"),
  /** The account's password was changed or reset: every session of the user ends. */
  PASSWORD_CHANGED("password_changed"),
  /** The account was disabled: every session of the user ends. */
  USER_DISABLED("user_disabled"),
  /** An administrator ended it (admin API, CLI). */
  ADMIN("admin"),
  /** Its absolute lifetime had passed; recorded when the user next signs in. */
  EXPIRED("expired"),
  /**
   * The same browser signed in again (a new session replaces the one its cookie held), or the
   * user's live sessions reached {@link SessionDecider#MAX_LIVE_SESSIONS} and this was the oldest.
   */
  REPLACED("replaced");

  private final String wire;

  SessionEndReason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<SessionEndReason> fromWire(String value) {
    for (SessionEndReason r : values()) {
      if (r.wire.equals(value)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
