package io.grantry.resource;

import static io.grantry.resource.ResourceServerTest.await;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
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
import java.util.function.UnaryOperator;

/**
 * The DPoP tests' kit: a {@link FakeIssuer} whose ES256 key {@code k} signs the access tokens, the
 * kit trusting it for the audience {@code https://api.example}, and {@link ResourceServerTest}'s
 * routes served on 127.0.0.1; with tokens bound to a client's key ({@code cnf.jkt}) and proofs of
 * that key made by Nimbus's {@link DefaultDPoPProofFactory}, as a client would send them.
 */
record DpopFixture(
    Vertx vertx, ECKey signing, FakeIssuer issuer, ResourceServer kit, HttpServer api)
    implements AutoCloseable {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  /**
   * Starts the kit with the options the test sets on top of the introspection client {@code rs}.
   */
  static DpopFixture start(UnaryOperator<ResourceServerOptions> options) throws Exception {
    Vertx vertx = Vertx.vertx();
    ECKey signing =
        new ECKeyGenerator(Curve.P_256)
            .keyID("k")
            .algorithm(JWSAlgorithm.ES256)
            .keyUse(KeyUse.SIGNATURE)
            .generate();
    FakeIssuer issuer = new FakeIssuer(vertx);
    issuer.keys = new JsonArray().add(new JsonObject(signing.toPublicJWK().toJSONString()));
    ResourceServer kit =
        await(
            ResourceServer.create(
                vertx,
                options.apply(
                    new ResourceServerOptions(issuer.issuer, "https://api.example")
                        .setIntrospectionClient("rs", "secret"))));
    return new DpopFixture(vertx, signing, issuer, kit, ResourceServerTest.serve(vertx, kit));
  }

  @Override
  public void close() throws Exception {
    await(api.close());
    await(kit.close());
    issuer.close();
    await(vertx.close());
  }

  String url(String path) {
    return "http://127.0.0.1:" + api.actualPort() + path;
  }

  /**
   * An access token signed with the issuer's key {@code k} ({@code typ at+jwt}), for the kit's
   * audience, expiring in 5 minutes, with what {@code claims} adds.
   */
  String token(UnaryOperator<JWTClaimsSet.Builder> claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID("k")
                .type(new JOSEObjectType("at+jwt"))
                .build(),
            claims
                .apply(
                    new JWTClaimsSet.Builder()
                        .issuer(issuer.issuer)
                        .audience("https://api.example")
                        .expirationTime(Date.from(Instant.now().plusSeconds(300))))
                .build());
    jwt.sign(new ECDSASigner(signing));
    return jwt.serialize();
  }

  /** An access token for {@code client} (its {@code sub} too), scope read, bound to {@code key}. */
  String boundToken(JWK key, String client) throws Exception {
    String jkt = key.computeThumbprint().toString();
    return token(
        c ->
            c.subject(client)
                .claim("client_id", client)
                .claim("scope", "read")
                .claim("cnf", Map.of("jkt", jkt)));
  }

  /** A fresh ES256 proof of {@code key} for the request, carrying the token's hash (ath). */
  static String proof(ECKey key, String method, String url, String token) throws Exception {
    return new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256)
        .createDPoPJWT(method, URI.create(url), new DPoPAccessToken(token))
        .serialize();
  }

  /** Sends the request to the kit's routes with each of {@code proofs} as a DPoP header. */
  HttpResponse<String> call(String method, String path, String authorization, String... proofs)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url(path)))
            .method(method, HttpRequest.BodyPublishers.noBody())
            // A request the kit never answers fails here instead of hanging the build.
            .timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    for (String p : proofs) {
      b.header("DPoP", p);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
