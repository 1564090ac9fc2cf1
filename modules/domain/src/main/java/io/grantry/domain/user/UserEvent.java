package io.grantry.domain.user;

/** What has happened to a user account. Past tense, immutable; passwords appear only as hashes. */
public sealed interface UserEvent permits UserRegistered, UserPasswordChanged, UserDisabled {

  String userId();

  /** The versioned type string under which the event is stored. */
  String type();
}
