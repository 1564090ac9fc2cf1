package io.grantry.domain.authorize;

import io.grantry.domain.oauth.Scopes;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An authorization request that passed {@link AuthorizationRequestChecks} against its client's
 * registration (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1).
 *
 * @param redirectUri the URI the response goes to (a registered one; a loopback one may differ in
 *     port, RFC 8252 §7.3)
 * @param redirectUriGiven whether redirect_uri was in the request (then /token must repeat it)
 * @param prompt a subset of none, login, consent
 * @param maxAge OIDC {@code max_age} in seconds, when given
 * @param responseMode how the response goes back to the client
 * @param pushed whether the parameters came from a pushed request (RFC 9126), which a client that
 *     requires pushing needs at every step
 * @param dpopJkt {@code dpop_jkt} (RFC 9449 §10): the thumbprint of the DPoP key the code is bound
 *     to
 */
public record AuthorizationRequest(
    String clientId,
    String redirectUri,
    boolean redirectUriGiven,
    Scopes scopes,
    Optional<String> state,
    Optional<String> nonce,
    Optional<String> codeChallenge,
    Set<String> prompt,
    OptionalLong maxAge,
    Optional<String> loginHint,
    ResponseMode responseMode,
    boolean pushed,
    Optional<String> dpopJkt) {
  public AuthorizationRequest {
    Objects.requireNonNull(dpopJkt, "dpopJkt");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(redirectUri, "redirectUri");
    Objects.requireNonNull(scopes, "scopes");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(codeChallenge, "codeChallenge");
    prompt = Set.copyOf(prompt);
    Objects.requireNonNull(maxAge, "maxAge");
    Objects.requireNonNull(loginHint, "loginHint");
    Objects.requireNonNull(responseMode, "responseMode");
  }

  public boolean prompts(String value) {
    return prompt.contains(value);
  }
}
