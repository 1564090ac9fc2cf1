package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.error;
import static io.grantry.domain.grant.GrantFixtures.oauthError;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand.IssueClientCredentials;
import io.grantry.domain.grant.GrantCommand.RedeemCode;
import io.grantry.domain.grant.GrantCommand.Refresh;
import io.grantry.domain.grant.GrantCommand.RevokeAccessToken;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** RFC 6749 §4.4: one stream per issued token, no refresh token, no end user. */
class ClientCredentialsDecisionTest {
  private static final String GRANT = "cc-7f3a";
  private static final String JTI = GrantTokens.jti(GRANT, "1");
  private static final IssueClientCredentials ISSUE =
      new IssueClientCredentials(
          GRANT, "service-a", JTI, Scopes.of("orders.read"), Duration.ofMinutes(5));

  @Test
  void issuesAnAccessTokenOnANewStream() {
    Decision<GrantEvent> d = GrantDecider.decide(GrantState.initial(), ISSUE, T0);
    assertThat(d.events())
        .containsExactly(
            new ClientCredentialsIssued(
                GRANT, "service-a", JTI, Scopes.of("orders.read"), T0, T0.plusSeconds(300)));
    Active a = (Active) GrantDecider.replay(d.events());
    assertThat(a.kind()).isEqualTo(GrantType.CLIENT_CREDENTIALS);
    assertThat(a.userId()).isEmpty();
    assertThat(a.refreshToken()).isEmpty();
    assertThat(GrantAccessTokens.issuedBy(d.events().get(0)))
        .contains(
            new GrantAccessTokens.AccessToken(JTI, Scopes.of("orders.read"), T0.plusSeconds(300)));
  }

  @Test
  void theStreamHoldsOneIssuance() {
    GrantState s =
        GrantDecider.replay(GrantDecider.decide(GrantState.initial(), ISSUE, T0).events());
    assertThat(error(GrantDecider.decide(s, ISSUE, T0)))
        .isEqualTo(new DomainError.AlreadyExists("grant", GRANT));
  }

  @Test
  void noUserOnlyScopeWithoutAUser() {
    // openid and offline_access stand for a person's presence, profile and email release a
    // person's claims: a machine token has no person (RFC 6749 §4.4.3: invalid_scope).
    for (String scope : new String[] {"openid", "offline_access", "profile", "email"}) {
      IssueClientCredentials c =
          new IssueClientCredentials(
              GRANT, "service-a", JTI, Scopes.of("orders.read", scope), Duration.ofMinutes(5));
      assertThat(oauthError(GrantDecider.decide(GrantState.initial(), c, T0)).code())
          .isEqualTo(OAuthError.Code.INVALID_SCOPE);
    }
  }

  @Test
  void theJtiNamesTheGrantAndTheLifetimeIsBounded() {
    IssueClientCredentials badJti =
        new IssueClientCredentials(
            GRANT, "service-a", "random-jti", Scopes.empty(), Duration.ofMinutes(5));
    assertThat(
            ((ValidationError) error(GrantDecider.decide(GrantState.initial(), badJti, T0)))
                .field())
        .isEqualTo("jti");
    IssueClientCredentials tooLong =
        new IssueClientCredentials(GRANT, "service-a", JTI, Scopes.empty(), Duration.ofDays(2));
    assertThat(
            ((ValidationError) error(GrantDecider.decide(GrantState.initial(), tooLong, T0)))
                .field())
        .isEqualTo("access_token_lifetime");
  }

  @Test
  void itsTokenCanBeRevokedButNeitherRefreshedNorRedeemed() {
    GrantState s =
        GrantDecider.replay(GrantDecider.decide(GrantState.initial(), ISSUE, T0).events());
    RevokeAccessToken revoke =
        new RevokeAccessToken(
            GRANT,
            JTI,
            "client:service-a",
            Optional.of("service-a"),
            Optional.of(new GrantCommand.IssuedAccessToken(T0.plusSeconds(300), false)));
    assertThat(GrantDecider.decide(s, revoke, T0).events())
        .containsExactly(new AccessTokenRevoked(GRANT, JTI, "client:service-a", T0));
    Refresh refresh =
        new Refresh(
            GRANT,
            "service-a",
            GrantTokens.hash("x"),
            Optional.empty(),
            GrantTokens.hash("y"),
            GrantTokens.jti(GRANT, "2"),
            TokenLifetimes.DEFAULT,
            Duration.ZERO);
    assertThat(oauthError(GrantDecider.decide(s, refresh, T0)).code())
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
    RedeemCode redeem =
        new RedeemCode(
            GRANT,
            "service-a",
            GrantTokens.hash("x"),
            Optional.empty(),
            Optional.empty(),
            GrantTokens.jti(GRANT, "2"),
            Optional.empty(),
            TokenLifetimes.DEFAULT);
    assertThat(oauthError(GrantDecider.decide(s, redeem, T0)).code())
        .isEqualTo(OAuthError.Code.INVALID_GRANT);
  }
}
