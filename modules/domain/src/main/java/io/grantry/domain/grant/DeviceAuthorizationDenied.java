package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;

/**
 * The signed-in user entered the user code and denied the device. Final: the device's polls get
 * {@code access_denied} (RFC 8628 §3.5) and nothing is ever issued from this grant.
 */
public record DeviceAuthorizationDenied(
    String grantId, String clientId, String userId, Instant deniedAt) implements GrantEvent {
  public static final String TYPE = "grant.device_authorization_denied.v1";

  public DeviceAuthorizationDenied {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(deniedAt, "deniedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
