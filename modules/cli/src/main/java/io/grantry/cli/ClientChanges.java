package io.grantry.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code clients update} and {@code clients enable}: a client changed through {@code PATCH
 * /admin/clients/{id}} (a JSON merge patch: only what is given changes) and enabled again.
 */
final class ClientChanges {
  private ClientChanges() {}

  @Command(
      name = "update",
      mixinStandardHelpOptions = true,
      description =
          "Change some of a client's metadata; what is not given stays. Recorded as"
              + " client.updated.v1 with each changed field's old and new value.")
  static final class Update implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "CLIENT_ID")
    String clientId;

    @Option(names = "--name", description = "client_name.")
    String name;

    @Option(
        names = "--redirect-uri",
        paramLabel = "URI",
        description = "Replace the redirect URIs with these (repeat for more).")
    List<String> redirectUris;

    @Option(
        names = "--grant",
        paramLabel = "GRANT",
        description = "Replace the grant types with these (repeat for more), as for create.")
    List<String> grants;

    @Option(names = "--scope", description = "The space-separated scopes the client may ask for.")
    String scope;

    @Option(names = "--logo-uri", description = "logo_uri.")
    String logoUri;

    @Option(names = "--client-uri", description = "client_uri.")
    String clientUri;

    @Option(
        names = "--skip-consent",
        arity = "1",
        paramLabel = "true|false",
        description = "Whether the consent page is skipped (a first-party client).")
    Boolean skipConsent;

    @Option(
        names = "--set",
        paramLabel = "FIELD=JSON",
        description =
            "Any other metadata field, as the admin API names it, with a JSON value (a bare word is"
                + " a string), e.g. --set introspect=true (repeatable).")
    List<String> sets;

    @Option(
        names = "--unset",
        paramLabel = "FIELD",
        description = "Return a field to its default (repeatable).")
    List<String> unsets;

    @Option(names = "--enable", description = "Enable the client too, if it is disabled.")
    boolean enable;

    @Option(
        names = "--if-match",
        paramLabel = "ETAG",
        description =
            "Change the client only if it is still at this version (the etag `clients show` and"
                + " this command print); if it changed since, nothing is changed (exit code 6).")
    String ifMatch;

    @Override
    public Integer call() {
      JsonObject patch = new JsonObject();
      if (name != null) {
        patch.put("client_name", name);
      }
      if (redirectUris != null) {
        patch.put("redirect_uris", new JsonArray(new ArrayList<Object>(redirectUris)));
      }
      if (grants != null) {
        JsonArray types = new JsonArray();
        grants.forEach(
            g -> types.add("token-exchange".equals(g) ? ClientsCommand.Create.TOKEN_EXCHANGE : g));
        patch.put("grant_types", types);
      }
      if (scope != null) {
        patch.put("scope", scope);
      }
      if (logoUri != null) {
        patch.put("logo_uri", logoUri);
      }
      if (clientUri != null) {
        patch.put("client_uri", clientUri);
      }
      if (skipConsent != null) {
        patch.put("skip_consent", skipConsent);
      }
      if (sets != null) {
        for (String set : sets) {
          int eq = set.indexOf('=');
          if (eq < 1) {
            throw new CliFailure(CliFailure.USAGE, "--set takes FIELD=JSON, got '" + set + "'");
          }
          patch.put(set.substring(0, eq), value(set.substring(eq + 1)));
        }
      }
      if (unsets != null) {
        unsets.forEach(patch::putNull);
      }
      if (enable) {
        patch.put("disabled", false);
      }
      if (patch.isEmpty()) {
        throw new CliFailure(CliFailure.USAGE, "nothing to change: give at least one option");
      }
      AdminApi api = admin.api();
      JsonObject changed =
          api.ifMatch(ifMatch).patch("/clients/" + AdminApi.segment(clientId), patch);
      if (!admin.json && api.etag() != null) {
        changed = changed.copy().put("etag", api.etag());
      }
      admin.printObject(changed);
      return 0;
    }

    /**
     * A JSON value, or the text itself when it is not JSON ({@code --set client_uri=https://…}).
     */
    private static Object value(String text) {
      try {
        return Json.decodeValue(text);
      } catch (DecodeException notJson) {
        return text;
      }
    }
  }

  @Command(
      name = "enable",
      mixinStandardHelpOptions = true,
      description =
          "Enable a disabled client: it authenticates again. The grants revoked when it was disabled"
              + " stay revoked. A client disabled as compromised needs --rotate-secret (or, with"
              + " keys, `clients update --enable` with new ones).")
  static final class Enable implements Callable<Integer> {
    @Mixin AdminOptions admin;

    @Parameters(index = "0", paramLabel = "CLIENT_ID")
    String clientId;

    @Option(
        names = "--rotate-secret",
        description = "Give it a new secret too, printed once; the old one stops working at once.")
    boolean rotateSecret;

    @Option(
        names = "--if-match",
        paramLabel = "ETAG",
        description =
            "Only if the client is still at this version (the etag `clients show` prints).")
    String ifMatch;

    @Override
    public Integer call() {
      JsonObject body = rotateSecret ? new JsonObject().put("rotate_secret", true) : null;
      JsonObject enabled =
          admin
              .api()
              .ifMatch(ifMatch)
              .post("/clients/" + AdminApi.segment(clientId) + "/enable", body);
      if (admin.json) {
        admin.printObject(enabled);
      } else if (enabled.containsKey("client_secret")) {
        System.out.println("Client " + enabled.getString("client_id") + " is enabled.");
        System.out.println("client_secret  " + enabled.getString("client_secret"));
        AdminOptions.warnSecretShownOnce(System.out, "client_secret");
      } else {
        System.out.println("Client " + enabled.getString("client_id") + " is enabled.");
        if (!"none".equals(enabled.getString("token_endpoint_auth_method"))) {
          // The review's M2: say that what it authenticated with before works again.
          System.out.println(
              "Its credentials work again as they were; if they may have leaked, disable it"
                  + " with --reason compromised and enable it with --rotate-secret (or new keys).");
        }
      }
      return 0;
    }
  }
}
