package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The signed-in user entered the user code on the verification page and allowed the device (RFC
 * 8628 §3.3). The device's next poll gets the tokens.
 *
 * @param userId the subject of the tokens
 * @param authTime when the user authenticated in the browser session that approved (the ID token's
 *     {@code auth_time})
 * @param sessionId the browser session that approved, for the audit trail. Not the device's
 *     session: the device's ID tokens carry no {@code sid}, and signing out of that browser does
 *     not sign the device out
 */
public record DeviceAuthorizationApproved(
    String grantId,
    String clientId,
    String userId,
    Instant authTime,
    Optional<String> sessionId,
    Instant approvedAt)
    implements GrantEvent {
  public static final String TYPE = "grant.device_authorization_approved.v1";

  public DeviceAuthorizationApproved {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(authTime, "authTime");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(approvedAt, "approvedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
