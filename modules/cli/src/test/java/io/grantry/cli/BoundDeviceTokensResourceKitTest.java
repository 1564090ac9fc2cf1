package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import com.nimbusds.oauth2.sdk.token.TokenTypeURI;
import com.nimbusds.oauth2.sdk.token.TypelessAccessToken;
import com.nimbusds.oauth2.sdk.tokenexchange.TokenExchangeGrant;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.resource.ResourceServerOptions;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The resource-server kit (modules/resource, through the example API) and the DPoP-bound tokens of
 * the device grant and of token exchange from a real Grantry: a device that bound its device code
 * to its key gets a bound token, which the kit accepts with a proof of that key (Nimbus's {@code
 * DefaultDPoPProofFactory}, with {@code ath}) and refuses as a bearer token or with another key's
 * proof; the token exchanged from it is bound to the same key and judged the same way.
 */
class BoundDeviceTokensResourceKitTest {
  static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
  static final String PASSWORD = "correct horse battery";

  static TestServer server;
  static OAuthFixtures fx;
  static OIDCProviderMetadata meta;
  static Vertx vertx;
  static ExampleApi api;
  static String hubSecret;
  static String apiSecret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    hubSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "kit-hub")
                    .put("client_name", "Kit hub")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put(
                        "grant_types",
                        new JsonArray()
                            .add(DEVICE_GRANT)
                            .add("urn:ietf:params:oauth:grant-type:token-exchange"))
                    .put("response_types", new JsonArray())
                    .put("scope", ExampleApi.READ + " " + ExampleApi.WRITE)
                    .put("dpop_bound_access_tokens", true))
            .getString("client_secret");
    apiSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "notes-api")
                    .put("client_name", "Notes API")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("grant_types", new JsonArray().add("client_credentials"))
                    .put("scope", "")
                    .put("introspect", true))
            .getString("client_secret");
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
    vertx = Vertx.vertx();
    String issuer = server.url("");
    api =
        TestServer.await(
            ExampleApi.start(
                vertx,
                new ResourceServerOptions(issuer, issuer)
                    .setIntrospectionClient("notes-api", apiSecret),
                "127.0.0.1",
                0));
  }

  @AfterAll
  static void stop() throws Exception {
    if (api != null) {
      TestServer.await(api.stop());
    }
    if (vertx != null) {
      TestServer.await(vertx.close());
    }
    server.close();
  }

  static HttpResponse<String> call(String scheme, String token, String proof) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/notes"))
            .GET()
            .header("Authorization", scheme + " " + token);
    if (proof != null) {
      b.header("DPoP", proof);
    }
    return OAuthFixtures.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String notesProof(DPoPProofFactory f, String token) throws Exception {
    return f.createDPoPJWT(
            "GET",
            URI.create("http://127.0.0.1:" + api.port() + "/notes"),
            new DPoPAccessToken(token))
        .serialize();
  }

  static void assertKitJudges(
      String token, String jkt, DPoPProofFactory key, DPoPProofFactory other) throws Exception {
    HttpResponse<String> ok = call("DPoP", token, notesProof(key, token));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(new JsonObject(ok.body()).getString("dpop_jkt")).isEqualTo(jkt);
    HttpResponse<String> asBearer = call("Bearer", token, null);
    assertThat(asBearer.statusCode()).isEqualTo(401);
    assertThat(asBearer.headers().firstValue("WWW-Authenticate").orElse(""))
        .contains("invalid_token")
        .contains("DPoP-bound");
    assertThat(call("DPoP", token, null).statusCode()).as("no proof").isEqualTo(401);
    assertThat(call("DPoP", token, notesProof(other, token)).statusCode())
        .as("another key's proof")
        .isEqualTo(401);
  }

  @Test
  void theKitTakesABoundDeviceTokenAndItsExchangeOnlyWithTheKeysProof() throws Exception {
    ECKey key = new ECKeyGenerator(Curve.P_256).generate();
    DPoPProofFactory proofs = new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256);
    DPoPProofFactory other =
        new DefaultDPoPProofFactory(new ECKeyGenerator(Curve.P_256).generate(), JWSAlgorithm.ES256);
    String jkt = key.computeThumbprint().toString();
    ClientSecretBasic hub = new ClientSecretBasic(new ClientID("kit-hub"), new Secret(hubSecret));

    URI deviceEndpoint = meta.getDeviceAuthorizationEndpointURI();
    HTTPRequest start =
        new DeviceAuthorizationRequest(
                deviceEndpoint,
                hub,
                Scope.parse(ExampleApi.READ + " " + ExampleApi.WRITE),
                Map.of())
            .toHTTPRequest();
    start.setDPoP(proofs.createDPoPJWT("POST", deviceEndpoint));
    HTTPResponse started = start.send();
    DeviceAuthorizationSuccessResponse d =
        DeviceAuthorizationResponse.parse(started).toSuccessResponse();
    fx.allowDevice("kim", PASSWORD, d.getUserCode().getValue());
    HTTPRequest poll =
        new TokenRequest(meta.getTokenEndpointURI(), hub, new DeviceCodeGrant(d.getDeviceCode()))
            .toHTTPRequest();
    poll.setDPoP(proofs.createDPoPJWT("POST", meta.getTokenEndpointURI()));
    HTTPResponse polled = poll.send();
    assertThat(polled.getStatusCode()).as(polled.getBody()).isEqualTo(200);
    JsonObject tokens = new JsonObject(polled.getBody());
    assertThat(tokens.getString("token_type")).isEqualTo("DPoP");
    String device = tokens.getString("access_token");
    assertThat(OAuthFixtures.claims(device).getJsonObject("cnf").getString("jkt")).isEqualTo(jkt);
    assertKitJudges(device, jkt, proofs, other);

    // Exchanged (RFC 8693) with a proof of the same key: bound to it in turn.
    HTTPRequest exchange =
        new TokenRequest.Builder(
                meta.getTokenEndpointURI(),
                hub,
                new TokenExchangeGrant(
                    new TypelessAccessToken(device),
                    TokenTypeURI.ACCESS_TOKEN,
                    null,
                    null,
                    null,
                    null))
            .build()
            .toHTTPRequest();
    exchange.setDPoP(proofs.createDPoPJWT("POST", meta.getTokenEndpointURI()));
    HTTPResponse exchanged = exchange.send();
    assertThat(exchanged.getStatusCode()).as(exchanged.getBody()).isEqualTo(200);
    JsonObject x = new JsonObject(exchanged.getBody());
    assertThat(x.getString("token_type")).isEqualTo("DPoP");
    assertKitJudges(x.getString("access_token"), jkt, proofs, other);
  }
}
