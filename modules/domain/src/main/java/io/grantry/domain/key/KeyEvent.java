package io.grantry.domain.key;

/**
 * What has happened to the server's signing keys. All live in one stream ({@link
 * KeyRingDecider#STREAM_ID}): the ring is small and a rotation touches two keys at once. Private
 * keys appear only encrypted with the key-encryption key.
 */
public sealed interface KeyEvent
    permits SigningKeyGenerated, SigningKeyActivated, SigningKeyRetired {

  String kid();

  /** The versioned type string under which the event is stored. */
  String type();
}
