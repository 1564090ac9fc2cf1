package io.grantry.domain.client;

import io.grantry.domain.oauth.JwsAlgorithm;
import java.util.Objects;
import java.util.Optional;

/**
 * How a client proves who it is with keys, and how its requests are protected beyond the basics
 * every client gets (PKCE, exact redirect URIs, {@code iss} in responses).
 *
 * @param requirePushedAuthorizationRequests {@code require_pushed_authorization_requests} (RFC 9126
 *     §6): the client's authorization requests must be pushed to {@code /par} first; a plain one is
 *     refused
 * @param jwks {@code jwks} (RFC 7591 §2): the client's public keys as a JWK Set, the JSON text as
 *     registered; the keys of {@code private_key_jwt}
 * @param jwksUri {@code jwks_uri}: where the server fetches the client's public keys instead
 * @param tokenEndpointAuthSigningAlg {@code token_endpoint_auth_signing_alg}: the only algorithm
 *     the client's assertions may use; empty: any the method allows
 */
public record ClientSecurity(
    boolean requirePushedAuthorizationRequests,
    Optional<String> jwks,
    Optional<String> jwksUri,
    Optional<JwsAlgorithm> tokenEndpointAuthSigningAlg) {
  /** What a client registered without any of these gets. */
  public static final ClientSecurity NONE =
      new ClientSecurity(false, Optional.empty(), Optional.empty(), Optional.empty());

  /** A client without keys of its own, requiring pushed requests or not. */
  public ClientSecurity(boolean requirePushedAuthorizationRequests) {
    this(requirePushedAuthorizationRequests, Optional.empty(), Optional.empty(), Optional.empty());
  }

  public ClientSecurity {
    Objects.requireNonNull(jwks, "jwks");
    Objects.requireNonNull(jwksUri, "jwksUri");
    Objects.requireNonNull(tokenEndpointAuthSigningAlg, "tokenEndpointAuthSigningAlg");
  }
}
