package io.grantry.server.authorize;

import io.grantry.domain.oauth.Scopes;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.TreeSet;

/**
 * A validated authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1). While the
 * user signs in and consents it travels signed in a hidden form field; nothing about it is kept in
 * the memory of one server instance.
 *
 * @param redirectUri the registered URI the response goes to (exactly as registered)
 * @param redirectUriGiven whether redirect_uri was in the request (then /token must repeat it)
 * @param prompt a subset of none, login, consent
 * @param maxAge seconds, or -1 when absent
 */
public record AuthorizationRequest(
    String clientId,
    String redirectUri,
    boolean redirectUriGiven,
    Scopes scopes,
    String state,
    String nonce,
    String codeChallenge,
    Set<String> prompt,
    long maxAge,
    String loginHint) {

  public boolean prompts(String value) {
    return prompt.contains(value);
  }

  public JsonObject toJson() {
    JsonObject j =
        new JsonObject()
            .put("client_id", clientId)
            .put("redirect_uri", redirectUri)
            .put("redirect_uri_given", redirectUriGiven)
            .put("scope", scopes.value())
            .put("prompt", new JsonArray(new java.util.ArrayList<>(prompt)))
            .put("max_age", maxAge);
    putIf(j, "state", state);
    putIf(j, "nonce", nonce);
    putIf(j, "code_challenge", codeChallenge);
    putIf(j, "login_hint", loginHint);
    return j;
  }

  public static AuthorizationRequest fromJson(JsonObject j) {
    Set<String> prompt = new TreeSet<>();
    j.getJsonArray("prompt", new JsonArray()).forEach(p -> prompt.add(String.valueOf(p)));
    return new AuthorizationRequest(
        j.getString("client_id"),
        j.getString("redirect_uri"),
        j.getBoolean("redirect_uri_given", true),
        Scopes.parse(j.getString("scope", "")),
        j.getString("state"),
        j.getString("nonce"),
        j.getString("code_challenge"),
        Set.copyOf(prompt),
        j.getLong("max_age", -1L),
        j.getString("login_hint"));
  }

  /**
   * The same request without the prompts that were already honoured (after a fresh login or
   * consent).
   */
  public AuthorizationRequest withoutPrompt(String value) {
    Set<String> p = new TreeSet<>(prompt);
    p.remove(value);
    return new AuthorizationRequest(
        clientId,
        redirectUri,
        redirectUriGiven,
        scopes,
        state,
        nonce,
        codeChallenge,
        Set.copyOf(p),
        maxAge,
        loginHint);
  }

  private static void putIf(JsonObject j, String k, String v) {
    if (v != null) {
      j.put(k, v);
    }
  }
}
