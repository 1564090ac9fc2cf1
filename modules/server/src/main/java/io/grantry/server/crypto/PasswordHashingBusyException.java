package io.grantry.server.crypto;

/**
 * Every Argon2id slot is busy and the queue of work waiting for one is full: the caller is to come
 * back shortly. {@code http.Failures} answers it 503 with {@code Retry-After} (an HTML page for a
 * browser, JSON otherwise). No stack trace: it is load, not a fault.
 */
public final class PasswordHashingBusyException extends RuntimeException {
  /** Seconds a caller should wait before trying again. */
  public static final int RETRY_AFTER_SECONDS = 1;

  public PasswordHashingBusyException() {
    super("too many passwords are being checked at once; retry shortly", null, false, false);
  }
}
