package io.grantry.domain.authorize;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.authorize.AuthorizationFlow.Consented;
import io.grantry.domain.authorize.AuthorizationFlow.Denied;
import io.grantry.domain.authorize.AuthorizationFlow.Fail;
import io.grantry.domain.authorize.AuthorizationFlow.IssueCode;
import io.grantry.domain.authorize.AuthorizationFlow.Next;
import io.grantry.domain.authorize.AuthorizationFlow.ShowConsent;
import io.grantry.domain.authorize.AuthorizationFlow.ShowLogin;
import io.grantry.domain.authorize.AuthorizationFlow.SignedIn;
import io.grantry.domain.authorize.AuthorizationFlow.SignedInUser;
import io.grantry.domain.authorize.AuthorizationFlow.Situation;
import io.grantry.domain.authorize.AuthorizationFlow.Start;
import io.grantry.domain.authorize.AuthorizationFlow.Step;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The flow's next step for each situation: the rules of OIDC Core §3.1.2 as a table. */
class AuthorizationFlowTest {
  static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
  static final ClientState.Registered WEB = Clients.web(false);
  static final UserState.Registered ALICE = Clients.user("alice", false);
  static final SignedInUser SIGNED_IN = new SignedInUser("s1", NOW.minusSeconds(600), ALICE);
  static final Consent.State REMEMBERED =
      new Consent.State(Scopes.parse("openid profile"), Optional.of(NOW.minusSeconds(3600)));

  static AuthorizationRequest request(Map<String, String> extra) {
    Map<String, List<String>> p = new LinkedHashMap<>();
    p.put("client_id", List.of("web"));
    p.put("response_type", List.of("code"));
    p.put("scope", List.of("openid profile"));
    p.put("state", List.of("xyz"));
    extra.forEach((k, v) -> p.put(k, List.of(v)));
    var checked = AuthorizationRequestChecks.check(new Parameters(p), Optional.of(WEB));
    return ((AuthorizationRequestChecks.Valid) checked).request();
  }

  static Next next(
      AuthorizationRequest req,
      Optional<SignedInUser> session,
      Consent.State consent,
      Optional<String> fresh,
      Step step) {
    return AuthorizationFlow.next(new Situation(req, WEB, session, consent, fresh, step, NOW));
  }

  @Test
  void withoutASessionThePersonSignsIn() {
    assertThat(
            next(
                request(Map.of()),
                Optional.empty(),
                Consent.State.NONE,
                Optional.empty(),
                new Start()))
        .isInstanceOf(ShowLogin.class);
  }

  @Test
  void aSessionAndARememberedConsentIssueTheCodeWithoutAPage() {
    assertThat(
            next(
                request(Map.of()),
                Optional.of(SIGNED_IN),
                REMEMBERED,
                Optional.empty(),
                new Start()))
        .isEqualTo(new IssueCode(SIGNED_IN, false));
  }

  @Test
  void aConsentThatDoesNotCoverTheScopesShowsTheConsentPage() {
    Consent.State narrower = new Consent.State(Scopes.parse("openid"), Optional.of(NOW));
    assertThat(
            next(
                request(Map.of()), Optional.of(SIGNED_IN), narrower, Optional.empty(), new Start()))
        .isEqualTo(new ShowConsent(SIGNED_IN, Optional.empty()));
  }

  @Test
  void promptNoneNeverShowsAPage() {
    AuthorizationRequest none = request(Map.of("prompt", "none"));
    assertThat(
            errorOf(
                next(none, Optional.empty(), Consent.State.NONE, Optional.empty(), new Start())))
        .isEqualTo(OAuthError.Code.LOGIN_REQUIRED);
    assertThat(
            errorOf(
                next(
                    none,
                    Optional.of(SIGNED_IN),
                    Consent.State.NONE,
                    Optional.empty(),
                    new Start())))
        .isEqualTo(OAuthError.Code.CONSENT_REQUIRED);
    assertThat(next(none, Optional.of(SIGNED_IN), REMEMBERED, Optional.empty(), new Start()))
        .isEqualTo(new IssueCode(SIGNED_IN, false));
  }

  @Test
  void aDisabledUsersSessionIsNoSession() {
    SignedInUser disabled =
        new SignedInUser("s1", NOW.minusSeconds(60), Clients.user("alice", true));
    assertThat(
            next(
                request(Map.of()),
                Optional.of(disabled),
                REMEMBERED,
                Optional.empty(),
                new Start()))
        .isInstanceOf(ShowLogin.class);
    assertThat(
            errorOf(
                next(
                    request(Map.of("prompt", "none")),
                    Optional.of(disabled),
                    REMEMBERED,
                    Optional.empty(),
                    new Start())))
        .isEqualTo(OAuthError.Code.LOGIN_REQUIRED);
  }

  @Test
  void promptLoginIsMetOnlyByASignInDuringThisFlow() {
    AuthorizationRequest login = request(Map.of("prompt", "login"));
    // An existing session does not count, at the first step ...
    assertThat(next(login, Optional.of(SIGNED_IN), REMEMBERED, Optional.empty(), new Start()))
        .isInstanceOf(ShowLogin.class);
    // ... nor when the consent form is posted with it (the hidden fields of the sign-in page
    // posted to /consent with an old session: the skipped step of issue 15).
    assertThat(next(login, Optional.of(SIGNED_IN), REMEMBERED, Optional.empty(), new Consented()))
        .isInstanceOf(ShowLogin.class);
    // A fresh session from another flow does not count either.
    assertThat(
            next(login, Optional.of(SIGNED_IN), REMEMBERED, Optional.of("other"), new Consented()))
        .isInstanceOf(ShowLogin.class);
    // Signing in now does, and the consent page carries that on.
    SignedInUser now = new SignedInUser("s2", NOW, ALICE);
    assertThat(
            next(login, Optional.of(now), Consent.State.NONE, Optional.empty(), new SignedIn("s2")))
        .isEqualTo(new ShowConsent(now, Optional.of("s2")));
    assertThat(
            next(login, Optional.of(now), Consent.State.NONE, Optional.of("s2"), new Consented()))
        .isEqualTo(new IssueCode(now, true));
    assertThat(next(login, Optional.of(now), REMEMBERED, Optional.empty(), new SignedIn("s2")))
        .isEqualTo(new IssueCode(now, false));
  }

  @Test
  void maxAgeIsCheckedAtEveryStepAgainstTheSessionsAuthenticationTime() {
    AuthorizationRequest tenMinutes = request(Map.of("max_age", "300"));
    // Authenticated 600 s ago: too old at the first step and at the consent step.
    assertThat(next(tenMinutes, Optional.of(SIGNED_IN), REMEMBERED, Optional.empty(), new Start()))
        .isInstanceOf(ShowLogin.class);
    assertThat(
            next(tenMinutes, Optional.of(SIGNED_IN), REMEMBERED, Optional.empty(), new Consented()))
        .isInstanceOf(ShowLogin.class);
    assertThat(
            errorOf(
                next(
                    request(Map.of("max_age", "300", "prompt", "none")),
                    Optional.of(SIGNED_IN),
                    REMEMBERED,
                    Optional.empty(),
                    new Start())))
        .isEqualTo(OAuthError.Code.LOGIN_REQUIRED);
    // Recent enough.
    assertThat(
            next(
                request(Map.of("max_age", "900")),
                Optional.of(SIGNED_IN),
                REMEMBERED,
                Optional.empty(),
                new Start()))
        .isEqualTo(new IssueCode(SIGNED_IN, false));
    // max_age=0 with a sign-in during the flow: a slow consent page does not send the person
    // back to sign in forever.
    SignedInUser earlier = new SignedInUser("s3", NOW.minusSeconds(45), ALICE);
    assertThat(
            next(
                request(Map.of("max_age", "0")),
                Optional.of(earlier),
                Consent.State.NONE,
                Optional.of("s3"),
                new Consented()))
        .isEqualTo(new IssueCode(earlier, true));
  }

  @Test
  void promptConsentShowsThePageEvenWhenRememberedAndTheAllowIssuesTheCode() {
    AuthorizationRequest consent = request(Map.of("prompt", "consent"));
    assertThat(next(consent, Optional.of(SIGNED_IN), REMEMBERED, Optional.empty(), new Start()))
        .isEqualTo(new ShowConsent(SIGNED_IN, Optional.empty()));
    assertThat(next(consent, Optional.of(SIGNED_IN), REMEMBERED, Optional.empty(), new Consented()))
        .isEqualTo(new IssueCode(SIGNED_IN, true));
  }

  @Test
  void aConsentPostWithoutALiveSessionAsksToSignIn() {
    assertThat(
            next(
                request(Map.of()),
                Optional.empty(),
                Consent.State.NONE,
                Optional.of("s1"),
                new Consented()))
        .isInstanceOf(ShowLogin.class);
  }

  @Test
  void denyingIsRedirectedAsAccessDenied() {
    Next denied =
        next(
            request(Map.of()),
            Optional.empty(),
            Consent.State.NONE,
            Optional.empty(),
            new Denied());
    assertThat(errorOf(denied)).isEqualTo(OAuthError.Code.ACCESS_DENIED);
    assertThat(((Fail) denied).error().redirectable()).isTrue();
  }

  @Test
  void aClientThatSkipsConsentGetsTheCodeUnlessPromptConsent() {
    ClientState.Registered trusted = Clients.web(true);
    AuthorizationRequest req = request(Map.of());
    assertThat(
            AuthorizationFlow.next(
                new Situation(
                    req,
                    trusted,
                    Optional.of(SIGNED_IN),
                    Consent.State.NONE,
                    Optional.empty(),
                    new Start(),
                    NOW)))
        .isEqualTo(new IssueCode(SIGNED_IN, false));
    assertThat(
            AuthorizationFlow.next(
                new Situation(
                    request(Map.of("prompt", "consent")),
                    trusted,
                    Optional.of(SIGNED_IN),
                    Consent.State.NONE,
                    Optional.empty(),
                    new Start(),
                    NOW)))
        .isInstanceOf(ShowConsent.class);
  }

  private static OAuthError.Code errorOf(Next next) {
    assertThat(next).isInstanceOf(Fail.class);
    return ((Fail) next).error().code();
  }
}
