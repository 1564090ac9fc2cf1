package io.grantry.domain.authorize;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.authorize.DeviceVerification.Problem;
import io.grantry.domain.authorize.DeviceVerification.Ready;
import io.grantry.domain.authorize.DeviceVerification.Refused;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the device page may do with a typed code, checked against the grant's state and the client
 * as registered now: only this grant's code, only while it waits and lives, only for a client still
 * allowed all it asked for.
 */
class DeviceVerificationTest {
  static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  static final String GRANT =
      GrantTokens.newGrantId(T0.toEpochMilli(), new byte[GrantTokens.GRANT_ID_RANDOM_BYTES]);
  static final String CODE = GrantTokens.hash("BCDFGHJK");
  static final String OTHER_CODE = GrantTokens.hash("BCDFGHJL");
  static final Scopes ASKED = Scopes.of("openid", "profile");

  static ClientState.Registered tv(Set<GrantType> grants, String scope, boolean disabled) {
    return Clients.client(ClientType.PUBLIC, List.of(), grants, scope, true, disabled);
  }

  static final ClientState.Registered TV =
      tv(Set.of(GrantType.DEVICE_CODE, GrantType.REFRESH_TOKEN), "openid profile", false);

  static GrantState apply(GrantState state, GrantCommand c, Instant now) {
    Decision<GrantEvent> d = GrantDecider.decide(state, c, now);
    assertThat(d.isAccepted()).as("%s", d).isTrue();
    GrantState out = state;
    for (GrantEvent e : d.events()) {
      out = GrantDecider.evolve(out, e);
    }
    return out;
  }

  static GrantState requested() {
    return apply(
        GrantState.initial(),
        new GrantCommand.RequestDeviceAuthorization(
            GRANT,
            TV.clientId(),
            ASKED,
            GrantTokens.hash("device"),
            CODE,
            Duration.ofSeconds(5),
            Duration.ofMinutes(10)),
        T0);
  }

  static GrantState answered(boolean approve) {
    return apply(
        requested(),
        new GrantCommand.AnswerDeviceAuthorization(
            GRANT, CODE, "u-1", T0, Optional.empty(), approve),
        T0.plusSeconds(30));
  }

  static DeviceVerification.Checked check(
      GrantState state, String code, Optional<ClientState.Registered> client, Instant now) {
    return DeviceVerification.check(state, code, client, now);
  }

  @Test
  void aWaitingLiveGrantWithItsCodeAndAnAllowedClientIsReady() {
    DeviceVerification.Checked c = check(requested(), CODE, Optional.of(TV), T0.plusSeconds(60));
    assertThat(c).isInstanceOf(Ready.class);
    assertThat(((Ready) c).request().scopes()).isEqualTo(ASKED);
    assertThat(((Ready) c).client()).isEqualTo(TV);
  }

  @Test
  void everyOtherCaseIsRefusedWithItsReason() {
    Instant now = T0.plusSeconds(60);
    assertThat(check(GrantState.initial(), CODE, Optional.empty(), now))
        .isEqualTo(new Refused(Problem.UNKNOWN_CODE));
    assertThat(check(requested(), OTHER_CODE, Optional.of(TV), now))
        .as("another grant's code")
        .isEqualTo(new Refused(Problem.UNKNOWN_CODE));
    assertThat(check(answered(true), CODE, Optional.of(TV), now))
        .isEqualTo(new Refused(Problem.ALREADY_USED));
    assertThat(check(answered(false), CODE, Optional.of(TV), now))
        .isEqualTo(new Refused(Problem.ALREADY_USED));
    GrantState revoked =
        apply(
            requested(),
            new GrantCommand.RevokeGrant(GRANT, RevocationReason.ADMIN, "admin", Optional.empty()),
            now);
    assertThat(check(revoked, CODE, Optional.of(TV), now))
        .isEqualTo(new Refused(Problem.ALREADY_USED));
    assertThat(check(requested(), CODE, Optional.of(TV), T0.plus(Duration.ofMinutes(10))))
        .isEqualTo(new Refused(Problem.EXPIRED));
    // The client as registered now: gone, disabled, no longer allowed the grant or a scope.
    for (Optional<ClientState.Registered> client :
        List.of(
            Optional.<ClientState.Registered>empty(),
            Optional.of(
                tv(Set.of(GrantType.DEVICE_CODE, GrantType.REFRESH_TOKEN), "openid profile", true)),
            Optional.of(
                tv(
                    Set.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN),
                    "openid profile",
                    false)),
            Optional.of(tv(Set.of(GrantType.DEVICE_CODE), "openid", false)))) {
      assertThat(check(requested(), CODE, client, now))
          .as("%s", client)
          .isEqualTo(new Refused(Problem.CLIENT_NOT_ALLOWED));
    }
  }
}
