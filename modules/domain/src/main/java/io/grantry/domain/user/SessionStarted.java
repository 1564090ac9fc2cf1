package io.grantry.domain.user;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A person signed in in a browser: a server-side session began. The browser holds the session id
 * and a secret in its cookie; the ledger holds the id (which is not a secret: it will name the
 * session to relying parties, OIDC {@code sid}) and only a SHA-256 hash of the secret.
 *
 * @param sessionId the session's public id (128 random bits, base64url)
 * @param secretHash SHA-256 of the cookie's secret (256 random bits), base64url
 * @param authTime when the person authenticated (OIDC {@code auth_time}); the session's start
 * @param method how they authenticated (OIDC {@code amr} value, {@code pwd} for a password)
 * @param expiresAt the end of the session's absolute lifetime
 * @param address the client address the sign-in came from, as the server saw it
 * @param userAgent the browser's User-Agent, shortened; for the person's list of sessions
 */
public record SessionStarted(
    String userId,
    String sessionId,
    String secretHash,
    Instant authTime,
    String method,
    Instant expiresAt,
    Optional<String> address,
    Optional<String> userAgent)
    implements UserEvent {
  public static final String TYPE = "user.session_started.v1";

  public SessionStarted {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(authTime, "authTime");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(userAgent, "userAgent");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
