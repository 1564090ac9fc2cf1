package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.GRANT;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.active;
import static io.grantry.domain.grant.GrantFixtures.codeIssued;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A stream whose events cannot follow each other is corrupt: evolve throws rather than guess. */
class GrantEvolveTest {
  private static final Instant AT = T0.plusSeconds(10);

  private static RefreshTokenRotated rotation(String oldHash) {
    return new RefreshTokenRotated(
        GRANT, "client-1", "user-1", oldHash, refreshHash(9), jti(9), AT, AT, Scopes.empty(), AT);
  }

  @Test
  void aRedemptionNeedsAnUnredeemedCode() {
    AuthorizationCodeRedeemed e =
        new AuthorizationCodeRedeemed(
            new CodeRedemption.Issued(
                GRANT,
                "client-1",
                "user-1",
                jti(0),
                AT,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Scopes.empty(),
                AT));
    assertThatThrownBy(() -> GrantDecider.evolve(GrantState.initial(), e))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("corrupt grant stream");
    assertThatThrownBy(() -> GrantDecider.evolve(active(), e))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aRotationMustSpendTheCurrentToken() {
    assertThat(GrantDecider.evolve(active(), rotation(refreshHash(0))))
        .isInstanceOf(GrantState.Active.class);
    assertThatThrownBy(() -> GrantDecider.evolve(active(), rotation(refreshHash(5))))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GrantDecider.evolve(codeIssued(), rotation(refreshHash(0))))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void eventsOfAnotherGrantOrAfterRevocationAreCorrupt() {
    GrantRevoked other = new GrantRevoked("g-2", RevocationReason.ADMIN, "admin", AT);
    assertThatThrownBy(() -> GrantDecider.evolve(active(), other))
        .isInstanceOf(IllegalStateException.class);
    GrantRevoked revoked = new GrantRevoked(GRANT, RevocationReason.ADMIN, "admin", AT);
    GrantState s = GrantDecider.evolve(active(), revoked);
    assertThatThrownBy(() -> GrantDecider.evolve(s, revoked))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GrantDecider.evolve(s, rotation(refreshHash(0))))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GrantDecider.evolve(GrantState.initial(), revoked))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aSecondIssuanceOnAStreamIsCorrupt() {
    AuthorizationCodeIssued code = ((GrantState.CodeIssued) codeIssued()).code();
    assertThatThrownBy(() -> GrantDecider.evolve(codeIssued(), code))
        .isInstanceOf(IllegalStateException.class);
    ClientCredentialsIssued cc =
        new ClientCredentialsIssued(GRANT, "c", jti(1), Scopes.empty(), AT, AT);
    assertThatThrownBy(() -> GrantDecider.evolve(active(), cc))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anAccessTokenRevokedLeavesTheActiveStateAsItWasAndNeedsOne() {
    // The state keeps no access tokens: the token-state projection records the revocation.
    AccessTokenRevoked e = new AccessTokenRevoked(GRANT, jti(4), "admin", AT);
    assertThat(GrantDecider.evolve(active(), e)).isEqualTo(active());
    assertThatThrownBy(() -> GrantDecider.evolve(codeIssued(), e))
        .isInstanceOf(IllegalStateException.class);
  }
}
