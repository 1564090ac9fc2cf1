package io.grantry.server.authorize;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Pkce;
import io.grantry.domain.oauth.RedirectUriMatcher;
import io.grantry.domain.oauth.Scopes;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks an authorization request, one named rule after another, in the order that decides where an
 * error may go: until the client and its redirect URI are established, errors are shown on a page
 * (never redirected: RFC 6749 §4.1.2.1, RFC 9700 §4.11); after that they are redirected.
 */
public final class AuthorizationRequestParser {
  static final int MAX_VALUE = 1024;
  private static final Set<String> SINGLE =
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
          "response_mode");
  private static final Set<String> PROMPTS = Set.of("none", "login", "consent");

  private AuthorizationRequestParser() {}

  /** The outcome: a request to serve, an error page, or an error to redirect to the client. */
  public sealed interface Result {}

  public record Valid(AuthorizationRequest request, ClientState.Registered client)
      implements Result {}

  /** Shown to the user; the redirect URI is not trusted. */
  public record ShowError(String message, String code) implements Result {}

  /** Sent to the client's registered redirect URI with state and iss. */
  public record RedirectError(String redirectUri, OAuthError error, String state)
      implements Result {}

  /**
   * The client_id to look up, or empty when it is missing or repeated (then {@link #parse} shows an
   * error).
   */
  public static Optional<String> clientId(MultiMap params) {
    List<String> ids = params.getAll("client_id");
    return ids.size() == 1 && !ids.get(0).isBlank() && ids.get(0).length() <= 256
        ? Optional.of(ids.get(0))
        : Optional.empty();
  }

  public static Result parse(MultiMap params, Optional<ClientState.Registered> found) {
    // 1. The client.
    List<String> ids = params.getAll("client_id");
    if (ids.isEmpty() || ids.get(0).isBlank()) {
      return new ShowError(
          "The request names no application (client_id is missing).", "invalid_request");
    }
    if (ids.size() > 1) {
      return new ShowError("The request names its application more than once.", "invalid_request");
    }
    if (found.isEmpty()) {
      return new ShowError(
          "The application that sent you here is not known to this server.", "invalid_client");
    }
    ClientState.Registered client = found.get();
    if (client.disabled()) {
      return new ShowError(
          "The application that sent you here has been disabled.", "invalid_client");
    }

    // 2. The redirect URI: exact match with a registered one (RFC 9700 §4.1.3).
    List<String> uris = params.getAll("redirect_uri");
    List<String> registered = client.metadata().redirectUris();
    String redirectUri;
    boolean given = !uris.isEmpty();
    if (uris.size() > 1) {
      return new ShowError("The request gives more than one redirect URI.", "invalid_request");
    } else if (uris.isEmpty()) {
      if (registered.size() != 1) {
        return new ShowError(
            "The request must say where to return (redirect_uri is missing).", "invalid_request");
      }
      redirectUri = registered.get(0);
    } else {
      Optional<String> match = RedirectUriMatcher.match(uris.get(0), registered);
      if (match.isEmpty()) {
        return new ShowError(
            "The address this request wants to return to is not registered for the application.",
            "invalid_request");
      }
      // Loopback URIs may differ in port only: return to the one the client asked for (RFC 8252
      // §7.3).
      redirectUri = uris.get(0);
    }

    // From here on, errors go back to the client, with state if it was given once.
    List<String> states = params.getAll("state");
    String state = states.size() == 1 ? states.get(0) : null;
    for (String name : SINGLE) {
      if (params.getAll(name).size() > 1) {
        return redirect(
            redirectUri,
            OAuthError.invalidRequest("the parameter " + name + " is repeated"),
            state);
      }
    }
    if (params.contains("request")) {
      return redirect(
          redirectUri, OAuthError.invalidRequest("request objects are not supported"), state);
    }
    if (params.contains("request_uri")) {
      return redirect(
          redirectUri, OAuthError.invalidRequest("request_uri is not supported"), state);
    }
    for (String name : SINGLE) {
      String v = params.get(name);
      if (v != null && v.length() > MAX_VALUE) {
        return redirect(
            redirectUri,
            OAuthError.invalidRequest("the parameter " + name + " is too long"),
            state);
      }
    }

    // 3. What is asked for.
    String responseType = params.get("response_type");
    if (responseType == null || responseType.isEmpty()) {
      return redirect(redirectUri, OAuthError.invalidRequest("response_type is missing"), state);
    }
    if (!"code".equals(responseType)) {
      return redirect(
          redirectUri,
          OAuthError.unsupportedResponseType("only response_type=code is supported"),
          state);
    }
    String responseMode = params.get("response_mode");
    if (responseMode != null && !"query".equals(responseMode)) {
      return redirect(
          redirectUri, OAuthError.invalidRequest("only response_mode=query is supported"), state);
    }
    if (!client.metadata().allows(GrantType.AUTHORIZATION_CODE)) {
      return redirect(
          redirectUri,
          OAuthError.unauthorizedClient("the client may not use the authorization code grant"),
          state);
    }

    Scopes scopes;
    String scope = params.get("scope");
    if (scope == null || scope.isBlank()) {
      scopes = client.metadata().allowedScopes();
    } else {
      try {
        scopes = Scopes.parse(scope);
      } catch (IllegalArgumentException e) {
        return redirect(
            redirectUri, OAuthError.invalidScope("the scope parameter is malformed"), state);
      }
      if (!scopes.isSubsetOf(client.metadata().allowedScopes())) {
        return redirect(
            redirectUri,
            OAuthError.invalidScope("the client may not ask for some of these scopes"),
            state);
      }
    }

    // 4. PKCE (RFC 7636): S256 only; required for public clients.
    String challenge = params.get("code_challenge");
    String method = params.get("code_challenge_method");
    if (challenge == null && method != null) {
      return redirect(
          redirectUri,
          OAuthError.invalidRequest("code_challenge_method without code_challenge"),
          state);
    }
    if (challenge != null) {
      if (method == null || !Pkce.S256.equals(method)) {
        return redirect(
            redirectUri, OAuthError.invalidRequest("code_challenge_method must be S256"), state);
      }
      if (!Pkce.isValidChallenge(challenge)) {
        return redirect(
            redirectUri, OAuthError.invalidRequest("code_challenge is malformed"), state);
      }
    } else if (client.metadata().type() == ClientType.PUBLIC) {
      return redirect(
          redirectUri,
          OAuthError.invalidRequest("a public client must use PKCE (code_challenge)"),
          state);
    }

    // 5. OpenID Connect: prompt, max_age.
    Set<String> prompt = new TreeSet<>();
    String p = params.get("prompt");
    if (p != null && !p.isBlank()) {
      for (String v : p.trim().split(" +")) {
        if (!PROMPTS.contains(v)) {
          return redirect(
              redirectUri,
              OAuthError.invalidRequest("prompt value " + v + " is not supported"),
              state);
        }
        prompt.add(v);
      }
      if (prompt.contains("none") && prompt.size() > 1) {
        return redirect(
            redirectUri, OAuthError.invalidRequest("prompt=none cannot be combined"), state);
      }
    }
    long maxAge = -1;
    String ma = params.get("max_age");
    if (ma != null) {
      try {
        maxAge = Long.parseLong(ma);
      } catch (NumberFormatException e) {
        maxAge = -2;
      }
      if (maxAge < 0) {
        return redirect(
            redirectUri,
            OAuthError.invalidRequest("max_age must be a non-negative number of seconds"),
            state);
      }
    }
    AuthorizationRequest request =
        new AuthorizationRequest(
            client.clientId(),
            redirectUri,
            given,
            scopes,
            state,
            params.get("nonce"),
            challenge,
            Set.copyOf(prompt),
            maxAge,
            params.get("login_hint"));
    return new Valid(request, client);
  }

  private static RedirectError redirect(String uri, OAuthError error, String state) {
    return new RedirectError(uri, error, state);
  }
}
