package io.grantry.server.discovery;

import io.grantry.domain.oauth.JwsAlgorithm;
import io.grantry.server.config.ParSettings;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.keys.KeyService;
import io.grantry.server.pages.PageLanguage;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;

/**
 * Server metadata (OpenID Connect Discovery 1.0, RFC 8414) and the public keys (RFC 7517). The
 * metadata says only what the server really does: code flow with PKCE S256, the device
 * authorization grant (RFC 8628 §4), the client authentication methods (secrets, signed JWTs, none)
 * with the algorithms of client assertions, RS256 and ES256 signatures, {@code iss} in
 * authorization responses. The endpoint URLs it gives are the canonical paths, or those of the
 * primary endpoint profile (GRANTRY_ENDPOINT_PRIMARY); the keys are served at every path of the
 * configured profiles. The device authorization endpoint has no alias: it is always at its
 * canonical path.
 */
public final class DiscoveryRoutes implements RouteGroup {
  private final KeyService keys;
  private final String metadata;
  private final EndpointPaths paths;

  public DiscoveryRoutes(String issuer, ParSettings par, KeyService keys, EndpointPaths paths) {
    this.keys = keys;
    this.paths = paths;
    this.metadata = metadata(issuer, par, paths).encode();
  }

  @Override
  public void mount(Router router) {
    router.get("/.well-known/openid-configuration").handler(this::metadata);
    router.get("/.well-known/oauth-authorization-server").handler(this::metadata);
    for (Route r : paths.routes(router, HttpMethod.GET, Endpoint.JWKS)) {
      r.handler(this::jwks);
    }
  }

  /** The metadata with the canonical paths and the default settings. */
  public static JsonObject metadata(String issuer) {
    return metadata(issuer, ParSettings.defaults(), EndpointPaths.canonicalOnly());
  }

  /** The metadata with the endpoint URLs {@code paths} advertises. */
  public static JsonObject metadata(String issuer, ParSettings par, EndpointPaths paths) {
    JsonArray confidentialAuth =
        new JsonArray()
            .add("client_secret_basic")
            .add("client_secret_post")
            .add("client_secret_jwt")
            .add("private_key_jwt");
    JsonArray authMethods = confidentialAuth.copy().add("none");
    // What client assertions may be signed with (RFC 7523; OIDC Core §9): HS256 is
    // client_secret_jwt's, the others private_key_jwt's.
    JsonArray assertionAlgs = new JsonArray();
    for (JwsAlgorithm a : JwsAlgorithm.values()) {
      assertionAlgs.add(a.wire());
    }
    // RFC 9449 §5.1: what DPoP proofs may be signed with, the asymmetric ones (DpopProof).
    JsonArray dpopAlgs = new JsonArray();
    for (JwsAlgorithm a : JwsAlgorithm.values()) {
      if (a.asymmetric()) {
        dpopAlgs.add(a.wire());
      }
    }
    return new JsonObject()
        .put("issuer", issuer)
        .put("authorization_endpoint", issuer + paths.advertised(Endpoint.AUTHORIZE))
        // RFC 9126 §5.
        .put("pushed_authorization_request_endpoint", issuer + paths.advertised(Endpoint.PAR))
        .put("require_pushed_authorization_requests", par.required())
        .put("token_endpoint", issuer + paths.advertised(Endpoint.TOKEN))
        .put("userinfo_endpoint", issuer + paths.advertised(Endpoint.USERINFO))
        .put("jwks_uri", issuer + paths.advertised(Endpoint.JWKS))
        .put("revocation_endpoint", issuer + paths.advertised(Endpoint.REVOCATION))
        .put("introspection_endpoint", issuer + paths.advertised(Endpoint.INTROSPECTION))
        .put("end_session_endpoint", issuer + paths.advertised(Endpoint.END_SESSION))
        .put(
            "device_authorization_endpoint",
            issuer + paths.advertised(Endpoint.DEVICE_AUTHORIZATION))
        .put("backchannel_logout_supported", true)
        .put("backchannel_logout_session_supported", true)
        .put(
            "scopes_supported",
            new JsonArray().add("openid").add("profile").add("email").add("offline_access"))
        .put("response_types_supported", new JsonArray().add("code"))
        .put("response_modes_supported", new JsonArray().add("query").add("form_post"))
        .put(
            "grant_types_supported",
            new JsonArray()
                .add("authorization_code")
                .add("refresh_token")
                .add("client_credentials")
                .add("urn:ietf:params:oauth:grant-type:token-exchange")
                .add("urn:ietf:params:oauth:grant-type:device_code"))
        .put("subject_types_supported", new JsonArray().add("public"))
        .put("id_token_signing_alg_values_supported", new JsonArray().add("RS256").add("ES256"))
        .put("userinfo_signing_alg_values_supported", new JsonArray().add("none"))
        .put("token_endpoint_auth_methods_supported", authMethods)
        .put("revocation_endpoint_auth_methods_supported", confidentialAuth.copy().add("none"))
        .put("introspection_endpoint_auth_methods_supported", confidentialAuth)
        .put("token_endpoint_auth_signing_alg_values_supported", assertionAlgs)
        .put("revocation_endpoint_auth_signing_alg_values_supported", assertionAlgs)
        .put("introspection_endpoint_auth_signing_alg_values_supported", assertionAlgs)
        .put("code_challenge_methods_supported", new JsonArray().add("S256"))
        .put("dpop_signing_alg_values_supported", dpopAlgs)
        .put(
            "claims_supported",
            new JsonArray()
                .add("iss")
                .add("sub")
                .add("aud")
                .add("exp")
                .add("iat")
                .add("auth_time")
                .add("nonce")
                .add("at_hash")
                .add("sid")
                .add("name")
                .add("preferred_username")
                .add("email"))
        .put("prompt_values_supported", new JsonArray().add("none").add("login").add("consent"))
        // OIDC Discovery 1.0 §3: the languages ui_locales may choose for the pages.
        .put("ui_locales_supported", new JsonArray(new ArrayList<>(PageLanguage.supported())))
        .put("claims_parameter_supported", false)
        .put("request_parameter_supported", false)
        // Request objects by reference (OIDC Core §6.2) are not fetched; the request_uri of a
        // pushed request is PAR's own (pushed_authorization_request_endpoint above).
        .put("request_uri_parameter_supported", false)
        .put("authorization_response_iss_parameter_supported", true);
  }

  private void metadata(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "public, max-age=3600")
        .putHeader("Access-Control-Allow-Origin", "*")
        .end(metadata);
  }

  private void jwks(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Type", "application/jwk-set+json")
        // Short enough that a rotation's new key is seen well within the old key's overlap.
        .putHeader("Cache-Control", "public, max-age=300")
        .putHeader("Access-Control-Allow-Origin", "*")
        .end(keys.jwks().encode());
  }
}
