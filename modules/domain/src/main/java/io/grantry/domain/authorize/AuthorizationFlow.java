package io.grantry.domain.authorize;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.user.UserState;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The authorization flow as a state machine: from a checked request, the browser's session, the
 * client's registration, the remembered consent and the clock, the next thing to do: show the
 * sign-in page, show the consent page, issue the code, or fail (shown or redirected as the error
 * says). Pure; the routes only render what it decides, and every step (the first GET and each form
 * posted back) enters it again, so no step can be skipped: a consent form posted with an old
 * session still meets {@code prompt=login} and {@code max_age} here.
 *
 * <p>What a flow has done so far is not trusted from the browser except for one server-signed fact
 * carried in the pending request: the session that signed in during this flow ({@code
 * freshSession}), which is what {@code prompt=login} asks for. Everything else is read again at
 * each step.
 */
public final class AuthorizationFlow {
  private AuthorizationFlow() {}

  /** What this request of the flow is. */
  public sealed interface Step {}

  /** The authorization request itself (GET or POST /authorize). */
  public record Start() implements Step {}

  /** The person has just signed in, starting session {@code sessionId}. */
  public record SignedIn(String sessionId) implements Step {}

  /** The person allowed the request on the consent page. */
  public record Consented() implements Step {}

  /** The person denied the request on the consent page. */
  public record Denied() implements Step {}

  /** A live server-side session and its user, as the server found them for this request. */
  public record SignedInUser(String sessionId, Instant authTime, UserState.Registered user) {
    public SignedInUser {
      Objects.requireNonNull(sessionId, "sessionId");
      Objects.requireNonNull(authTime, "authTime");
      Objects.requireNonNull(user, "user");
    }
  }

  /**
   * Everything the next step depends on.
   *
   * @param session the browser's live session, if any
   * @param remembered the user's remembered consent for the client ({@link Consent.State#NONE}
   *     without a session)
   * @param freshSession the session that signed in earlier in this flow (from the signed pending
   *     request), if any
   */
  public record Situation(
      AuthorizationRequest request,
      ClientState.Registered client,
      Optional<SignedInUser> session,
      Consent.State remembered,
      Optional<String> freshSession,
      Step step,
      Instant now) {
    public Situation {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(session, "session");
      Objects.requireNonNull(remembered, "remembered");
      Objects.requireNonNull(freshSession, "freshSession");
      Objects.requireNonNull(step, "step");
      Objects.requireNonNull(now, "now");
    }
  }

  /** What to do next. */
  public sealed interface Next {}

  /** Show the sign-in page (prefilled with the login hint, if any). */
  public record ShowLogin() implements Next {}

  /**
   * Show the consent page to {@code who}; the page's pending request carries {@code freshSession}
   * on to the consent step.
   */
  public record ShowConsent(SignedInUser who, Optional<String> freshSession) implements Next {}

  /**
   * Issue the code for {@code who}, first remembering the consent when {@code rememberConsent} (the
   * person allowed the scopes on this request).
   */
  public record IssueCode(SignedInUser who, boolean rememberConsent) implements Next {}

  /**
   * The request fails: redirected to the request's redirect URI when {@code error.redirectable()},
   * else shown.
   */
  public record Fail(OAuthError error) implements Next {}

  public static Next next(Situation s) {
    AuthorizationRequest req = s.request();
    if (s.step() instanceof Denied) {
      // Denying issues nothing, so it needs no session: the answer goes to a URI registered now.
      return new Fail(OAuthError.accessDenied("the user denied access"));
    }
    Optional<String> fresh =
        s.step() instanceof SignedIn in ? Optional.of(in.sessionId()) : s.freshSession();
    Optional<SignedInUser> session = s.session().filter(who -> !who.user().disabled());
    if (session.isEmpty() || loginNeeded(req, session.get(), fresh, s.now())) {
      return req.prompts("none")
          ? new Fail(OAuthError.loginRequired("the user must sign in"))
          : new ShowLogin();
    }
    SignedInUser who = session.get();
    if (s.step() instanceof Consented) {
      return new IssueCode(who, true);
    }
    boolean consentNeeded =
        req.prompts("consent")
            || !(s.client().metadata().skipConsent() || s.remembered().covers(req.scopes()));
    if (consentNeeded) {
      return req.prompts("none")
          ? new Fail(OAuthError.consentRequired("the user has not allowed these scopes"))
          : new ShowConsent(who, fresh.filter(who.sessionId()::equals));
    }
    return new IssueCode(who, false);
  }

  /**
   * Whether the person must sign in (again) before a code may be issued: {@code prompt=login}
   * unless they signed in during this flow (OIDC Core §3.1.2.1), and {@code max_age} unless they
   * authenticated within it, or during this flow (so a slow consent cannot loop).
   */
  static boolean loginNeeded(
      AuthorizationRequest req, SignedInUser who, Optional<String> fresh, Instant now) {
    boolean signedInDuringFlow = fresh.filter(who.sessionId()::equals).isPresent();
    if (signedInDuringFlow) {
      return false;
    }
    if (req.prompts("login")) {
      return true;
    }
    // max_age is at most 2^31-1 (AuthorizationRequestChecks), so this cannot overflow.
    return req.maxAge().isPresent()
        && who.authTime().plusSeconds(req.maxAge().getAsLong()).isBefore(now);
  }
}
