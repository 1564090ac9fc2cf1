package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.CHALLENGE;
import static io.grantry.domain.grant.GrantFixtures.CLIENT;
import static io.grantry.domain.grant.GrantFixtures.CODE_HASH;
import static io.grantry.domain.grant.GrantFixtures.GRANT;
import static io.grantry.domain.grant.GrantFixtures.OTHER_CLIENT;
import static io.grantry.domain.grant.GrantFixtures.REDIRECT;
import static io.grantry.domain.grant.GrantFixtures.SCOPES;
import static io.grantry.domain.grant.GrantFixtures.T0;
import static io.grantry.domain.grant.GrantFixtures.USER;
import static io.grantry.domain.grant.GrantFixtures.VERIFIER;
import static io.grantry.domain.grant.GrantFixtures.active;
import static io.grantry.domain.grant.GrantFixtures.apply;
import static io.grantry.domain.grant.GrantFixtures.codeIssued;
import static io.grantry.domain.grant.GrantFixtures.error;
import static io.grantry.domain.grant.GrantFixtures.issueCode;
import static io.grantry.domain.grant.GrantFixtures.jti;
import static io.grantry.domain.grant.GrantFixtures.oauthError;
import static io.grantry.domain.grant.GrantFixtures.redeem;
import static io.grantry.domain.grant.GrantFixtures.refresh;
import static io.grantry.domain.grant.GrantFixtures.refreshHash;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand.IssueCode;
import io.grantry.domain.grant.GrantCommand.RedeemCode;
import io.grantry.domain.grant.GrantCommand.RevokeAccessToken;
import io.grantry.domain.grant.GrantCommand.RevokeGrant;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.grant.GrantState.CodeIssued;
import io.grantry.domain.grant.GrantState.Revoked;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** /authorize issues a code; /token redeems it once (RFC 6749 §4.1, RFC 7636, RFC 9700). */
class AuthorizationCodeDecisionTest {

  private static IssueCode issue(ClientType type, Optional<String> challenge) {
    IssueCode c = issueCode();
    return new IssueCode(
        c.grantId(),
        c.clientId(),
        type,
        c.userId(),
        c.redirectUri(),
        c.redirectUriInRequest(),
        c.scopes(),
        c.codeHash(),
        challenge,
        c.nonce(),
        c.authTime(),
        c.maxAge(),
        c.codeLifetime(),
        Optional.empty());
  }

  private static RedeemCode redeemWith(Optional<String> redirectUri, Optional<String> verifier) {
    RedeemCode r = redeem();
    return new RedeemCode(
        r.grantId(),
        r.clientId(),
        r.codeHash(),
        redirectUri,
        verifier,
        r.accessTokenJti(),
        r.refreshTokenHash(),
        r.lifetimes());
  }

  private static RedeemCode redeemBy(String clientId, String codeHash) {
    RedeemCode r = redeem();
    return new RedeemCode(
        r.grantId(),
        clientId,
        codeHash,
        r.redirectUri(),
        r.codeVerifier(),
        r.accessTokenJti(),
        r.refreshTokenHash(),
        r.lifetimes());
  }

  private static void assertInvalidGrant(Decision<GrantEvent> d, String descriptionPart) {
    OAuthError e = oauthError(d);
    assertThat(e.code()).isEqualTo(OAuthError.Code.INVALID_GRANT);
    assertThat(e.description()).contains(descriptionPart);
    assertThat(e.redirectable()).isFalse();
  }

  // ---------------------------------------------------------------- issue

  @Test
  void issuesACodeThatLivesSixtySecondsByDefault() {
    Decision<GrantEvent> d = GrantDecider.decide(GrantState.initial(), issueCode(), T0);
    assertThat(d.events())
        .containsExactly(
            new AuthorizationCodeIssued(
                GRANT,
                CLIENT,
                USER,
                REDIRECT,
                true,
                SCOPES,
                CODE_HASH,
                Optional.of(CHALLENGE),
                Optional.of("n-0S6_WzA2Mj"),
                T0.minusSeconds(30),
                Optional.empty(),
                T0,
                T0.plusSeconds(60),
                Optional.empty()));
    assertThat(GrantDecider.replay(d.events()))
        .isEqualTo(new CodeIssued((AuthorizationCodeIssued) d.events().get(0)));
  }

  @Test
  void aPublicClientMustSendACodeChallenge() {
    OAuthError e =
        oauthError(
            GrantDecider.decide(
                GrantState.initial(), issue(ClientType.PUBLIC, Optional.empty()), T0));
    assertThat(e.code()).isEqualTo(OAuthError.Code.INVALID_REQUEST);
    assertThat(e.description()).contains("code_challenge");
    assertThat(e.redirectable()).isTrue();
  }

  @Test
  void aConfidentialClientMayOmitTheChallenge() {
    Decision<GrantEvent> d =
        GrantDecider.decide(
            GrantState.initial(), issue(ClientType.CONFIDENTIAL, Optional.empty()), T0);
    assertThat(((AuthorizationCodeIssued) d.events().get(0)).codeChallenge()).isEmpty();
  }

  @Test
  void aChallengeMustBeAnS256Value() {
    // A 50-character "plain" verifier sent as the challenge has the wrong shape for S256.
    for (String bad :
        List.of("short", "a".repeat(50), CHALLENGE + "=", CHALLENGE.substring(0, 42) + "+")) {
      OAuthError e =
          oauthError(
              GrantDecider.decide(
                  GrantState.initial(), issue(ClientType.PUBLIC, Optional.of(bad)), T0));
      assertThat(e.code()).as(bad).isEqualTo(OAuthError.Code.INVALID_REQUEST);
    }
  }

  @Test
  void codeLifetimeIsBetweenZeroAndTenMinutes() {
    IssueCode c = issueCode();
    for (Duration bad :
        List.of(Duration.ZERO, Duration.ofSeconds(-1), Duration.ofMinutes(10).plusSeconds(1))) {
      IssueCode cmd =
          new IssueCode(
              c.grantId(),
              c.clientId(),
              c.clientType(),
              c.userId(),
              c.redirectUri(),
              c.redirectUriInRequest(),
              c.scopes(),
              c.codeHash(),
              c.codeChallenge(),
              c.nonce(),
              c.authTime(),
              c.maxAge(),
              bad,
              Optional.empty());
      assertThat(
              ((ValidationError) error(GrantDecider.decide(GrantState.initial(), cmd, T0))).field())
          .isEqualTo("code_lifetime");
    }
    IssueCode tenMinutes =
        new IssueCode(
            c.grantId(),
            c.clientId(),
            c.clientType(),
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            c.scopes(),
            c.codeHash(),
            c.codeChallenge(),
            c.nonce(),
            c.authTime(),
            c.maxAge(),
            Duration.ofMinutes(10),
            Optional.empty());
    assertThat(
            ((AuthorizationCodeIssued)
                    GrantDecider.decide(GrantState.initial(), tenMinutes, T0).events().get(0))
                .expiresAt())
        .isEqualTo(T0.plusSeconds(600));
  }

  @Test
  void refusesARawCodeInsteadOfItsHashWithoutEchoingIt() {
    IssueCode c = issueCode();
    IssueCode raw =
        new IssueCode(
            c.grantId(),
            c.clientId(),
            c.clientType(),
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            c.scopes(),
            "g-1.the-raw-code-secret",
            c.codeChallenge(),
            c.nonce(),
            c.authTime(),
            c.maxAge(),
            c.codeLifetime(),
            Optional.empty());
    ValidationError e = (ValidationError) error(GrantDecider.decide(GrantState.initial(), raw, T0));
    assertThat(e.field()).isEqualTo("code_hash");
    assertThat(e.message()).doesNotContain("the-raw-code-secret");
  }

  @Test
  void refusesAGrantIdWithADotAndASecondCodeOnOneGrant() {
    IssueCode c = issueCode();
    IssueCode dotted =
        new IssueCode(
            "g.1",
            c.clientId(),
            c.clientType(),
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            c.scopes(),
            c.codeHash(),
            c.codeChallenge(),
            c.nonce(),
            c.authTime(),
            c.maxAge(),
            c.codeLifetime(),
            Optional.empty());
    assertThat(
            ((ValidationError) error(GrantDecider.decide(GrantState.initial(), dotted, T0)))
                .field())
        .isEqualTo("grant_id");
    assertThat(error(GrantDecider.decide(codeIssued(), issueCode(), T0)))
        .isEqualTo(new DomainError.AlreadyExists("grant", GRANT));
  }

  @Test
  void authTimeCannotBeInTheFutureAndNonceMustBePrintable() {
    IssueCode c = issueCode();
    IssueCode future =
        new IssueCode(
            c.grantId(),
            c.clientId(),
            c.clientType(),
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            c.scopes(),
            c.codeHash(),
            c.codeChallenge(),
            c.nonce(),
            T0.plusSeconds(1),
            c.maxAge(),
            c.codeLifetime(),
            Optional.empty());
    assertThat(
            ((ValidationError) error(GrantDecider.decide(GrantState.initial(), future, T0)))
                .field())
        .isEqualTo("auth_time");
    IssueCode nonce =
        new IssueCode(
            c.grantId(),
            c.clientId(),
            c.clientType(),
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            c.scopes(),
            c.codeHash(),
            c.codeChallenge(),
            Optional.of("a\r\nb"),
            c.authTime(),
            c.maxAge(),
            c.codeLifetime(),
            Optional.empty());
    assertThat(oauthError(GrantDecider.decide(GrantState.initial(), nonce, T0)).code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
  }

  // ---------------------------------------------------------------- redeem

  @Test
  void redeemsACodeIntoAnAccessAndARefreshToken() {
    Instant now = T0.plusSeconds(5);
    Decision<GrantEvent> d = GrantDecider.decide(codeIssued(), redeem(), now);
    assertThat(d.events())
        .containsExactly(
            new AuthorizationCodeRedeemed(
                new CodeRedemption.Issued(
                    GRANT,
                    CLIENT,
                    USER,
                    jti(0),
                    now.plus(Duration.ofHours(1)),
                    Optional.of(refreshHash(0)),
                    Optional.of(now.plus(Duration.ofDays(15))),
                    Optional.empty(),
                    SCOPES,
                    now)));
    assertThat(GrantDecider.refusalIn(d.events())).isEmpty();
    Active a = (Active) GrantDecider.evolve(codeIssued(), d.events().get(0));
    assertThat(a.kind()).isEqualTo(GrantType.AUTHORIZATION_CODE);
    assertThat(a.userId()).contains(USER);
    assertThat(a.refreshToken().orElseThrow().hash()).isEqualTo(refreshHash(0));
    assertThat(GrantAccessTokens.issuedBy(d.events().get(0)))
        .contains(new GrantAccessTokens.AccessToken(jti(0), SCOPES, now.plus(Duration.ofHours(1))));
    assertThat(a.authorization().orElseThrow().nonce()).contains("n-0S6_WzA2Mj");
  }

  @Test
  void noRefreshTokenWithoutOfflineAccess() {
    IssueCode c = issueCode();
    IssueCode online =
        new IssueCode(
            c.grantId(),
            c.clientId(),
            c.clientType(),
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            Scopes.of("openid", "profile"),
            c.codeHash(),
            c.codeChallenge(),
            c.nonce(),
            c.authTime(),
            c.maxAge(),
            c.codeLifetime(),
            Optional.empty());
    GrantState issued = apply(GrantState.initial(), online, T0);
    assertThat(((ValidationError) error(GrantDecider.decide(issued, redeem(), T0))).field())
        .isEqualTo("refresh_token_hash");
    RedeemCode r = redeem();
    RedeemCode withoutRefresh =
        new RedeemCode(
            r.grantId(),
            r.clientId(),
            r.codeHash(),
            r.redirectUri(),
            r.codeVerifier(),
            r.accessTokenJti(),
            Optional.empty(),
            r.lifetimes());
    Active a = (Active) apply(issued, withoutRefresh, T0);
    assertThat(a.refreshToken()).isEmpty();
    assertInvalidGrant(
        GrantDecider.decide(a, refresh(refreshHash(0), 1), T0), "invalid refresh token");
  }

  @Test
  void aCodeExpiresAfterItsLifetime() {
    assertThat(
            GrantDecider.decide(codeIssued(), redeem(), T0.plusSeconds(60).minusMillis(1))
                .isAccepted())
        .isTrue();
    assertInvalidGrant(GrantDecider.decide(codeIssued(), redeem(), T0.plusSeconds(60)), "expired");
  }

  @Test
  void aCodeIsBoundToItsClient() {
    Decision<GrantEvent> d =
        GrantDecider.decide(codeIssued(), redeemBy(OTHER_CLIENT, CODE_HASH), T0);
    assertInvalidGrant(d, "another client");
    // The foreign attempt consumed nothing: the rightful client still redeems.
    assertThat(GrantDecider.decide(codeIssued(), redeem(), T0).isAccepted()).isTrue();
  }

  @Test
  void aWrongCodeForAKnownGrantIsRefused() {
    assertInvalidGrant(
        GrantDecider.decide(codeIssued(), redeemBy(CLIENT, GrantTokens.hash("guess")), T0),
        "invalid authorization code");
    assertInvalidGrant(
        GrantDecider.decide(GrantState.initial(), redeem(), T0), "invalid authorization code");
  }

  @Test
  void theRedirectUriMustBeTheOneOfTheAuthorizationRequest() {
    assertInvalidGrant(
        GrantDecider.decide(
            codeIssued(), redeemWith(Optional.of(REDIRECT + "/"), Optional.of(VERIFIER)), T0),
        "redirect_uri");
    assertInvalidGrant(
        GrantDecider.decide(codeIssued(), redeemWith(Optional.empty(), Optional.of(VERIFIER)), T0),
        "redirect_uri");
    assertThat(
            GrantDecider.decide(
                    codeIssued(), redeemWith(Optional.of(REDIRECT), Optional.of(VERIFIER)), T0)
                .isAccepted())
        .isTrue();
  }

  @Test
  void withoutRedirectUriInTheAuthorizationRequestTheTokenRequestMayOmitIt() {
    IssueCode c = issueCode();
    IssueCode implicitUri =
        new IssueCode(
            c.grantId(),
            c.clientId(),
            c.clientType(),
            c.userId(),
            c.redirectUri(),
            false,
            c.scopes(),
            c.codeHash(),
            c.codeChallenge(),
            c.nonce(),
            c.authTime(),
            c.maxAge(),
            c.codeLifetime(),
            Optional.empty());
    GrantState issued = apply(GrantState.initial(), implicitUri, T0);
    assertThat(
            GrantDecider.decide(issued, redeemWith(Optional.empty(), Optional.of(VERIFIER)), T0)
                .isAccepted())
        .isTrue();
    assertThat(
            GrantDecider.decide(
                    issued, redeemWith(Optional.of(REDIRECT), Optional.of(VERIFIER)), T0)
                .isAccepted())
        .isTrue();
    assertInvalidGrant(
        GrantDecider.decide(
            issued, redeemWith(Optional.of("https://evil.example/cb"), Optional.of(VERIFIER)), T0),
        "redirect_uri");
  }

  @Test
  void pkceTheVerifierMustMatchTheChallenge() {
    assertThat(
            GrantDecider.decide(
                    codeIssued(), redeemWith(Optional.of(REDIRECT), Optional.of(VERIFIER)), T0)
                .isAccepted())
        .isTrue();
    assertInvalidGrant(
        GrantDecider.decide(
            codeIssued(),
            redeemWith(Optional.of(REDIRECT), Optional.of(VERIFIER.replace('d', 'e'))),
            T0),
        "does not match");
    assertInvalidGrant(
        GrantDecider.decide(codeIssued(), redeemWith(Optional.of(REDIRECT), Optional.empty()), T0),
        "code_verifier is required");
    assertInvalidGrant(
        GrantDecider.decide(
            codeIssued(), redeemWith(Optional.of(REDIRECT), Optional.of("short")), T0),
        "43-128");
    // "plain" is not a method: presenting the challenge itself as the verifier fails.
    assertInvalidGrant(
        GrantDecider.decide(
            codeIssued(), redeemWith(Optional.of(REDIRECT), Optional.of(CHALLENGE)), T0),
        "does not match");
  }

  @Test
  void pkceAVerifierWithoutAChallengeIsADowngradeAndRefused() {
    IssueCode c = issueCode();
    IssueCode noPkce =
        new IssueCode(
            c.grantId(),
            c.clientId(),
            ClientType.CONFIDENTIAL,
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            c.scopes(),
            c.codeHash(),
            Optional.empty(),
            c.nonce(),
            c.authTime(),
            c.maxAge(),
            c.codeLifetime(),
            Optional.empty());
    GrantState issued = apply(GrantState.initial(), noPkce, T0);
    assertInvalidGrant(
        GrantDecider.decide(issued, redeemWith(Optional.of(REDIRECT), Optional.of(VERIFIER)), T0),
        "no code_challenge");
    assertThat(
            GrantDecider.decide(issued, redeemWith(Optional.of(REDIRECT), Optional.empty()), T0)
                .isAccepted())
        .isTrue();
  }

  @Test
  void aSecondUseRevokesEverythingIssuedFromTheFirst() {
    Instant later = T0.plusSeconds(20);
    Decision<GrantEvent> d = GrantDecider.decide(active(), redeem(), later);
    assertThat(d.events())
        .containsExactly(
            new AuthorizationCodeReplayed(GRANT, CLIENT, later),
            new GrantRevoked(
                GRANT, RevocationReason.CODE_REPLAYED, GrantDecider.SYSTEM_ACTOR, later));
    OAuthError answer = GrantDecider.refusalIn(d.events()).orElseThrow();
    assertThat(answer.code()).isEqualTo(OAuthError.Code.INVALID_GRANT);

    GrantState revoked =
        GrantDecider.evolve(GrantDecider.evolve(active(), d.events().get(0)), d.events().get(1));
    assertThat(revoked).isInstanceOf(Revoked.class);
    assertThat(((Revoked) revoked).reason()).isEqualTo(RevocationReason.CODE_REPLAYED);
    // The tokens of the first use are dead: the refresh token fails, the access token is no longer
    // live.
    assertInvalidGrant(GrantDecider.decide(revoked, refresh(refreshHash(0), 1), later), "revoked");
    assertThat(
            GrantDecider.decide(
                revoked,
                new RevokeAccessToken(
                    GRANT,
                    jti(0),
                    "client:" + CLIENT,
                    Optional.of(CLIENT),
                    Optional.of(
                        new GrantCommand.IssuedAccessToken(
                            later.plus(Duration.ofHours(1)), false))),
                later))
        .isEqualTo(Decision.unchanged());
    // A third use is still refused, and appends nothing more.
    assertInvalidGrant(GrantDecider.decide(revoked, redeem(), later), "revoked");
  }

  @Test
  void aSecondUseIsAReplayEvenAfterTheCodeExpired() {
    Decision<GrantEvent> d = GrantDecider.decide(active(), redeem(), T0.plus(Duration.ofDays(1)));
    assertThat(d.events()).hasSize(2).first().isInstanceOf(AuthorizationCodeReplayed.class);
  }

  @Test
  void aWrongCodeOrAnotherClientAfterRedemptionRevokesNothing() {
    assertInvalidGrant(
        GrantDecider.decide(active(), redeemBy(CLIENT, GrantTokens.hash("guess")), T0),
        "invalid authorization code");
    assertInvalidGrant(
        GrantDecider.decide(active(), redeemBy(OTHER_CLIENT, CODE_HASH), T0), "another client");
  }

  @Test
  void aCodeRevokedBeforeRedemptionCannotBeRedeemed() {
    GrantState revoked =
        apply(
            codeIssued(),
            new RevokeGrant(
                GRANT, RevocationReason.CONSENT_REVOKED, "user:" + USER, Optional.empty()),
            T0);
    assertThat(((Revoked) revoked).before()).isInstanceOf(CodeIssued.class);
    assertInvalidGrant(GrantDecider.decide(revoked, redeem(), T0.plusSeconds(1)), "revoked");
  }

  @Test
  void theAbsoluteCapLimitsEveryExpiry() {
    RedeemCode r = redeem();
    TokenLifetimes capped =
        new TokenLifetimes(
            Duration.ofHours(1), Duration.ofDays(15), Optional.of(Duration.ofMinutes(30)));
    RedeemCode withCap =
        new RedeemCode(
            r.grantId(),
            r.clientId(),
            r.codeHash(),
            r.redirectUri(),
            r.codeVerifier(),
            r.accessTokenJti(),
            r.refreshTokenHash(),
            capped);
    AuthorizationCodeRedeemed e =
        (AuthorizationCodeRedeemed) GrantDecider.decide(codeIssued(), withCap, T0).events().get(0);
    Instant cap = T0.plus(Duration.ofMinutes(30));
    assertThat(e.grantExpiresAt()).contains(cap);
    assertThat(e.accessTokenExpiresAt()).isEqualTo(cap);
    assertThat(e.refreshTokenExpiresAt()).contains(cap);
    assertThat(((Active) GrantDecider.evolve(codeIssued(), e)).expiresAt()).contains(cap);
  }

  @Test
  void theAccessTokenJtiMustNameTheGrant() {
    RedeemCode r = redeem();
    RedeemCode foreignJti =
        new RedeemCode(
            r.grantId(),
            r.clientId(),
            r.codeHash(),
            r.redirectUri(),
            r.codeVerifier(),
            "g-2.at0",
            r.refreshTokenHash(),
            r.lifetimes());
    assertThat(((ValidationError) error(GrantDecider.decide(codeIssued(), foreignJti, T0))).field())
        .isEqualTo("jti");
  }

  @Test
  void aCommandForAnotherGrantIsAProgrammingError() {
    RedeemCode r = redeem();
    RedeemCode other =
        new RedeemCode(
            "g-2",
            r.clientId(),
            r.codeHash(),
            r.redirectUri(),
            r.codeVerifier(),
            "g-2.at0",
            r.refreshTokenHash(),
            r.lifetimes());
    assertThatThrownBy(() -> GrantDecider.decide(codeIssued(), other, T0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
