package io.grantry.domain.authorize;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.DeviceAuthorizationRequested;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the device verification page may do with a code the signed-in user typed (RFC 8628 §3.3),
 * checked at every step (showing the consent page, and the answer posted from it) the way every
 * step of {@code /authorize} checks its request against the client's current registration: the code
 * must be this grant's, the grant must still wait for an answer and be live, and its client must
 * still be registered, enabled, allowed the device code grant and every scope the device asked for.
 * Pure.
 *
 * <p>Unlike {@code /authorize}, the consent page is always shown, whatever the user allowed the
 * client before and even for a first-party client ({@code skip_consent}): the code may have come
 * from someone else's device (RFC 8628 §5.4, remote phishing), so the person must see which
 * application they are connecting and confirm. Allowing is remembered as consent all the same, so
 * the account page lists the application and withdrawing it revokes the device's grant.
 */
public final class DeviceVerification {
  private DeviceVerification() {}

  /** Why a typed code cannot be answered. */
  public enum Problem {
    /** No live grant holds this code (mistyped, guessed, or long expired). */
    UNKNOWN_CODE,
    /** The code was answered already (allowed or denied), or its grant revoked. */
    ALREADY_USED,
    /** The code's time is over. */
    EXPIRED,
    /** The client is gone, disabled, or no longer allowed what the device asked for. */
    CLIENT_NOT_ALLOWED
  }

  /** The outcome of {@link #check}. */
  public sealed interface Checked permits Ready, Refused {}

  /** The device waits for this user's answer; the page shows its client and scopes. */
  public record Ready(DeviceAuthorizationRequested request, ClientState.Registered client)
      implements Checked {
    public Ready {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(client, "client");
    }
  }

  public record Refused(Problem problem) implements Checked {
    public Refused {
      Objects.requireNonNull(problem, "problem");
    }
  }

  /**
   * @param state the state of the grant the code's claim names (the initial state if none does)
   * @param userCodeHash the keyed hash of the typed code
   * @param client the grant's client as registered now (empty if not registered)
   */
  public static Checked check(
      GrantState state, String userCodeHash, Optional<ClientState.Registered> client, Instant now) {
    GrantState st = state instanceof GrantState.Revoked r ? r.before() : state;
    Optional<DeviceAuthorizationRequested> request = requestOf(st);
    if (request.isEmpty() || !GrantTokens.hashesEqual(userCodeHash, request.get().userCodeHash())) {
      return new Refused(Problem.UNKNOWN_CODE);
    }
    DeviceAuthorizationRequested r = request.get();
    if (!(state instanceof GrantState.DeviceRequested)) {
      return new Refused(Problem.ALREADY_USED);
    }
    if (!now.isBefore(r.expiresAt())) {
      return new Refused(Problem.EXPIRED);
    }
    Optional<ClientState.Registered> allowed =
        client
            .filter(c -> c.clientId().equals(r.clientId()))
            .filter(c -> !c.disabled())
            .filter(c -> c.metadata().allows(GrantType.DEVICE_CODE))
            .filter(c -> r.scopes().isSubsetOf(c.metadata().allowedScopes()));
    return allowed
        .<Checked>map(c -> new Ready(r, c))
        .orElseGet(() -> new Refused(Problem.CLIENT_NOT_ALLOWED));
  }

  private static Optional<DeviceAuthorizationRequested> requestOf(GrantState state) {
    if (state instanceof GrantState.DeviceRequested d) {
      return Optional.of(d.request());
    }
    if (state instanceof GrantState.DeviceApproved d) {
      return Optional.of(d.request());
    }
    if (state instanceof GrantState.DeviceDenied d) {
      return Optional.of(d.request());
    }
    if (state instanceof GrantState.Active a) {
      return a.device().map(GrantState.DeviceAuthorization::request);
    }
    return Optional.empty();
  }
}
