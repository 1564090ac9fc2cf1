package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.CLIENT;
import static io.grantry.domain.grant.GrantFixtures.DEVICE_CODE_HASH;
import static io.grantry.domain.grant.GrantFixtures.GRANT;
import static io.grantry.domain.grant.GrantFixtures.OTHER_CLIENT;
import static io.grantry.domain.grant.GrantFixtures.SCOPES;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.USER;
import static io.grantry.domain.grant.GrantFixtures.USER_CODE_HASH;
import static io.grantry.domain.grant.GrantFixtures.answerDevice;
import static io.grantry.domain.grant.GrantFixtures.apply;
import static io.grantry.domain.grant.GrantFixtures.deviceActive;
import static io.grantry.domain.grant.GrantFixtures.deviceApproved;
import static io.grantry.domain.grant.GrantFixtures.deviceRequested;
import static io.grantry.domain.grant.GrantFixtures.error;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.oauthError;
import static io.grantry.domain.grant.GrantFixtures.pollDevice;
import static io.grantry.domain.grant.GrantFixtures.refresh;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static io.grantry.domain.grant.GrantFixtures.requestDevice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand.AnswerDeviceAuthorization;
import io.grantry.domain.grant.GrantCommand.RedeemDeviceCode;
import io.grantry.domain.grant.GrantCommand.RequestDeviceAuthorization;
import io.grantry.domain.grant.GrantCommand.RevokeGrant;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.grant.GrantState.DeviceApproved;
import io.grantry.domain.grant.GrantState.DeviceDenied;
import io.grantry.domain.grant.GrantState.DeviceRequested;
import io.grantry.domain.grant.GrantState.Revoked;
import io.grantry.domain.oauth.OAuthError.Code;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The device authorization grant (RFC 8628) as pure decisions: the request, the user's answer, and
 * every answer a poll can get, in the order the decider checks them.
 */
class DeviceGrantDecisionTest {
  private static final Instant EXPIRY = T0.plusSeconds(600);

  private static Code code(Decision<GrantEvent> d) {
    return oauthError(d).code();
  }

  private static Decision<GrantEvent> poll(GrantState state, RedeemDeviceCode c, Instant now) {
    return GrantDecider.decide(state, c, now);
  }

  private static RedeemDeviceCode pollAs(String clientId, String deviceCodeHash) {
    return new RedeemDeviceCode(
        GRANT,
        clientId,
        deviceCodeHash,
        jti(0),
        Optional.of(refreshHash(0)),
        TokenLifetimes.DEFAULT,
        false);
  }

  @Test
  void theRequestStartsTheGrantWithHashesTheIntervalAndTheExpiry() {
    List<GrantEvent> events =
        GrantDecider.decide(GrantState.initial(), requestDevice(), T0).events();
    assertThat(events)
        .containsExactly(
            new DeviceAuthorizationRequested(
                GRANT,
                CLIENT,
                SCOPES,
                DEVICE_CODE_HASH,
                USER_CODE_HASH,
                Duration.ofSeconds(5),
                T0,
                EXPIRY));
    assertThat(GrantDecider.replay(events)).isInstanceOf(DeviceRequested.class);
    // A stream that exists, out-of-range numbers, and secrets instead of hashes are refused.
    assertThat(error(GrantDecider.decide(deviceRequested(), requestDevice(), T0)))
        .isInstanceOf(DomainError.AlreadyExists.class);
    for (RequestDeviceAuthorization bad :
        List.of(
            withTimes(Duration.ZERO, Duration.ofSeconds(600)),
            withTimes(Duration.ofSeconds(61), Duration.ofSeconds(600)),
            withTimes(Duration.ofSeconds(5), Duration.ofMinutes(31)),
            new RequestDeviceAuthorization(
                GRANT,
                CLIENT,
                SCOPES,
                "device-code-secret",
                USER_CODE_HASH,
                Duration.ofSeconds(5),
                Duration.ofSeconds(600)),
            new RequestDeviceAuthorization(
                GRANT,
                CLIENT,
                SCOPES,
                DEVICE_CODE_HASH,
                "BCDF-GHJK",
                Duration.ofSeconds(5),
                Duration.ofSeconds(600)))) {
      assertThat(error(GrantDecider.decide(GrantState.initial(), bad, T0)))
          .as("%s", bad)
          .isInstanceOf(DomainError.ValidationError.class);
    }
  }

  private static RequestDeviceAuthorization withTimes(Duration interval, Duration lifetime) {
    return new RequestDeviceAuthorization(
        GRANT, CLIENT, SCOPES, DEVICE_CODE_HASH, USER_CODE_HASH, interval, lifetime);
  }

  @Test
  void whileTheUserHasNotAnsweredAPollIsPendingOrTooFastUntilTheCodeExpires() {
    GrantState s = deviceRequested();
    Instant now = T0.plusSeconds(10);
    assertThat(GrantDecider.needsPollRecord(s, pollDevice(), now)).isTrue();
    assertThat(code(poll(s, pollDevice(), now))).isEqualTo(Code.AUTHORIZATION_PENDING);
    assertThat(code(poll(s, pollDevice().polled(true), now))).isEqualTo(Code.SLOW_DOWN);
    // At the expiry (exclusive) the code is dead: no poll is recorded, the answer is final.
    assertThat(GrantDecider.needsPollRecord(s, pollDevice(), EXPIRY)).isFalse();
    assertThat(code(poll(s, pollDevice(), EXPIRY))).isEqualTo(Code.EXPIRED_TOKEN);
    assertThat(code(poll(s, pollDevice().polled(true), EXPIRY))).isEqualTo(Code.EXPIRED_TOKEN);
  }

  @Test
  void anotherClientOrAWrongDeviceCodeLearnsNothingAndRecordsNoPoll() {
    for (GrantState s : List.of(deviceRequested(), deviceApproved(), deviceActive())) {
      for (RedeemDeviceCode c :
          List.of(
              pollAs(OTHER_CLIENT, DEVICE_CODE_HASH),
              pollAs(CLIENT, GrantTokens.hash("guessed")))) {
        assertThat(GrantDecider.needsPollRecord(s, c, T0.plusSeconds(30))).isFalse();
        assertThat(code(poll(s, c, T0.plusSeconds(30))))
            .as("%s on %s", c, s.getClass().getSimpleName())
            .isEqualTo(Code.INVALID_GRANT);
      }
    }
    // An unknown grant, and a code grant's stream presented as a device code.
    assertThat(code(poll(GrantState.initial(), pollDevice(), T0))).isEqualTo(Code.INVALID_GRANT);
    assertThat(code(poll(GrantFixtures.active(), pollDevice(), T0.plusSeconds(30))))
        .isEqualTo(Code.INVALID_GRANT);
  }

  @Test
  void approvalLetsTheNextPollRedeemTheDeviceCodeOnce() {
    GrantState approved = deviceApproved();
    assertThat(approved).isInstanceOf(DeviceApproved.class);
    assertThat(((DeviceApproved) approved).approval().userId()).isEqualTo(USER);
    Instant now = T0.plusSeconds(25);
    assertThat(GrantDecider.needsPollRecord(approved, pollDevice(), now)).isFalse();
    List<GrantEvent> events = poll(approved, pollDevice(), now).events();
    assertThat(events).hasSize(1).first().isInstanceOf(DeviceCodeRedeemed.class);
    DeviceCodeRedeemed r = (DeviceCodeRedeemed) events.get(0);
    assertThat(r.userId()).isEqualTo(USER);
    assertThat(r.scopes()).isEqualTo(SCOPES);
    assertThat(r.refreshTokenHash()).contains(refreshHash(0));
    assertThat(r.accessTokenExpiresAt()).isEqualTo(now.plusSeconds(3600));

    Active active = (Active) GrantDecider.evolve(approved, r);
    assertThat(active.kind()).isEqualTo(GrantType.DEVICE_CODE);
    assertThat(active.userId()).contains(USER);
    assertThat(active.refreshToken()).isPresent();
    // The ID token repeats the approving session's auth_time, with no nonce and no sid.
    assertThat(active.authentication())
        .contains(
            new GrantState.Authentication(T0.minusSeconds(60), Optional.empty(), Optional.empty()));

    // Polling again with the spent code: replay, the grant is revoked (as a replayed code's).
    List<GrantEvent> replay = poll(active, pollDevice(), now.plusSeconds(1)).events();
    assertThat(replay)
        .containsExactly(
            new DeviceCodeReplayed(GRANT, CLIENT, now.plusSeconds(1)),
            new GrantRevoked(
                GRANT, RevocationReason.DEVICE_CODE_REPLAYED, "system", now.plusSeconds(1)));
    assertThat(GrantDecider.refusalIn(replay).map(e -> e.code())).contains(Code.INVALID_GRANT);
    GrantState revoked = active;
    for (GrantEvent e : replay) {
      revoked = GrantDecider.evolve(revoked, e);
    }
    assertThat(revoked).isInstanceOf(Revoked.class);
    assertThat(code(poll(revoked, pollDevice(), now.plusSeconds(2)))).isEqualTo(Code.INVALID_GRANT);
  }

  @Test
  void anApprovedDeviceThatComesBackAfterTheExpiryGetsExpiredToken() {
    assertThat(code(poll(deviceApproved(), pollDevice(), EXPIRY))).isEqualTo(Code.EXPIRED_TOKEN);
  }

  @Test
  void noRefreshTokenWithoutOfflineAccess() {
    GrantState approved =
        apply(
            apply(
                GrantState.initial(),
                new RequestDeviceAuthorization(
                    GRANT,
                    CLIENT,
                    Scopes.of("openid"),
                    DEVICE_CODE_HASH,
                    USER_CODE_HASH,
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(600)),
                T0),
            answerDevice(true),
            T0.plusSeconds(20));
    assertThat(error(poll(approved, pollDevice(), T0.plusSeconds(25))))
        .isInstanceOf(DomainError.ValidationError.class);
  }

  @Test
  void denialIsFinal() {
    GrantState denied = apply(deviceRequested(), answerDevice(false), T0.plusSeconds(20));
    assertThat(denied).isInstanceOf(DeviceDenied.class);
    assertThat(code(poll(denied, pollDevice(), T0.plusSeconds(25)))).isEqualTo(Code.ACCESS_DENIED);
    assertThat(code(poll(denied, pollDevice(), EXPIRY.plusSeconds(5))))
        .isEqualTo(Code.ACCESS_DENIED);
    assertThat(GrantDecider.needsPollRecord(denied, pollDevice(), T0.plusSeconds(25))).isFalse();
    // No second answer, and nothing to revoke.
    assertThat(code(GrantDecider.decide(denied, answerDevice(true), T0.plusSeconds(30))))
        .isEqualTo(Code.INVALID_GRANT);
    assertThat(
            GrantDecider.decide(
                denied,
                new RevokeGrant(GRANT, RevocationReason.ADMIN, "admin", Optional.empty()),
                T0.plusSeconds(30)))
        .isEqualTo(Decision.unchanged());
  }

  @Test
  void anAnswerNeedsThisGrantsUserCodeOnceAndInTime() {
    GrantState s = deviceRequested();
    AnswerDeviceAuthorization wrongCode =
        new AnswerDeviceAuthorization(
            GRANT, GrantTokens.hash("BCDFGHJL"), USER, T0.minusSeconds(60), Optional.empty(), true);
    assertThat(code(GrantDecider.decide(s, wrongCode, T0.plusSeconds(20))))
        .isEqualTo(Code.INVALID_GRANT);
    assertThat(code(GrantDecider.decide(GrantState.initial(), answerDevice(true), T0)))
        .isEqualTo(Code.INVALID_GRANT);
    assertThat(code(GrantDecider.decide(s, answerDevice(true), EXPIRY)))
        .isEqualTo(Code.EXPIRED_TOKEN);
    assertThat(code(GrantDecider.decide(deviceApproved(), answerDevice(true), T0.plusSeconds(30))))
        .isEqualTo(Code.INVALID_GRANT);
    assertThat(code(GrantDecider.decide(deviceActive(), answerDevice(false), T0.plusSeconds(30))))
        .isEqualTo(Code.INVALID_GRANT);
    // A code grant's stream is not a device's.
    assertThat(code(GrantDecider.decide(GrantFixtures.codeIssued(), answerDevice(true), T0)))
        .isEqualTo(Code.INVALID_GRANT);
  }

  @Test
  void aPendingOrApprovedDeviceCanBeRevokedAndThenPollsAreInvalid() {
    for (GrantState s : List.of(deviceRequested(), deviceApproved())) {
      GrantState revoked =
          apply(
              s,
              new RevokeGrant(GRANT, RevocationReason.USER_DISABLED, "admin", Optional.empty()),
              T0.plusSeconds(21));
      assertThat(revoked).isInstanceOf(Revoked.class);
      assertThat(((Revoked) revoked).clientId()).isEqualTo(CLIENT);
      assertThat(code(poll(revoked, pollDevice(), T0.plusSeconds(22))))
          .isEqualTo(Code.INVALID_GRANT);
      assertThat(code(GrantDecider.decide(revoked, answerDevice(true), T0.plusSeconds(22))))
          .isEqualTo(Code.INVALID_GRANT);
    }
    // Another client may not revoke it (RFC 7009 §2.1).
    assertThat(
            code(
                GrantDecider.decide(
                    deviceRequested(),
                    new RevokeGrant(
                        GRANT,
                        RevocationReason.REVOKED_BY_CLIENT,
                        "client:" + OTHER_CLIENT,
                        Optional.of(OTHER_CLIENT)),
                    T0.plusSeconds(1))))
        .isEqualTo(Code.UNAUTHORIZED_CLIENT);
  }

  @Test
  void refreshWorksAsForTheCodeFlow() {
    Instant now = T0.plus(Duration.ofDays(1));
    List<GrantEvent> rotated =
        GrantDecider.decide(deviceActive(), refresh(refreshHash(0), 1), now).events();
    assertThat(rotated).hasSize(1).first().isInstanceOf(RefreshTokenRotated.class);
    Active after = (Active) GrantDecider.evolve(deviceActive(), rotated.get(0));
    assertThat(after.kind()).isEqualTo(GrantType.DEVICE_CODE);
    assertThat(after.device()).isPresent();
    // Reuse of the rotated token revokes the grant, as for a code grant.
    List<GrantEvent> reuse =
        GrantFixtures.decideRefresh(after, refresh(refreshHash(0), 2), now.plusSeconds(5), true)
            .events();
    assertThat(reuse.get(1)).isInstanceOf(GrantRevoked.class);
  }

  @Test
  void aDeviceCodePresentedAsAnAuthorizationCodeIsInvalidAndChangesNothing() {
    GrantCommand.RedeemCode asCode =
        new GrantCommand.RedeemCode(
            GRANT,
            CLIENT,
            DEVICE_CODE_HASH,
            Optional.empty(),
            Optional.empty(),
            jti(0),
            Optional.empty(),
            TokenLifetimes.DEFAULT);
    GrantState denied = apply(deviceRequested(), answerDevice(false), T0.plusSeconds(20));
    for (GrantState state : List.of(deviceRequested(), deviceApproved(), denied, deviceActive())) {
      Decision<GrantEvent> d = GrantDecider.decide(state, asCode, T0.plusSeconds(30));
      // Refused: nothing appended (no replay recorded, no revocation of the device's grant).
      assertThat(d.isAccepted()).isFalse();
      assertThat(code(d)).as(state.getClass().getSimpleName()).isEqualTo(Code.INVALID_GRANT);
    }
  }

  @Test
  void deviceEventsOutOfOrderAreACorruptStream() {
    DeviceAuthorizationApproved approval =
        new DeviceAuthorizationApproved(GRANT, CLIENT, USER, T0, Optional.empty(), T0);
    assertThatThrownBy(() -> GrantDecider.evolve(GrantState.initial(), approval))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GrantDecider.evolve(deviceApproved(), approval))
        .isInstanceOf(IllegalStateException.class);
    DeviceCodeRedeemed redeemed =
        (DeviceCodeRedeemed)
            poll(deviceApproved(), pollDevice(), T0.plusSeconds(25)).events().get(0);
    assertThatThrownBy(() -> GrantDecider.evolve(deviceRequested(), redeemed))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GrantDecider.evolve(deviceRequested(), deviceRequestedEvent()))
        .isInstanceOf(IllegalStateException.class);
  }

  private static DeviceAuthorizationRequested deviceRequestedEvent() {
    return ((DeviceRequested) deviceRequested()).request();
  }
}
