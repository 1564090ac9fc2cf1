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
 * @param dpopBoundAccessTokens {@code dpop_bound_access_tokens} (RFC 9449 §5.2): every token
 *     request of the client must carry a DPoP proof, so its access tokens are always bound
 * @param fapi2 {@code "profile": "fapi2"}: the client follows the FAPI 2.0 Security Profile, which
 *     the server then enforces ({@link #requiresPushedRequests}, {@link #requiresDpop}, and the
 *     rules of {@link ClientKeyRules} and the authorization request checks)
 */
public record ClientSecurity(
    boolean requirePushedAuthorizationRequests,
    Optional<String> jwks,
    Optional<String> jwksUri,
    Optional<JwsAlgorithm> tokenEndpointAuthSigningAlg,
    boolean dpopBoundAccessTokens,
    boolean fapi2) {
  /** The wire name of the FAPI 2.0 profile in client metadata ({@code profile}). */
  public static final String FAPI2 = "fapi2";

  /** What a client registered without any of these gets. */
  public static final ClientSecurity NONE =
      new ClientSecurity(false, Optional.empty(), Optional.empty(), Optional.empty());

  /** Keys and pushed requests, without DPoP or a profile. */
  public ClientSecurity(
      boolean requirePushedAuthorizationRequests,
      Optional<String> jwks,
      Optional<String> jwksUri,
      Optional<JwsAlgorithm> tokenEndpointAuthSigningAlg) {
    this(
        requirePushedAuthorizationRequests,
        jwks,
        jwksUri,
        tokenEndpointAuthSigningAlg,
        false,
        false);
  }

  /** A client without keys of its own, requiring pushed requests or not. */
  public ClientSecurity(boolean requirePushedAuthorizationRequests) {
    this(requirePushedAuthorizationRequests, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /** Whether the client's authorization requests must be pushed: registered so, or FAPI 2.0. */
  public boolean requiresPushedRequests() {
    return requirePushedAuthorizationRequests || fapi2;
  }

  /** Whether every token request of the client needs a DPoP proof: registered so, or FAPI 2.0. */
  public boolean requiresDpop() {
    return dpopBoundAccessTokens || fapi2;
  }

  public ClientSecurity {
    Objects.requireNonNull(jwks, "jwks");
    Objects.requireNonNull(jwksUri, "jwksUri");
    Objects.requireNonNull(tokenEndpointAuthSigningAlg, "tokenEndpointAuthSigningAlg");
  }
}
