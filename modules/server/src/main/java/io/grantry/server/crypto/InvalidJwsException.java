package io.grantry.server.crypto;

/**
 * A compact JWS was refused: malformed, an algorithm we do not accept, an unknown key, or a
 * signature that does not verify. The message never quotes the token.
 */
public final class InvalidJwsException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidJwsException(String message) {
    super(message);
  }
}
