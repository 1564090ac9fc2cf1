package io.grantry.resource;

/**
 * Why a request's access token (or its DPoP proof) was refused: an RFC 6750 §3.1 / RFC 9449 §7.1
 * error code and a description safe to send back (never the token, never a key). No stack trace: it
 * is an answer, not a fault.
 */
public final class InvalidTokenException extends RuntimeException {
  private final String error;

  InvalidTokenException(String error, String description) {
    super(description, null, false, false);
    this.error = error;
  }

  static InvalidTokenException invalidToken(String description) {
    return new InvalidTokenException("invalid_token", description);
  }

  static InvalidTokenException invalidProof(String description) {
    return new InvalidTokenException("invalid_dpop_proof", description);
  }

  /** RFC 9449 §9: the proof lacks a nonce this server gave out (or carries a stale one). */
  static InvalidTokenException useNonce(String description) {
    return new InvalidTokenException("use_dpop_nonce", description);
  }

  /** {@code invalid_token}, {@code invalid_dpop_proof} or {@code use_dpop_nonce}. */
  public String error() {
    return error;
  }
}
