package io.grantry.domain.logout;

import io.grantry.domain.client.ClientState;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The end-session endpoint as a state machine (OpenID Connect RP-Initiated Logout 1.0): from what
 * the request says, the client it identifies, the browser's session and whether the person
 * confirmed, what to do next. Pure; the route renders it.
 *
 * <p>The rules: a {@code post_logout_redirect_uri} is followed only when it is one the identified
 * client registered, exactly (§3, never an open redirector); the client is the ID token hint's
 * audience, and a {@code client_id} that disagrees with it is an error (§2). A session ends without
 * asking only when a valid hint names the signed-in user: anyone may send a browser to this
 * endpoint, and an ID token of another user (an attacker's own) must not sign the victim out
 * unasked. Otherwise the person confirms on a page whose form carries a CSRF token.
 */
public final class LogoutFlow {
  private LogoutFlow() {}

  /**
   * An {@code id_token_hint} whose signature verified with one of our keys and whose issuer is us
   * (expired ones included: §2 accepts them as hints).
   *
   * @param audience the token's {@code aud} (one client id, or several)
   * @param sessionId its {@code sid}, if it has one
   */
  public record Hint(String subject, List<String> audience, Optional<String> sessionId) {
    public Hint {
      Objects.requireNonNull(subject, "subject");
      audience = List.copyOf(audience);
      Objects.requireNonNull(sessionId, "sessionId");
    }
  }

  /**
   * The request as parsed.
   *
   * @param hint the verified hint; empty when none was given or it did not verify
   * @param clientId the {@code client_id} parameter
   */
  public record Request(
      Optional<Hint> hint,
      Optional<String> clientId,
      Optional<String> postLogoutRedirectUri,
      Optional<String> state) {
    public Request {
      Objects.requireNonNull(hint, "hint");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(postLogoutRedirectUri, "postLogoutRedirectUri");
      Objects.requireNonNull(state, "state");
    }

    /** The client the request is about: the hint's audience, else {@code client_id}. */
    public Optional<String> identifiedClient() {
      return hint.map(h -> h.audience().isEmpty() ? null : h.audience().get(0)).or(() -> clientId);
    }
  }

  /** The signed-in user of this browser. */
  public record Session(String userId, String sessionId) {}

  /**
   * @param client the registration of {@link Request#identifiedClient()}, if it exists
   * @param confirmed whether this is the confirmation page's form, posted with its CSRF token
   */
  public record Situation(
      Request request,
      Optional<ClientState.Registered> client,
      Optional<Session> session,
      boolean confirmed) {}

  /** What to do next. */
  public sealed interface Next {}

  /** End the session, then go to {@code then}. */
  public record EndSession(Session session, After then) implements Next {}

  /** Ask the person to confirm (the page must not name an unregistered URI). */
  public record AskToConfirm() implements Next {}

  /** Nothing to end (no session); go to {@code then}. */
  public record Done(After then) implements Next {}

  /** The request contradicts itself; show this, end nothing. */
  public record ShowError(String message) implements Next {}

  /** Where the browser goes once signed out. */
  public sealed interface After {}

  /** 303 to a registered post-logout redirect URI, with {@code state}. */
  public record RedirectTo(String uri, Optional<String> state) implements After {}

  /** A page that says the person is signed out. */
  public record ShowSignedOut() implements After {}

  public static Next next(Situation s) {
    Request r = s.request();
    if (r.hint().isPresent()
        && r.clientId().isPresent()
        && !r.hint().get().audience().contains(r.clientId().get())) {
      return new ShowError("The sign-out request names an application its ID token was not for.");
    }
    After then = after(r, s.client());
    if (s.session().isEmpty()) {
      return new Done(then);
    }
    Session session = s.session().get();
    if (s.confirmed()) {
      return new EndSession(session, then);
    }
    boolean hintNamesThisUser =
        r.hint().filter(h -> h.subject().equals(session.userId())).isPresent();
    // An unregistered URI is never followed; asking first also tells the person nothing happens
    // behind their back.
    boolean uriFine = r.postLogoutRedirectUri().isEmpty() || then instanceof RedirectTo;
    return hintNamesThisUser && uriFine ? new EndSession(session, then) : new AskToConfirm();
  }

  /** Where to go after: the post-logout redirect URI if the identified client registered it. */
  static After after(Request r, Optional<ClientState.Registered> client) {
    if (r.postLogoutRedirectUri().isEmpty() || client.isEmpty() || client.get().disabled()) {
      return new ShowSignedOut();
    }
    String uri = r.postLogoutRedirectUri().get();
    return client.get().metadata().logout().postLogoutRedirectUris().contains(uri)
        ? new RedirectTo(uri, r.state())
        : new ShowSignedOut();
  }
}
