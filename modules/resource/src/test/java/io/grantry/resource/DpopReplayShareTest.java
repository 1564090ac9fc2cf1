package io.grantry.resource;

import static io.grantry.resource.ResourceServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kit's DPoP replay cache is shared by every client of the API: one client holding a valid
 * bound token and its key must not fill it with its own fresh proofs and so turn every other client
 * away (503) until they expire (found by the session-4 review). One key holds at most an eighth of
 * it.
 */
class DpopReplayShareTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static Vertx vertx;
  static ECKey signing;
  static FakeIssuer issuer;
  static ResourceServer kit;
  static HttpServer api;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    signing =
        new ECKeyGenerator(Curve.P_256)
            .keyID("k")
            .algorithm(JWSAlgorithm.ES256)
            .keyUse(KeyUse.SIGNATURE)
            .generate();
    issuer = new FakeIssuer(vertx);
    issuer.keys = new JsonArray().add(new JsonObject(signing.toPublicJWK().toJSONString()));
    kit =
        await(
            ResourceServer.create(
                vertx,
                new ResourceServerOptions(issuer.issuer, "https://api.example")
                    .setIntrospectionClient("rs", "secret")
                    // Small so that the test stays small; the default (100,000) only moves the
                    // number of requests the flooding client needs within one proof lifetime.
                    .setDpopReplayCacheSize(5)));
    api = ResourceServerTest.serve(vertx, kit);
  }

  @AfterAll
  static void stop() throws Exception {
    await(api.close());
    await(kit.close());
    issuer.close();
    await(vertx.close());
  }

  static String url(String path) {
    return "http://127.0.0.1:" + api.actualPort() + path;
  }

  static String boundToken(ECKey key, String client) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID("k")
                .type(new JOSEObjectType("at+jwt"))
                .build(),
            new JWTClaimsSet.Builder()
                .issuer(issuer.issuer)
                .audience("https://api.example")
                .subject(client)
                .claim("client_id", client)
                .claim("scope", "read")
                .claim("cnf", Map.of("jkt", key.computeThumbprint().toString()))
                .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                .build());
    jwt.sign(new ECDSASigner(signing));
    return jwt.serialize();
  }

  static HttpResponse<String> read(ECKey key, String token) throws Exception {
    String proof =
        new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256)
            .createDPoPJWT("GET", URI.create(url("/read")), new DPoPAccessToken(token))
            .serialize();
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url("/read")))
            .header("Authorization", "DPoP " + token)
            .header("DPoP", proof)
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void oneClientsOwnProofsFillItsShareNotEveryonesCache() throws Exception {
    ECKey flooder = new ECKeyGenerator(Curve.P_256).generate();
    ECKey victim = new ECKeyGenerator(Curve.P_256).generate();
    String flooderToken = boundToken(flooder, "flooder");
    String victimToken = boundToken(victim, "victim");
    // The flooding client sends valid, fresh proofs for its own token: the first is accepted, and
    // once its share (an eighth of 5: one proof) is full it is told to retry later...
    assertThat(read(flooder, flooderToken).statusCode()).isEqualTo(200);
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = read(flooder, flooderToken);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }
    // ...and an unrelated client, with its own key, token and fresh proof, goes on.
    HttpResponse<String> r = read(victim, victimToken);
    assertThat(r.statusCode())
        .as("another client's first request after one client filled its share: " + r.body())
        .isEqualTo(200);
  }
}
