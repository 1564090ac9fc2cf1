package io.grantry.domain.client;

/** What has happened to a client. Past tense, immutable, and free of secrets. */
public sealed interface ClientEvent
    permits ClientRegistered, ClientUpdated, ClientSecretRotated, ClientDisabled, ClientEnabled {

  String clientId();

  /** The versioned type string under which the event is stored. */
  String type();
}
