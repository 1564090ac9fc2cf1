package io.grantry.domain.authorize;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Pkce;
import io.grantry.domain.oauth.RedirectUriMatcher;
import io.grantry.domain.oauth.Scopes;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks an authorization request against its client's registration, one named rule after another,
 * in the order that decides where an error may go: until the client and its redirect URI are
 * established, an error is shown to the person (never redirected: RFC 6749 §4.1.2.1, RFC 9700
 * §4.11); after that it is redirected to the client. Every step of the flow runs these checks again
 * on the request's parameters as sent, against the registration as it is then, so a client disabled
 * or a redirect URI removed meanwhile stops the flow.
 *
 * <p>Pure: no I/O, no clock. The renderer decides show-or-redirect from the error's own {@link
 * OAuthError#redirectable()} alone.
 */
public final class AuthorizationRequestChecks {
  /** Longest value of any one parameter we read. */
  public static final int MAX_VALUE = 1024;

  /**
   * The largest {@code max_age} accepted (2^31-1 s, 68 years): larger values are refused before any
   * arithmetic, so no {@code Instant} computation can overflow.
   */
  public static final long MAX_AGE_LIMIT = Integer.MAX_VALUE;

  static final Set<String> SINGLE =
      Set.of(
          "client_id",
          "redirect_uri",
          "response_type",
          "scope",
          "state",
          "nonce",
          "code_challenge",
          "code_challenge_method",
          "prompt",
          "max_age",
          "login_hint",
          "response_mode",
          "dpop_jkt",
          // OIDC Core §3.1.2.1: the pages' language; the pending request carries it to every step,
          // so it is held to the same length as the rest (a list of 10,000 tags is refused here).
          "ui_locales");

  private static final Set<String> PROMPTS = Set.of("none", "login", "consent");

  private AuthorizationRequestChecks() {}

  /**
   * How the parameters reached the server: in the browser's request to {@code /authorize}, or
   * pushed by the authenticated client to {@code /par} first (RFC 9126), whether being pushed now
   * or resolved from a {@code request_uri}.
   */
  public enum Channel {
    FRONT,
    PUSHED
  }

  /** The outcome: a request to serve, or an error shown or redirected as its flag says. */
  public sealed interface Checked {}

  public record Valid(AuthorizationRequest request, ClientState.Registered client)
      implements Checked {}

  /**
   * The request is refused. When {@code error.redirectable()}, {@code redirectUri} is the
   * registered URI to send it to, with {@code state}, in {@code responseMode} (the one requested,
   * or {@code query} when it named none we support); otherwise it is shown to the person.
   */
  public record Refused(
      OAuthError error,
      Optional<String> redirectUri,
      Optional<String> state,
      ResponseMode responseMode)
      implements Checked {
    public Refused {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(responseMode, "responseMode");
      if (error.redirectable() && redirectUri.isEmpty()) {
        throw new IllegalArgumentException("a redirectable error needs its redirect URI");
      }
    }
  }

  /** The client_id to look up: given once, not blank, not over 256 characters. */
  public static Optional<String> clientId(Parameters p) {
    String id = p.single("client_id");
    return id != null && !id.isBlank() && id.length() <= 256 ? Optional.of(id) : Optional.empty();
  }

  /**
   * Checks {@code p}, sent to {@code /authorize} itself, against {@code found}, the registration of
   * the client it names (empty when there is none), on a server that does not require pushing.
   */
  public static Checked check(Parameters p, Optional<ClientState.Registered> found) {
    return check(p, found, Channel.FRONT, false);
  }

  /**
   * Checks {@code p} against {@code found}, the registration of the client it names (empty when
   * there is none). The same checks for every channel: pushed parameters meet every rule a front
   * channel request does (RFC 9126 §2.1), and a request that reaches {@code /authorize} directly is
   * refused when the client or the server ({@code serverRequiresPushed}) requires pushing (§6).
   */
  public static Checked check(
      Parameters p,
      Optional<ClientState.Registered> found,
      Channel channel,
      boolean serverRequiresPushed) {
    // 1. The client and where to answer: errors are shown.
    Optional<OAuthError> shown =
        clientIdGivenOnce(p).or(() -> clientKnown(found)).or(() -> clientEnabled(found.get()));
    if (shown.isPresent()) {
      return show(shown.get());
    }
    ClientState.Registered client = found.get();
    shown = redirectUriRegistered(p, client);
    if (shown.isPresent()) {
      // A client registered only for other grants (client_credentials) usually has no redirect
      // URI: say what is wrong with the request, not only that its redirect URI is unknown.
      return show(mayNotSignPeopleIn(client).orElse(shown.get()));
    }
    String redirectUri = redirectUri(p, client);

    // 2. From here on, errors go back to the client, with state if it was given once.
    Optional<String> state = Optional.ofNullable(p.single("state"));
    ResponseMode mode = responseMode(p);
    Optional<OAuthError> redirected =
        pushedIfRequired(client, channel, serverRequiresPushed)
            .or(() -> noRepeatedParameter(p))
            .or(() -> noRequestObject(p))
            .or(() -> noValueTooLong(p))
            .or(() -> responseTypeIsCode(p))
            .or(() -> responseModeSupported(p))
            .or(() -> formPostReachesTheRedirectUri(mode, redirectUri))
            .or(() -> clientMayUseTheCodeGrant(client))
            .or(() -> scopeAllowed(p, client))
            .or(() -> pkce(p, client))
            .or(() -> fapi2(mode, p, client))
            .or(() -> dpopJktValid(p))
            .or(() -> promptValid(p))
            .or(() -> maxAgeValid(p));
    if (redirected.isPresent()) {
      boolean deliverable = formPostReachesTheRedirectUri(mode, redirectUri).isEmpty();
      return new Refused(
          redirected.get(),
          Optional.of(redirectUri),
          state,
          deliverable ? mode : ResponseMode.QUERY);
    }
    String maxAge = p.first("max_age");
    return new Valid(
        new AuthorizationRequest(
            client.clientId(),
            redirectUri,
            p.contains("redirect_uri"),
            scopes(p, client),
            state,
            Optional.ofNullable(p.first("nonce")),
            Optional.ofNullable(p.first("code_challenge")),
            prompt(p),
            maxAge == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(maxAge)),
            Optional.ofNullable(p.first("login_hint")),
            mode,
            channel == Channel.PUSHED,
            Optional.ofNullable(p.first("dpop_jkt"))),
        client);
  }

  // ---------------------------------------------------------------- shown

  static Optional<OAuthError> clientIdGivenOnce(Parameters p) {
    List<String> ids = p.all("client_id");
    if (ids.isEmpty() || ids.get(0).isBlank()) {
      return shown("invalid_request", "The request names no application (client_id is missing).");
    }
    if (ids.size() > 1) {
      return shown("invalid_request", "The request names its application more than once.");
    }
    return Optional.empty();
  }

  static Optional<OAuthError> clientKnown(Optional<ClientState.Registered> found) {
    return found.isPresent()
        ? Optional.empty()
        : shown(
            "invalid_client", "The application that sent you here is not known to this server.");
  }

  static Optional<OAuthError> clientEnabled(ClientState.Registered client) {
    return client.disabled()
        ? shown("invalid_client", "The application that sent you here has been disabled.")
        : Optional.empty();
  }

  /** RFC 9700 §4.1.3: exact match with a registered URI (loopback ports excepted, RFC 8252). */
  static Optional<OAuthError> redirectUriRegistered(Parameters p, ClientState.Registered client) {
    List<String> uris = p.all("redirect_uri");
    List<String> registered = client.metadata().redirectUris();
    if (uris.size() > 1) {
      return shown("invalid_request", "The request gives more than one redirect URI.");
    }
    if (uris.isEmpty()) {
      return registered.size() == 1
          ? Optional.empty()
          : shown(
              "invalid_request", "The request must say where to return (redirect_uri is missing).");
    }
    return RedirectUriMatcher.match(uris.get(0), registered).isPresent()
        ? Optional.empty()
        : shown(
            "invalid_request",
            "The address this request wants to return to is not registered for the application.");
  }

  /** Shown instead of a redirect URI error when the client may not use the code grant at all. */
  static Optional<OAuthError> mayNotSignPeopleIn(ClientState.Registered client) {
    return client.metadata().allows(GrantType.AUTHORIZATION_CODE)
        ? Optional.empty()
        : shown(
            "unauthorized_client",
            "The application that sent you here may not sign people in: it is registered for"
                + " machine-to-machine access only.");
  }

  /** The URI to answer: the one asked for (a loopback one may differ from the registered port). */
  static String redirectUri(Parameters p, ClientState.Registered client) {
    String given = p.first("redirect_uri");
    return given != null ? given : client.metadata().redirectUris().get(0);
  }

  // ---------------------------------------------------------------- redirected

  static Optional<OAuthError> noRepeatedParameter(Parameters p) {
    for (String name : new TreeSet<>(SINGLE)) {
      if (p.all(name).size() > 1) {
        return Optional.of(OAuthError.invalidRequest("the parameter " + name + " is repeated"));
      }
    }
    return Optional.empty();
  }

  /**
   * RFC 9126 §6: a client registered with {@code require_pushed_authorization_requests}, or any
   * client of a server that requires it, must push; its plain request is refused. The client and
   * the redirect URI are established by then, so the refusal goes back to the client.
   */
  static Optional<OAuthError> pushedIfRequired(
      ClientState.Registered client, Channel channel, boolean serverRequiresPushed) {
    if (channel == Channel.PUSHED
        || !(serverRequiresPushed || client.metadata().requiresPushedRequests())) {
      return Optional.empty();
    }
    return Optional.of(
        OAuthError.invalidRequest(
            "this client must push its authorization requests to the pushed authorization"
                + " request endpoint first (RFC 9126)"));
  }

  /**
   * Request objects (RFC 9101) are not supported. A {@code request_uri} is only ever ours, and
   * {@code /authorize} resolves it to the pushed parameters before these checks: one among those
   * parameters, or pushed itself, is refused (RFC 9126 §2.1).
   */
  static Optional<OAuthError> noRequestObject(Parameters p) {
    if (p.contains("request")) {
      return Optional.of(OAuthError.invalidRequest("request objects are not supported"));
    }
    if (p.contains("request_uri")) {
      return Optional.of(
          OAuthError.invalidRequest(
              "request_uri is only accepted at the authorization endpoint, alone with client_id"));
    }
    return Optional.empty();
  }

  static Optional<OAuthError> noValueTooLong(Parameters p) {
    for (String name : new TreeSet<>(SINGLE)) {
      String v = p.first(name);
      if (v != null && v.length() > MAX_VALUE) {
        return Optional.of(OAuthError.invalidRequest("the parameter " + name + " is too long"));
      }
    }
    return Optional.empty();
  }

  static Optional<OAuthError> responseTypeIsCode(Parameters p) {
    String responseType = p.first("response_type");
    if (responseType == null || responseType.isEmpty()) {
      return Optional.of(OAuthError.invalidRequest("response_type is missing"));
    }
    return "code".equals(responseType)
        ? Optional.empty()
        : Optional.of(OAuthError.unsupportedResponseType("only response_type=code is supported"));
  }

  static Optional<OAuthError> responseModeSupported(Parameters p) {
    String mode = p.first("response_mode");
    return mode == null || ResponseMode.parse(mode).isPresent()
        ? Optional.empty()
        : Optional.of(
            OAuthError.invalidRequest(
                "response_mode must be query or form_post (the default is query)"));
  }

  /**
   * A browser posts a form only to a web address: form_post to a native app's private-use scheme
   * could never arrive.
   */
  static Optional<OAuthError> formPostReachesTheRedirectUri(ResponseMode mode, String redirectUri) {
    if (mode != ResponseMode.FORM_POST) {
      return Optional.empty();
    }
    String lower = redirectUri.toLowerCase(Locale.ROOT);
    return lower.startsWith("https://") || lower.startsWith("http://")
        ? Optional.empty()
        : Optional.of(
            OAuthError.invalidRequest(
                "response_mode=form_post needs an http(s) redirect URI; this one is answered in the"
                    + " query"));
  }

  /** The mode the response goes back in: the one asked for, or query (also for one unsupported). */
  static ResponseMode responseMode(Parameters p) {
    String mode = p.first("response_mode");
    return mode == null ? ResponseMode.QUERY : ResponseMode.parse(mode).orElse(ResponseMode.QUERY);
  }

  static Optional<OAuthError> clientMayUseTheCodeGrant(ClientState.Registered client) {
    return client.metadata().allows(GrantType.AUTHORIZATION_CODE)
        ? Optional.empty()
        : Optional.of(
            OAuthError.unauthorizedClient("the client may not use the authorization code grant"));
  }

  static Optional<OAuthError> scopeAllowed(Parameters p, ClientState.Registered client) {
    String scope = p.first("scope");
    if (scope == null || scope.isBlank()) {
      return Optional.empty();
    }
    Scopes asked;
    try {
      asked = Scopes.parse(scope);
    } catch (IllegalArgumentException e) {
      return Optional.of(OAuthError.invalidScope("the scope parameter is malformed"));
    }
    return asked.isSubsetOf(client.metadata().allowedScopes())
        ? Optional.empty()
        : Optional.of(OAuthError.invalidScope("the client may not ask for some of these scopes"));
  }

  /** No scope asks for every scope the client may have. */
  static Scopes scopes(Parameters p, ClientState.Registered client) {
    String scope = p.first("scope");
    return scope == null || scope.isBlank()
        ? client.metadata().allowedScopes()
        : Scopes.parse(scope);
  }

  /** RFC 7636: S256 only; required for public clients; no method without a challenge. */
  static Optional<OAuthError> pkce(Parameters p, ClientState.Registered client) {
    String challenge = p.first("code_challenge");
    String method = p.first("code_challenge_method");
    if (challenge == null && method != null) {
      return Optional.of(OAuthError.invalidRequest("code_challenge_method without code_challenge"));
    }
    if (challenge != null) {
      if (!Pkce.S256.equals(method)) {
        return Optional.of(OAuthError.invalidRequest("code_challenge_method must be S256"));
      }
      if (!Pkce.isValidChallenge(challenge)) {
        return Optional.of(OAuthError.invalidRequest("code_challenge is malformed"));
      }
      return Optional.empty();
    }
    return client.metadata().type() == ClientType.PUBLIC
        ? Optional.of(OAuthError.invalidRequest("a public client must use PKCE (code_challenge)"))
        : Optional.empty();
  }

  /**
   * FAPI 2.0 Security Profile §5.3.2.2: a FAPI client's request (pushed, as {@link
   * #pushedIfRequired} sees to) carries a PKCE S256 challenge whatever the client's type, and its
   * response comes back in the query (no {@code form_post}, §5.3.2.2 and the profile's response
   * mode rules).
   */
  static Optional<OAuthError> fapi2(
      ResponseMode mode, Parameters p, ClientState.Registered client) {
    if (!client.metadata().security().fapi2()) {
      return Optional.empty();
    }
    if (p.first("code_challenge") == null) {
      return Optional.of(
          OAuthError.invalidRequest("a FAPI 2.0 client must use PKCE S256 (code_challenge)"));
    }
    return mode == ResponseMode.QUERY
        ? Optional.empty()
        : Optional.of(
            OAuthError.invalidRequest("a FAPI 2.0 client's response comes in the query only"));
  }

  /** RFC 9449 §10: {@code dpop_jkt} is a SHA-256 JWK thumbprint, 43 base64url characters. */
  static Optional<OAuthError> dpopJktValid(Parameters p) {
    String jkt = p.first("dpop_jkt");
    return jkt == null || jkt.matches("[A-Za-z0-9_-]{43}")
        ? Optional.empty()
        : Optional.of(
            OAuthError.invalidRequest(
                "dpop_jkt must be a SHA-256 JWK thumbprint: 43 base64url characters"));
  }

  /** OIDC Core §3.1.2.1: none, login, consent; none alone. */
  static Optional<OAuthError> promptValid(Parameters p) {
    String value = p.first("prompt");
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    Set<String> seen = new TreeSet<>();
    for (String v : value.trim().split(" +")) {
      if (!PROMPTS.contains(v)) {
        return Optional.of(OAuthError.invalidRequest("prompt value " + v + " is not supported"));
      }
      seen.add(v);
    }
    return seen.contains("none") && seen.size() > 1
        ? Optional.of(OAuthError.invalidRequest("prompt=none cannot be combined"))
        : Optional.empty();
  }

  static Set<String> prompt(Parameters p) {
    String value = p.first("prompt");
    return value == null || value.isBlank() ? Set.of() : Set.of(value.trim().split(" +"));
  }

  /**
   * OIDC Core §3.1.2.1: a non-negative number of seconds, at most {@link #MAX_AGE_LIMIT}: the bound
   * comes before any arithmetic, so a value past what {@code Instant} holds is refused here.
   */
  static Optional<OAuthError> maxAgeValid(Parameters p) {
    String value = p.first("max_age");
    if (value == null) {
      return Optional.empty();
    }
    if (value.isEmpty()
        || value.length() > 10
        || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Optional.of(
          OAuthError.invalidRequest(
              "max_age must be a number of seconds from 0 to " + MAX_AGE_LIMIT));
    }
    return Long.parseLong(value) <= MAX_AGE_LIMIT
        ? Optional.empty()
        : Optional.of(
            OAuthError.invalidRequest(
                "max_age must be a number of seconds from 0 to " + MAX_AGE_LIMIT));
  }

  private static Optional<OAuthError> shown(String code, String message) {
    return Optional.of(
        OAuthError.of(OAuthError.Code.fromWire(code).orElseThrow(), message).notRedirectable());
  }

  private static Refused show(OAuthError error) {
    return new Refused(error, Optional.empty(), Optional.empty(), ResponseMode.QUERY);
  }
}
