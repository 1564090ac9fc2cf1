package io.grantry.server.crypto;

/**
 * A sealed private key could not be opened. The message names the kid and the reason, never a byte
 * of key material, so it may be logged.
 */
public final class KeyDecryptionException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String kid;

  public KeyDecryptionException(String kid, String reason) {
    super("cannot decrypt the private key of kid '" + kid + "': " + reason);
    this.kid = kid;
  }

  public String kid() {
    return kid;
  }
}
