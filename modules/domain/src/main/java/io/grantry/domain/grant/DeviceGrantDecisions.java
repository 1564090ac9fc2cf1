package io.grantry.domain.grant;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.FieldRules;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand.AnswerDeviceAuthorization;
import io.grantry.domain.grant.GrantCommand.RedeemDeviceCode;
import io.grantry.domain.grant.GrantCommand.RequestDeviceAuthorization;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.grant.GrantState.DeviceApproved;
import io.grantry.domain.grant.GrantState.DeviceDenied;
import io.grantry.domain.grant.GrantState.DeviceRequested;
import io.grantry.domain.grant.GrantState.Revoked;
import io.grantry.domain.oauth.OAuthError;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The device authorization grant's decisions (RFC 8628), part of {@link GrantDecider}: the request,
 * the user's answer, and the device's polls. Kept apart from the code flow's for readability; the
 * state machine is one: {@code Empty → DeviceRequested → DeviceApproved → Active} (or {@code →
 * DeviceDenied}), and from {@code Active} on a device grant is refreshed and revoked like any
 * other.
 *
 * <h2>What a poll is answered</h2>
 *
 * The client and the device code are checked first, without effect on failure ({@code
 * invalid_grant}): a poll with another client's device code learns nothing about it. Then, by
 * state: waiting for the user, {@code expired_token} after the code's life, else {@code slow_down}
 * when the poll came too fast (the fact arrives in the command, see {@link
 * GrantDecider#needsPollRecord}), else {@code authorization_pending}; denied, {@code
 * access_denied}; approved, the tokens ({@link DeviceCodeRedeemed}), or {@code expired_token} when
 * the device comes back only after the code's life; redeemed already, a replay (RFC 6749 §10.5 as
 * for codes): {@link DeviceCodeReplayed} and the grant revoked.
 *
 * <h2>DPoP (RFC 9449)</h2>
 *
 * A device code requested with a DPoP proof or a {@code dpop_jkt} is bound to that key: a poll that
 * does not prove it is refused with the client and code checks, before anything else, and is not
 * recorded as a poll (a thief's polls neither slow the device down nor, after the tokens, revoke
 * its grant). The tokens are bound to the key of the poll that gets them (the request's key, for a
 * bound code): the access token when it is a JWT, a public client's refresh token too, as for a
 * code.
 */
final class DeviceGrantDecisions {
  /** RFC 8628 leaves it open; half an hour is the longest a person plausibly needs. */
  static final Duration MAX_LIFETIME = Duration.ofMinutes(30);

  /** RFC 8628 §3.2 defaults the interval to 5 s; beyond a minute a device seems stuck. */
  static final Duration MAX_INTERVAL = Duration.ofMinutes(1);

  private DeviceGrantDecisions() {}

  static Decision<GrantEvent> request(GrantState state, RequestDeviceAuthorization c, Instant now) {
    Optional<ValidationError> problem =
        GrantDecider.grantIdProblem(c.grantId())
            .or(() -> FieldRules.identifier("client_id", c.clientId(), GrantDecider.MAX_ID_LENGTH))
            .or(() -> GrantDecider.hashProblem("device_code_hash", c.deviceCodeHash()))
            .or(() -> GrantDecider.hashProblem("user_code_hash", c.userCodeHash()))
            .or(() -> GrantDecider.durationProblem("interval", c.interval(), MAX_INTERVAL))
            .or(() -> GrantDecider.durationProblem("lifetime", c.lifetime(), MAX_LIFETIME));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (!(state instanceof GrantState.Empty)) {
      return Decision.reject(new DomainError.AlreadyExists(GrantDecider.KIND, c.grantId()));
    }
    if (c.dpopJkt().isPresent() && !GrantDecider.isThumbprint(c.dpopJkt().get())) {
      return oauth(
          OAuthError.invalidRequest(
              "dpop_jkt must be a SHA-256 JWK thumbprint: 43 base64url characters (RFC 9449 §10)"));
    }
    return Decision.accept(
        new DeviceAuthorizationRequested(
            c.grantId(),
            c.clientId(),
            c.scopes(),
            c.deviceCodeHash(),
            c.userCodeHash(),
            c.interval(),
            now,
            now.plus(c.lifetime()),
            c.dpopJkt()));
  }

  /**
   * The user's answer. Refusals are OAuth errors the verification page words for people: an unknown
   * or mistyped code ({@code invalid_grant}), a code already answered ({@code invalid_grant}), an
   * expired one ({@code expired_token}).
   */
  static Decision<GrantEvent> answer(GrantState state, AnswerDeviceAuthorization c, Instant now) {
    Optional<ValidationError> problem =
        GrantDecider.hashProblem("user_code_hash", c.userCodeHash())
            .or(() -> FieldRules.identifier("user_id", c.userId(), GrantDecider.MAX_ID_LENGTH));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (c.authTime().isAfter(now)) {
      return Decision.reject(
          new ValidationError("auth_time", "auth_time must not be after the answer"));
    }
    DeviceAuthorizationRequested request = requestOf(state).orElse(null);
    if (request == null || !GrantTokens.hashesEqual(c.userCodeHash(), request.userCodeHash())) {
      return invalidGrant("unknown user code");
    }
    if (!(state instanceof DeviceRequested)) {
      return invalidGrant("the user code was already used");
    }
    if (!now.isBefore(request.expiresAt())) {
      return oauth(OAuthError.expiredToken("the user code has expired"));
    }
    return Decision.accept(
        c.approve()
            ? new DeviceAuthorizationApproved(
                c.grantId(), request.clientId(), c.userId(), c.authTime(), c.sessionId(), now)
            : new DeviceAuthorizationDenied(c.grantId(), request.clientId(), c.userId(), now));
  }

  /** A poll (RFC 8628 §3.4, §3.5); see the class comment for the order of the answers. */
  static Decision<GrantEvent> redeem(GrantState state, RedeemDeviceCode c, Instant now) {
    Optional<ValidationError> problem =
        GrantDecider.hashProblem("device_code_hash", c.deviceCodeHash())
            .or(() -> GrantDecider.jtiProblem(c.grantId(), c.accessTokenJti()))
            .or(
                () ->
                    c.refreshTokenHash()
                        .flatMap(h -> GrantDecider.hashProblem("refresh_token_hash", h)));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    GrantState st = state instanceof Revoked r ? r.before() : state;
    DeviceAuthorizationRequested request =
        st instanceof Active a
            ? a.device().map(GrantState.DeviceAuthorization::request).orElse(null)
            : requestOf(st).orElse(null);
    if (request == null) {
      return invalidGrant("invalid device code");
    }
    if (!request.clientId().equals(c.clientId())) {
      return invalidGrant("the device code was issued to another client");
    }
    if (!GrantTokens.hashesEqual(c.deviceCodeHash(), request.deviceCodeHash())) {
      return invalidGrant("invalid device code");
    }
    if (!provesKey(request, c)) {
      // Like a wrong client: whoever holds the device code without its key learns and changes
      // nothing, not even by presenting it after the tokens were issued.
      return invalidGrant(
          "the device code is bound to a DPoP key: every poll must carry a proof of that key"
              + " (RFC 9449)");
    }
    if (state instanceof Revoked) {
      return invalidGrant("the device code was revoked");
    }
    if (state instanceof Active a) {
      return Decision.accept(
          List.of(
              new DeviceCodeReplayed(a.grantId(), c.clientId(), now),
              new GrantRevoked(
                  a.grantId(),
                  RevocationReason.DEVICE_CODE_REPLAYED,
                  GrantDecider.SYSTEM_ACTOR,
                  now)));
    }
    if (state instanceof DeviceDenied) {
      return oauth(OAuthError.accessDenied("the user denied the device"));
    }
    if (!now.isBefore(request.expiresAt())) {
      return oauth(OAuthError.expiredToken("the device code has expired; start again"));
    }
    if (state instanceof DeviceRequested) {
      return c.pollTooFast()
          ? oauth(
              OAuthError.slowDown(
                  "polled sooner than the interval; wait 5 seconds longer from now on"))
          : oauth(OAuthError.authorizationPending("the user has not answered yet"));
    }
    DeviceApproved approved = (DeviceApproved) state;
    return GrantDecider.redeemed(
        request.grantId(),
        request.clientId(),
        approved.approval().userId(),
        request.scopes(),
        c.accessTokenJti(),
        c.refreshTokenHash(),
        c.lifetimes(),
        c.dpop(),
        now,
        DeviceCodeRedeemed::new);
  }

  /**
   * True if the poll may present this device code as far as DPoP goes: the device code is bound to
   * no key, or the poll proves the one it is bound to.
   */
  private static boolean provesKey(DeviceAuthorizationRequested request, RedeemDeviceCode c) {
    return request.dpopJkt().isEmpty() || request.dpopJkt().equals(c.dpop().jkt());
  }

  /**
   * True if deciding {@code c} on {@code state} needs to know whether the poll came too fast: the
   * grant waits for its user, the client and device code are right, and the code is live. Only such
   * polls are recorded (a poll after the answer ends the polling anyway).
   */
  static boolean needsPollRecord(GrantState state, RedeemDeviceCode c, Instant now) {
    return state instanceof DeviceRequested d
        && d.request().clientId().equals(c.clientId())
        && GrantTokens.hashesEqual(c.deviceCodeHash(), d.request().deviceCodeHash())
        && provesKey(d.request(), c)
        && now.isBefore(d.request().expiresAt());
  }

  /** The device's request, for a grant in one of the device states. */
  static Optional<DeviceAuthorizationRequested> requestOf(GrantState state) {
    if (state instanceof DeviceRequested d) {
      return Optional.of(d.request());
    }
    if (state instanceof DeviceApproved d) {
      return Optional.of(d.request());
    }
    if (state instanceof DeviceDenied d) {
      return Optional.of(d.request());
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ evolve

  static GrantState evolve(GrantState state, GrantEvent event) {
    if (event instanceof DeviceAuthorizationApproved e) {
      if (!(state instanceof DeviceRequested d)) {
        throw GrantDecider.corrupt(state, event, "no device waits for an answer");
      }
      return new DeviceApproved(d.request(), e);
    }
    if (event instanceof DeviceAuthorizationDenied e) {
      if (!(state instanceof DeviceRequested d)) {
        throw GrantDecider.corrupt(state, event, "no device waits for an answer");
      }
      return new DeviceDenied(d.request(), e);
    }
    if (event instanceof DeviceCodeRedeemed e) {
      if (!(state instanceof DeviceApproved d)) {
        throw GrantDecider.corrupt(state, event, "the device was not approved");
      }
      return new Active(
          e.grantId(),
          GrantType.DEVICE_CODE,
          e.clientId(),
          Optional.of(e.userId()),
          e.scopes(),
          Optional.empty(),
          e.refreshTokenHash()
              .map(
                  h ->
                      new GrantState.RefreshToken(
                          h, e.refreshTokenExpiresAt().orElseThrow(), e.refreshTokenJkt())),
          Optional.empty(),
          e.grantExpiresAt(),
          e.redeemedAt(),
          Optional.empty(),
          Optional.of(new GrantState.DeviceAuthorization(d.request(), d.approval())));
    }
    throw new IllegalArgumentException("not a device event: " + event.type());
  }

  private static Decision<GrantEvent> oauth(OAuthError error) {
    return Decision.reject(new DomainError.OAuth(error));
  }

  private static Decision<GrantEvent> invalidGrant(String description) {
    return oauth(OAuthError.invalidGrant(description));
  }
}
