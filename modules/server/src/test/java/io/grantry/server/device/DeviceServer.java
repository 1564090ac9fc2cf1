package io.grantry.server.device;

import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server the device grant's end-to-end tests drive, on {@code clock} (polls at one instant are
 * "too fast", expiry is a step of the clock). Every request of theirs comes from 127.0.0.1, so the
 * per-address allowances are out of the way (DeviceRequestLimitTest and the per-user allowance test
 * those); sessions outlast the clock's steps; a resource server {@code rs} may introspect; and the
 * discovery document is read as a client reads it. A second instance on the same database takes
 * {@link #secrets}.
 */
final class DeviceServer implements AutoCloseable {
  static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

  final Map<String, String> secrets = TestServer.sharedSecrets();
  final TestServer server;
  final OAuthFixtures fx;
  final OIDCProviderMetadata meta;
  final String rsSecret;

  DeviceServer(MutableClock clock) throws Exception {
    Map<String, String> settings = new LinkedHashMap<>(secrets);
    settings.put("GRANTRY_DEVICE_USER_CODE_FAILURES_PER_ADDRESS", "100000");
    settings.put("GRANTRY_DEVICE_REQUESTS_PER_ADDRESS", "100000");
    settings.put("GRANTRY_SESSION_IDLE_SECONDS", "360000");
    settings.put("GRANTRY_SESSION_MAX_SECONDS", "360000");
    server = TestServer.start(settings, clock);
    fx = new OAuthFixtures(server);
    rsSecret = fx.resourceServer("rs");
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
  }

  /**
   * A client of the device grant (and of {@code moreGrants}) without redirect URIs, authenticating
   * with {@code authMethod} ({@code none}: a public client), to {@link #register} as it is or with
   * more fields.
   */
  static JsonObject deviceClient(
      String clientId, String name, String authMethod, String scope, String... moreGrants) {
    JsonArray grants = new JsonArray().add(DEVICE_GRANT);
    for (String g : moreGrants) {
      grants.add(g);
    }
    return new JsonObject()
        .put("client_id", clientId)
        .put("client_name", name)
        .put("token_endpoint_auth_method", authMethod)
        .put("grant_types", grants)
        .put("response_types", new JsonArray())
        .put("scope", scope);
  }

  /** Registers {@code client} through the admin API: its secret, or null for a public client. */
  String register(JsonObject client) {
    return fx.admin("POST", "/admin/clients", client).getString("client_secret");
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
