package io.grantry.domain.client;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a client takes part in signing out (OpenID Connect RP-Initiated Logout 1.0 §3.1, Back-Channel
 * Logout 1.0 §2.2).
 *
 * @param postLogoutRedirectUris {@code post_logout_redirect_uris}: where the end-session endpoint
 *     may send the browser after signing out, matched exactly as redirect URIs are
 * @param backchannelLogoutUri {@code backchannel_logout_uri}: where a logout token is POSTed when a
 *     session in which the client received an ID token ends
 * @param backchannelLogoutSessionRequired {@code backchannel_logout_session_required}: the client
 *     needs {@code sid} in its ID tokens and logout tokens
 */
public record LogoutMetadata(
    List<String> postLogoutRedirectUris,
    Optional<String> backchannelLogoutUri,
    boolean backchannelLogoutSessionRequired) {
  public static final LogoutMetadata NONE = new LogoutMetadata(List.of(), Optional.empty(), false);

  public LogoutMetadata {
    postLogoutRedirectUris = List.copyOf(new LinkedHashSet<>(postLogoutRedirectUris));
    Objects.requireNonNull(backchannelLogoutUri, "backchannelLogoutUri");
  }
}
