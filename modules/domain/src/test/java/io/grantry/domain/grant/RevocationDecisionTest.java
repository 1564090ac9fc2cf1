package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.CLIENT;
import static io.grantry.domain.grant.GrantFixtures.GRANT;
import static io.grantry.domain.grant.GrantFixtures.OTHER_CLIENT;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.active;
import static io.grantry.domain.grant.GrantFixtures.apply;
import static io.grantry.domain.grant.GrantFixtures.codeIssued;
import static io.grantry.domain.grant.GrantFixtures.error;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.oauthError;
import static io.grantry.domain.grant.GrantFixtures.refresh;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.grant.GrantCommand.IssuedAccessToken;
import io.grantry.domain.grant.GrantCommand.RevokeAccessToken;
import io.grantry.domain.grant.GrantCommand.RevokeGrant;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.grant.GrantState.Revoked;
import io.grantry.domain.oauth.OAuthError;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** RFC 7009 revocation, consent withdrawal and operator revocation; all idempotent. */
class RevocationDecisionTest {
  private static final Instant NOW = T0.plusSeconds(30);
  private static final RevokeGrant BY_CLIENT =
      new RevokeGrant(
          GRANT, RevocationReason.REVOKED_BY_CLIENT, "client:" + CLIENT, Optional.of(CLIENT));

  /** jti(0) of {@code active()}, issued at redemption for an hour, as the token state has it. */
  private static final IssuedAccessToken LIVE =
      new IssuedAccessToken(T0.plusSeconds(5).plus(Duration.ofHours(1)), false);

  private static RevokeAccessToken revokeToken(String jti, Optional<String> client) {
    return revokeToken(jti, client, Optional.of(LIVE));
  }

  private static RevokeAccessToken revokeToken(
      String jti, Optional<String> client, Optional<IssuedAccessToken> issued) {
    return new RevokeAccessToken(GRANT, jti, "client:" + CLIENT, client, issued);
  }

  @ParameterizedTest
  @EnumSource(RevocationReason.class)
  void revokesAGrantForAnyReasonAndOnlyOnce(RevocationReason reason) {
    RevokeGrant c = new RevokeGrant(GRANT, reason, "admin:root", Optional.empty());
    Decision<GrantEvent> d = GrantDecider.decide(active(), c, NOW);
    assertThat(d.events()).containsExactly(new GrantRevoked(GRANT, reason, "admin:root", NOW));
    GrantState revoked = GrantDecider.evolve(active(), d.events().get(0));
    assertThat(revoked).isEqualTo(new Revoked(active(), reason, "admin:root", NOW));
    assertThat(GrantDecider.decide(revoked, c, NOW.plusSeconds(1))).isEqualTo(Decision.unchanged());
  }

  @Test
  void aClientRevokesOnlyItsOwnGrants() {
    assertThat(GrantDecider.decide(active(), BY_CLIENT, NOW).events()).hasSize(1);
    RevokeGrant foreign =
        new RevokeGrant(
            GRANT,
            RevocationReason.REVOKED_BY_CLIENT,
            "client:" + OTHER_CLIENT,
            Optional.of(OTHER_CLIENT));
    OAuthError e = oauthError(GrantDecider.decide(active(), foreign, NOW));
    assertThat(e.code()).isEqualTo(OAuthError.Code.UNAUTHORIZED_CLIENT);
    GrantState revoked = apply(active(), BY_CLIENT, NOW);
    assertThat(oauthError(GrantDecider.decide(revoked, foreign, NOW)).code())
        .isEqualTo(OAuthError.Code.UNAUTHORIZED_CLIENT);
  }

  @Test
  void revokingAnUnknownGrantIsNotFound() {
    assertThat(error(GrantDecider.decide(GrantState.initial(), BY_CLIENT, NOW)))
        .isEqualTo(new DomainError.NotFound("grant", GRANT));
  }

  @Test
  void anActorIsRequired() {
    RevokeGrant c = new RevokeGrant(GRANT, RevocationReason.ADMIN, " ", Optional.empty());
    assertThat(((ValidationError) error(GrantDecider.decide(active(), c, NOW))).field())
        .isEqualTo("actor");
  }

  @Test
  void aRevokedGrantRefusesEveryTokenOperation() {
    GrantState revoked = apply(active(), BY_CLIENT, NOW);
    assertThat(oauthError(GrantDecider.decide(revoked, refresh(refreshHash(0), 1), NOW)).code())
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    assertThat(oauthError(GrantDecider.decide(revoked, GrantFixtures.redeem(), NOW)).code())
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    assertThat(GrantDecider.decide(revoked, revokeToken(jti(0), Optional.of(CLIENT)), NOW))
        .isEqualTo(Decision.unchanged());
  }

  @Test
  void revokesOneAccessTokenAndKeepsTheGrant() {
    Decision<GrantEvent> d =
        GrantDecider.decide(active(), revokeToken(jti(0), Optional.of(CLIENT)), NOW);
    assertThat(d.events())
        .containsExactly(new AccessTokenRevoked(GRANT, jti(0), "client:" + CLIENT, NOW));
    // The grant's state keeps no access tokens: the token-state projection records the revocation
    // and answers the next one.
    Active a = (Active) GrantDecider.evolve(active(), d.events().get(0));
    assertThat(a).isEqualTo(active());
    assertThat(a.refreshable(NOW)).isTrue();
    IssuedAccessToken revoked = new IssuedAccessToken(LIVE.expiresAt(), true);
    assertThat(revoked.activeAt(NOW)).isFalse();
    assertThat(
            GrantDecider.decide(
                a, revokeToken(jti(0), Optional.of(CLIENT), Optional.of(revoked)), NOW))
        .isEqualTo(Decision.unchanged());
    assertThat(GrantDecider.decide(a, refresh(refreshHash(0), 1), NOW).isAccepted()).isTrue();
  }

  @Test
  void revokingAnExpiredAccessTokenAppendsNothing() {
    Instant expired = T0.plusSeconds(5).plus(Duration.ofHours(1));
    assertThat(GrantDecider.decide(active(), revokeToken(jti(0), Optional.empty()), expired))
        .isEqualTo(Decision.unchanged());
  }

  @Test
  void anAccessTokenNotOfThisGrantIsNotFound() {
    assertThat(
            error(
                GrantDecider.decide(
                    active(), revokeToken(jti(7), Optional.of(CLIENT), Optional.empty()), NOW)))
        .isEqualTo(new DomainError.NotFound("access token", jti(7)));
    assertThat(
            error(GrantDecider.decide(codeIssued(), revokeToken(jti(0), Optional.of(CLIENT)), NOW)))
        .isEqualTo(new DomainError.NotFound("access token", jti(0)));
    assertThat(
            error(
                GrantDecider.decide(
                    GrantState.initial(), revokeToken(jti(0), Optional.of(CLIENT)), NOW)))
        .isEqualTo(new DomainError.NotFound("grant", GRANT));
  }

  @Test
  void aClientRevokesOnlyItsOwnAccessTokens() {
    assertThat(
            oauthError(
                    GrantDecider.decide(
                        active(), revokeToken(jti(0), Optional.of(OTHER_CLIENT)), NOW))
                .code())
        .isEqualTo(OAuthError.Code.UNAUTHORIZED_CLIENT);
  }
}
