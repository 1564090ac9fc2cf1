package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A device asked to be authorized (RFC 8628 §3.1-§3.2): the first event of a device code grant. The
 * device polls the token endpoint with its device code while a person enters the user code on the
 * verification page and approves or denies.
 *
 * @param scopes the scopes asked for, already within what the client may ask for
 * @param deviceCodeHash SHA-256 hash of the device code's secret (the device code is {@code
 *     <grantId>.<secret>}, 256 random bits, like an authorization code: {@link GrantTokens})
 * @param userCodeHash keyed hash of the user code as typed without case and dashes ({@link
 *     UserCodes#normalize}); keyed, not plain SHA-256, because a user code has only about 35 bits
 *     and a plain hash in a ledger that auditors export could be reversed in minutes
 * @param interval the polling interval the device was told (RFC 8628 §3.2); a device polling faster
 *     gets {@code slow_down} and a longer interval
 * @param expiresAt end of the device code's and the user code's life, exclusive
 * @param dpopJkt the DPoP key the device code is bound to (RFC 9449 thumbprint), from the request's
 *     DPoP proof or its {@code dpop_jkt}: every poll must prove that key, and the tokens are bound
 *     to it. Empty: the tokens are bound to the key of the poll that gets them, if it has one
 */
public record DeviceAuthorizationRequested(
    String grantId,
    String clientId,
    Scopes scopes,
    String deviceCodeHash,
    String userCodeHash,
    Duration interval,
    Instant requestedAt,
    Instant expiresAt,
    Optional<String> dpopJkt)
    implements GrantEvent {
  public static final String TYPE = "grant.device_authorization_requested.v1";

  /** A device code not bound to a DPoP key. */
  public DeviceAuthorizationRequested(
      String grantId,
      String clientId,
      Scopes scopes,
      String deviceCodeHash,
      String userCodeHash,
      Duration interval,
      Instant requestedAt,
      Instant expiresAt) {
    this(
        grantId,
        clientId,
        scopes,
        deviceCodeHash,
        userCodeHash,
        interval,
        requestedAt,
        expiresAt,
        Optional.empty());
  }

  public DeviceAuthorizationRequested {
    Objects.requireNonNull(dpopJkt, "dpopJkt");
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(scopes, "scopes");
    Objects.requireNonNull(deviceCodeHash, "deviceCodeHash");
    Objects.requireNonNull(userCodeHash, "userCodeHash");
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(requestedAt, "requestedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
