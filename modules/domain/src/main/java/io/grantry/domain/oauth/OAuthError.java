package io.grantry.domain.oauth;

import java.util.Objects;
import java.util.Optional;

/**
 * An error a client sees, from the closed set of RFC 6749 §4.1.2.1 and §5.2 and OIDC Core §3.1.2.6.
 * One place in the server renders it (JSON for the token endpoint, a redirect or an error page for
 * the authorization endpoint); nothing else invents error codes.
 *
 * <p>{@code description} becomes {@code error_description}, which RFC 6749 §5.2 limits to {@code
 * %x20-21 / %x23-5B / %x5D-7E}: the constructor replaces every other character (CR, LF, TAB, {@code
 * "}, {@code \}, non-ASCII) with {@code ?} and shortens it to {@value #MAX_DESCRIPTION_LENGTH}
 * characters, so that no caller can inject a header or a log line through it.
 *
 * @param code the {@code error} value
 * @param description human-readable {@code error_description}, never holding a secret
 * @param redirectable whether the authorization endpoint may send this error to the client's
 *     redirect URI. False for codes only the token endpoint uses, and for errors about the client
 *     or its redirect URI themselves, which must be shown to the user instead (RFC 6749 §4.1.2.1,
 *     RFC 9700 §4.11)
 */
public record OAuthError(Code code, String description, boolean redirectable) {
  public static final int MAX_DESCRIPTION_LENGTH = 300;

  /** The {@code error} codes, with their wire spelling. */
  public enum Code {
    INVALID_REQUEST("invalid_request", true, 400),
    /**
     * RFC 6749 §5.2: 401, with {@code WWW-Authenticate} when the client used the Authorization
     * header.
     */
    INVALID_CLIENT("invalid_client", false, 401),
    INVALID_GRANT("invalid_grant", false, 400),
    UNAUTHORIZED_CLIENT("unauthorized_client", true, 400),
    UNSUPPORTED_GRANT_TYPE("unsupported_grant_type", false, 400),
    INVALID_SCOPE("invalid_scope", true, 400),
    /**
     * 400 like every token endpoint error (RFC 6749 §5.2): its one direct response is a denied
     * device authorization's poll (RFC 8628 §3.5); otherwise it is redirected.
     */
    ACCESS_DENIED("access_denied", true, 400),
    UNSUPPORTED_RESPONSE_TYPE("unsupported_response_type", true, 400),
    SERVER_ERROR("server_error", true, 500),
    TEMPORARILY_UNAVAILABLE("temporarily_unavailable", true, 503),
    /** OIDC Core §3.1.2.6, answers to {@code prompt=none}. */
    LOGIN_REQUIRED("login_required", true, 400),
    CONSENT_REQUIRED("consent_required", true, 400),
    INTERACTION_REQUIRED("interaction_required", true, 400),
    /**
     * RFC 8707 §2 and RFC 8693 §2.2.2: a requested {@code resource} or {@code audience} the client
     * may not have a token for.
     */
    INVALID_TARGET("invalid_target", false, 400),
    /**
     * RFC 9101 §7: the {@code request_uri} of a pushed request (RFC 9126 §4) is unknown, spent,
     * expired or another client's.
     */
    INVALID_REQUEST_URI("invalid_request_uri", true, 400),
    /** RFC 8628 §3.5: the user has not yet approved or denied the device authorization. */
    AUTHORIZATION_PENDING("authorization_pending", false, 400),
    /** RFC 8628 §3.5: pending, and the device polls faster than its interval (now 5 s longer). */
    SLOW_DOWN("slow_down", false, 400),
    /** RFC 8628 §3.5: the device code has expired; the device must start again. */
    EXPIRED_TOKEN("expired_token", false, 400);

    private final String wire;
    private final boolean authorizationResponse;
    private final int httpStatus;

    Code(String wire, boolean authorizationResponse, int httpStatus) {
      this.wire = wire;
      this.authorizationResponse = authorizationResponse;
      this.httpStatus = httpStatus;
    }

    public String wire() {
      return wire;
    }

    /**
     * True if RFC 6749 §4.1.2.1 or OIDC Core §3.1.2.6 define the code for an authorization
     * response.
     */
    public boolean authorizationResponse() {
      return authorizationResponse;
    }

    /**
     * The status of a direct (non-redirect) response: 400 for most codes (RFC 6749 §5.2), 401 for
     * {@code invalid_client}, 500 and 503 for the two server-side conditions.
     */
    public int httpStatus() {
      return httpStatus;
    }

    public static Optional<Code> fromWire(String value) {
      for (Code c : values()) {
        if (c.wire.equals(value)) {
          return Optional.of(c);
        }
      }
      return Optional.empty();
    }
  }

  public OAuthError {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(description, "description");
    description = sanitize(description);
    if (redirectable && !code.authorizationResponse()) {
      throw new IllegalArgumentException(
          code.wire() + " is not an authorization response error and cannot be redirected");
    }
  }

  /** An error redirectable exactly when its code belongs to the authorization response. */
  public static OAuthError of(Code code, String description) {
    return new OAuthError(code, description, code.authorizationResponse());
  }

  /** The same error, to be shown to the user rather than sent to a redirect URI. */
  public OAuthError notRedirectable() {
    return redirectable ? new OAuthError(code, description, false) : this;
  }

  public static OAuthError invalidRequest(String description) {
    return of(Code.INVALID_REQUEST, description);
  }

  public static OAuthError invalidClient(String description) {
    return of(Code.INVALID_CLIENT, description);
  }

  public static OAuthError invalidGrant(String description) {
    return of(Code.INVALID_GRANT, description);
  }

  public static OAuthError unauthorizedClient(String description) {
    return of(Code.UNAUTHORIZED_CLIENT, description);
  }

  public static OAuthError unsupportedGrantType(String description) {
    return of(Code.UNSUPPORTED_GRANT_TYPE, description);
  }

  public static OAuthError invalidTarget(String description) {
    return of(Code.INVALID_TARGET, description);
  }

  public static OAuthError invalidScope(String description) {
    return of(Code.INVALID_SCOPE, description);
  }

  public static OAuthError accessDenied(String description) {
    return of(Code.ACCESS_DENIED, description);
  }

  public static OAuthError unsupportedResponseType(String description) {
    return of(Code.UNSUPPORTED_RESPONSE_TYPE, description);
  }

  public static OAuthError serverError(String description) {
    return of(Code.SERVER_ERROR, description);
  }

  public static OAuthError temporarilyUnavailable(String description) {
    return of(Code.TEMPORARILY_UNAVAILABLE, description);
  }

  public static OAuthError loginRequired(String description) {
    return of(Code.LOGIN_REQUIRED, description);
  }

  public static OAuthError consentRequired(String description) {
    return of(Code.CONSENT_REQUIRED, description);
  }

  public static OAuthError interactionRequired(String description) {
    return of(Code.INTERACTION_REQUIRED, description);
  }

  public static OAuthError authorizationPending(String description) {
    return of(Code.AUTHORIZATION_PENDING, description);
  }

  public static OAuthError slowDown(String description) {
    return of(Code.SLOW_DOWN, description);
  }

  public static OAuthError expiredToken(String description) {
    return of(Code.EXPIRED_TOKEN, description);
  }

  /**
   * {@code text} restricted to the {@code error_description} characters of RFC 6749 §5.2, every
   * other character replaced with {@code ?}, and cut to {@link #MAX_DESCRIPTION_LENGTH}.
   */
  public static String sanitize(String text) {
    int n = Math.min(text.length(), MAX_DESCRIPTION_LENGTH);
    StringBuilder out = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      boolean allowed =
          c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
      out.append(allowed ? c : '?');
    }
    return out.toString();
  }
}
