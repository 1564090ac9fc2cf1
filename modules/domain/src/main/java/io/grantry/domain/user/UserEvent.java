package io.grantry.domain.user;

/**
 * What has happened to a user account and its browser sessions. Past tense, immutable; passwords
 * and session secrets appear only as hashes.
 */
public sealed interface UserEvent
    permits UserRegistered,
        UserPasswordChanged,
        UserDisabled,
        UserEnabled,
        UserEmailVerificationSet,
        SessionStarted,
        SessionEnded {

  String userId();

  /** The versioned type string under which the event is stored. */
  String type();
}
