package io.grantry.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Clients through the admin API: register, list, show, rotate the secret, disable. */
@Command(
    name = "clients",
    mixinStandardHelpOptions = true,
    description = "Manage OAuth clients (through the admin API).",
    subcommands = {
      ClientsCommand.Create.class,
      ClientsCommand.ListClients.class,
      ClientsCommand.Show.class,
      ClientsCommand.RotateSecret.class,
      ClientsCommand.Disable.class,
      ClientChanges.Update.class,
      ClientChanges.Enable.class
    })
final class ClientsCommand {
  /**
   * The device authorization grant's type (RFC 8628 §3.4), what {@code --grant device_code} means.
   */
  static final String DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Register a client. A confidential client's secret is printed once.")
  static final class Create implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Option(
        names = "--name",
        required = true,
        description = "client_name, shown on the consent page.")
    String name;

    @Option(names = "--client-id", description = "client_id (default: generated).")
    String clientId;

    @Option(
        names = "--public",
        description = "A public client (native or browser app): no secret, PKCE required.")
    boolean isPublic;

    @Option(
        names = "--auth-method",
        description =
            "token_endpoint_auth_method: client_secret_basic (default), client_secret_post,"
                + " client_secret_jwt, private_key_jwt (with --jwks or --jwks-uri), none.")
    String authMethod;

    @Option(
        names = "--jwks",
        paramLabel = "FILE|JSON",
        description =
            "private_key_jwt: the client's public keys, a JWK Set given inline ('{\"keys\":...}')"
                + " or as the path of a file holding it.")
    String jwks;

    @Option(
        names = "--jwks-uri",
        paramLabel = "URI",
        description = "private_key_jwt: where the server fetches the client's public keys (https).")
    String jwksUri;

    @Option(
        names = "--token-endpoint-auth-signing-alg",
        paramLabel = "ALG",
        description =
            "The only alg the client's assertions may use: ES256, RS256, PS256, EdDSA"
                + " (private_key_jwt) or HS256 (client_secret_jwt).")
    String authSigningAlg;

    @Option(
        names = "--redirect-uri",
        paramLabel = "URI",
        description = "A redirect URI (repeat for more).")
    List<String> redirectUris;

    @Option(
        names = "--grant",
        paramLabel = "GRANT",
        description =
            "authorization_code (default), refresh_token, client_credentials, token-exchange"
                + " (urn:ietf:params:oauth:grant-type:token-exchange, RFC 8693), or device_code"
                + " for the device authorization grant (urn:ietf:params:oauth:grant-type:device_code;"
                + " TVs, CLIs: no redirect URI needed). Repeat for more.")
    List<String> grants;

    @Option(
        names = "--scope",
        description =
            "Space-separated scopes the client may ask for (default: openid for authorization_code).")
    String scope;

    @Option(names = "--logo-uri", description = "logo_uri for the consent page.")
    String logoUri;

    @Option(names = "--client-uri", description = "client_uri (home page) for the consent page.")
    String clientUri;

    @Option(names = "--skip-consent", description = "A first-party client: no consent page.")
    boolean skipConsent;

    @Option(names = "--access-token-format", description = "jwt (default) or opaque.")
    String accessTokenFormat;

    @Option(names = "--access-token-signing-alg", description = "ES256 (default) or RS256.")
    String accessTokenSigningAlg;

    @Option(names = "--introspect", description = "May call the introspection endpoint.")
    boolean introspect;

    @Option(
        names = "--id-token-signing-alg",
        description = "RS256 (default) or ES256: id_token_signed_response_alg.")
    String idTokenSigningAlg;

    @Option(
        names = "--post-logout-redirect-uri",
        paramLabel = "URI",
        description =
            "Where RP-initiated logout may send the browser back (repeatable; matched exactly):"
                + " post_logout_redirect_uris.")
    List<String> postLogoutRedirectUris;

    @Option(
        names = "--backchannel-logout-uri",
        paramLabel = "URI",
        description =
            "Where a logout token is POSTed when a session the client received an ID token in"
                + " ends: backchannel_logout_uri.")
    String backchannelLogoutUri;

    @Option(
        names = "--backchannel-logout-session-required",
        description = "The client needs sid in logout tokens (and ID tokens).")
    boolean backchannelLogoutSessionRequired;

    @Option(
        names = "--require-par",
        description =
            "require_pushed_authorization_requests: authorization requests must be pushed to /par"
                + " first (RFC 9126).")
    boolean requirePar;

    @Option(
        names = "--dpop-bound",
        description =
            "dpop_bound_access_tokens: every token request must carry a DPoP proof (RFC 9449"
                + " §5.2).")
    boolean dpopBound;

    @Option(
        names = "--profile",
        paramLabel = "PROFILE",
        description =
            "profile: fapi2 makes the server enforce the FAPI 2.0 Security Profile for the client"
                + " (needs --auth-method private_key_jwt and its keys).")
    String profile;

    @Option(
        names = "--exchange-audience",
        paramLabel = "AUDIENCE",
        description =
            "token_exchange_audiences: an audience or resource the client may ask a token exchange"
                + " for (repeat for more).")
    List<String> exchangeAudiences;

    @Option(
        names = "--exchange-impersonation",
        description =
            "token_exchange_allow_impersonation: may exchange without an actor token (the issued"
                + " token acts as the subject). Default: delegation only.")
    boolean exchangeImpersonation;

    @Option(
        names = "--exchange-refresh-token",
        description =
            "token_exchange_allow_refresh_token: may ask a token exchange for a refresh token"
                + " (needs --grant refresh_token).")
    boolean exchangeRefreshToken;

    /** The short name the CLI accepts for RFC 8693's grant type. */
    static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";

    @Override
    public Integer call() {
      JsonObject body = new JsonObject().put("client_name", name);
      put(body, "client_id", clientId);
      if (isPublic) {
        body.put("client_type", "public");
      }
      put(body, "token_endpoint_auth_method", authMethod);
      if (jwks != null) {
        body.put("jwks", jwkSet(jwks));
      }
      put(body, "jwks_uri", jwksUri);
      put(body, "token_endpoint_auth_signing_alg", authSigningAlg);
      if (redirectUris != null) {
        body.put("redirect_uris", new JsonArray(new ArrayList<Object>(redirectUris)));
      }
      if (grants != null) {
        JsonArray types = new JsonArray();
        // The RFC 8628 and RFC 8693 names are URNs; the short names are what people type.
        grants.forEach(
            g ->
                types.add(
                    switch (g) {
                      case "token-exchange" -> TOKEN_EXCHANGE;
                      case "device_code" -> DEVICE_CODE_GRANT;
                      default -> g;
                    }));
        body.put("grant_types", types);
      }
      if (exchangeAudiences != null) {
        body.put(
            "token_exchange_audiences", new JsonArray(new ArrayList<Object>(exchangeAudiences)));
      }
      if (exchangeImpersonation) {
        body.put("token_exchange_allow_impersonation", true);
      }
      if (exchangeRefreshToken) {
        body.put("token_exchange_allow_refresh_token", true);
      }
      put(body, "scope", scope);
      put(body, "logo_uri", logoUri);
      put(body, "client_uri", clientUri);
      if (skipConsent) {
        body.put("skip_consent", true);
      }
      put(body, "access_token_format", accessTokenFormat);
      put(body, "access_token_signing_alg", accessTokenSigningAlg);
      put(body, "id_token_signed_response_alg", idTokenSigningAlg);
      if (introspect) {
        body.put("introspect", true);
      }
      if (postLogoutRedirectUris != null) {
        body.put(
            "post_logout_redirect_uris",
            new JsonArray(new ArrayList<Object>(postLogoutRedirectUris)));
      }
      put(body, "backchannel_logout_uri", backchannelLogoutUri);
      if (backchannelLogoutSessionRequired) {
        body.put("backchannel_logout_session_required", true);
      }
      if (requirePar) {
        body.put("require_pushed_authorization_requests", true);
      }
      if (dpopBound) {
        body.put("dpop_bound_access_tokens", true);
      }
      put(body, "profile", profile);
      JsonObject created = admin.api().post("/clients", body);
      admin.printObject(created);
      if (!admin.json && created.containsKey("client_secret")) {
        AdminOptions.warnSecretShownOnce(System.out, "client_secret");
      }
      return 0;
    }

    /** A JWK Set given inline or as a file's path. */
    private static JsonObject jwkSet(String value) {
      String text = value;
      if (!value.trim().startsWith("{")) {
        try {
          text = Files.readString(Path.of(value));
        } catch (IOException e) {
          throw new CliFailure(2, "--jwks: cannot read '" + value + "': " + e.getMessage());
        }
      }
      try {
        return new JsonObject(text);
      } catch (DecodeException e) {
        throw new CliFailure(2, "--jwks is not a JSON object (a JWK Set)");
      }
    }

    private static void put(JsonObject body, String field, String value) {
      if (value != null) {
        body.put(field, value);
      }
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List clients, ordered by client_id.")
  static final class ListClients implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Mixin PageOptions page;

    @Override
    public Integer call() {
      String query = page.query();
      JsonObject found = admin.api().get("/clients" + query);
      admin.printPage(
          found,
          new String[] {"CLIENT_ID", "NAME", "TYPE", "AUTH_METHOD", "GRANTS", "DISABLED"},
          new String[] {
            "client_id",
            "client_name",
            "client_type",
            "token_endpoint_auth_method",
            "grant_types",
            "disabled"
          },
          "grantry clients list --limit " + page.limit);
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one client.")
  static final class Show implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "CLIENT_ID")
    String clientId;

    @Override
    public Integer call() {
      AdminApi api = admin.api();
      JsonObject client = api.get("/clients/" + AdminApi.segment(clientId));
      if (!admin.json && api.etag() != null) {
        // What `clients update --if-match` takes: the change is then made only to this version.
        client = client.copy().put("etag", api.etag());
      }
      admin.printObject(client);
      return 0;
    }
  }

  @Command(
      name = "rotate-secret",
      mixinStandardHelpOptions = true,
      description =
          "Give a confidential client a new secret, printed once; the old one keeps working for the grace period.")
  static final class RotateSecret implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "CLIENT_ID")
    String clientId;

    @Option(
        names = "--grace",
        paramLabel = "DURATION",
        description =
            "How long the old secret keeps working, e.g. 0, 15m, 24h (default: the server's GRANTRY_CLIENT_SECRET_GRACE_SECONDS).")
    String grace;

    @Override
    public Integer call() {
      JsonObject body = new JsonObject();
      if (grace != null) {
        body.put("grace_seconds", AdminOptions.duration("--grace", grace).toSeconds());
      }
      JsonObject rotated =
          admin.api().post("/clients/" + AdminApi.segment(clientId) + "/rotate-secret", body);
      if (admin.json) {
        admin.printObject(rotated);
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"client_id", rotated.getString("client_id")});
      rows.add(new String[] {"client_secret", rotated.getString("client_secret")});
      String until = rotated.getString("previous_secret_valid_until");
      rows.add(
          new String[] {
            "previous secret", until == null ? "no longer valid" : "valid until " + until
          });
      Table.print(System.out, rows);
      AdminOptions.warnSecretShownOnce(System.out, "client_secret");
      return 0;
    }
  }

  @Command(
      name = "disable",
      mixinStandardHelpOptions = true,
      description = "Disable a client: it can no longer authenticate or start an authorization.")
  static final class Disable implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "CLIENT_ID")
    String clientId;

    @Option(
        names = "--reason",
        paramLabel = "REASON",
        description =
            "Why, recorded in the ledger: compromised (its secret or keys may be known to someone"
                + " else: it is enabled again only with new ones), maintenance, retired or other.")
    String reason;

    @Option(
        names = "--if-match",
        paramLabel = "ETAG",
        description =
            "Only if the client is still at this version (the etag `clients show` prints).")
    String ifMatch;

    @Override
    public Integer call() {
      JsonObject body = reason == null ? null : new JsonObject().put("reason", reason);
      JsonObject disabled =
          admin
              .api()
              .ifMatch(ifMatch)
              .post("/clients/" + AdminApi.segment(clientId) + "/disable", body);
      if (admin.json) {
        admin.printObject(disabled);
      } else {
        System.out.println(
            "Client "
                + disabled.getString("client_id")
                + " is disabled"
                + (disabled.getString("disabled_reason") == null
                    ? "."
                    : " (" + disabled.getString("disabled_reason") + ")."));
      }
      return 0;
    }
  }
}
