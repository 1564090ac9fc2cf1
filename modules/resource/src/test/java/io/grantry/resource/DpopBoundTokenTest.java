package io.grantry.resource;

import static io.grantry.resource.ResourceServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DPoP-bound access tokens (RFC 9449 §7): proofs made by Nimbus oauth2-oidc-sdk's {@link
 * DefaultDPoPProofFactory}, as a client would send them, against tokens bound with {@code cnf.jkt}
 * (JWT) or introspected with it (opaque). Every §4.3 and §7.1 check the kit makes has a proof that
 * breaks only it.
 */
class DpopBoundTokenTest {
  static DpopFixture fx;
  static ECKey clientKey;
  static RSAKey clientRsaKey;
  static ResourceServerTest.TestClock clock = new ResourceServerTest.TestClock();

  @BeforeAll
  static void start() throws Exception {
    clientKey = new ECKeyGenerator(Curve.P_256).generate();
    clientRsaKey = new RSAKeyGenerator(2048).generate();
    fx = DpopFixture.start(o -> o.setClock(clock));
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
  }

  static String url(String path) {
    return fx.url(path);
  }

  static String boundToken(com.nimbusds.jose.jwk.JWK key) throws Exception {
    return fx.boundToken(key, "machine");
  }

  static String proof(ECKey key, String method, String url, String token) throws Exception {
    return DpopFixture.proof(key, method, url, token);
  }

  static HttpResponse<String> call(
      String method, String path, String authorization, String... proofs) throws Exception {
    return fx.call(method, path, authorization, proofs);
  }

  static String challenge(HttpResponse<String> r) {
    return r.headers().firstValue("WWW-Authenticate").orElse("");
  }

  @Test
  void aBoundTokenWithItsProofPassesAndTheRouteSeesTheKeysThumbprint() throws Exception {
    String token = boundToken(clientKey);
    HttpResponse<String> r =
        call("GET", "/read", "DPoP " + token, proof(clientKey, "GET", url("/read"), token));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("sub")).isEqualTo("machine");
    TokenPrincipal p = await(fx.kit().verify(token));
    assertThat(p.dpopJkt()).contains(clientKey.computeThumbprint().toString());
    // RFC 9449 §4.3: htu without query and fragment.
    assertThat(
            call("GET", "/read?x=1", "DPoP " + token, proof(clientKey, "GET", url("/read"), token))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void aBoundTokenAsBearerOrWithoutItsProofIsRefused() throws Exception {
    String token = boundToken(clientKey);
    HttpResponse<String> bearer = call("GET", "/read", "Bearer " + token);
    assertThat(bearer.statusCode()).isEqualTo(401);
    assertThat(challenge(bearer)).contains("invalid_token").contains("DPoP-bound");
    HttpResponse<String> noProof = call("GET", "/read", "DPoP " + token);
    assertThat(noProof.statusCode()).isEqualTo(401);
    assertThat(challenge(noProof)).startsWith("DPoP algs=").contains("invalid_dpop_proof");
    String p = proof(clientKey, "GET", url("/read"), token);
    assertThat(call("GET", "/read", "DPoP " + token, p, p).statusCode())
        .as("two proofs")
        .isEqualTo(401);
  }

  @Test
  void anUnboundTokenIsRefusedUnderTheDpopScheme() throws Exception {
    String token = fx.token(c -> c.claim("scope", "read"));
    assertThat(call("GET", "/read", "Bearer " + token).statusCode()).isEqualTo(200);
    HttpResponse<String> r =
        call("GET", "/read", "DPoP " + token, proof(clientKey, "GET", url("/read"), token));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(challenge(r)).contains("not DPoP-bound");
  }

  @Test
  void eachBrokenPartOfAProofIsRefused() throws Exception {
    String token = boundToken(clientKey);
    ECKey other = new ECKeyGenerator(Curve.P_256).generate();
    record Case(String what, String proof, String expected) {}
    Case[] cases = {
      new Case(
          "another method (htm)",
          proof(clientKey, "POST", url("/read"), token),
          "invalid_dpop_proof"),
      new Case(
          "another URI (htu)", proof(clientKey, "GET", url("/write"), token), "invalid_dpop_proof"),
      new Case(
          "another token (ath)",
          proof(clientKey, "GET", url("/read"), boundToken(other)),
          "invalid_dpop_proof"),
      new Case(
          "another key than the token's",
          proof(other, "GET", url("/read"), token),
          "invalid_token"),
      new Case(
          "typ JWT", custom(clientKey, "JWT", false, Instant.now(), token), "invalid_dpop_proof"),
      new Case(
          "a private jwk in the header",
          custom(clientKey, "dpop+jwt", true, Instant.now(), token),
          "invalid_dpop_proof"),
      new Case(
          "iat 5 minutes old",
          custom(clientKey, "dpop+jwt", false, Instant.now().minusSeconds(300), token),
          "invalid_dpop_proof"),
      new Case(
          "iat 5 minutes ahead",
          custom(clientKey, "dpop+jwt", false, Instant.now().plusSeconds(300), token),
          "invalid_dpop_proof"),
      new Case(
          "iat beyond any date (1e17 s)",
          custom(clientKey, "dpop+jwt", false, 100_000_000_000_000_000L, token),
          "invalid_dpop_proof"),
      new Case(
          "iat the largest long",
          custom(clientKey, "dpop+jwt", false, Long.MAX_VALUE, token),
          "invalid_dpop_proof"),
      new Case(
          "iat 1e300", custom(clientKey, "dpop+jwt", false, 1e300, token), "invalid_dpop_proof"),
      new Case(
          "iat the smallest long",
          custom(clientKey, "dpop+jwt", false, -Long.MAX_VALUE, token),
          "invalid_dpop_proof"),
      new Case(
          "a signature of another key",
          resigned(proof(clientKey, "GET", url("/read"), token), other),
          "invalid_dpop_proof"),
      new Case("not a JWS", "abc.def", "invalid_dpop_proof"),
    };
    for (Case c : cases) {
      HttpResponse<String> r = call("GET", "/read", "DPoP " + token, c.proof());
      assertThat(r.statusCode()).as(c.what()).isEqualTo(401);
      assertThat(challenge(r)).as(c.what()).contains("error=\"" + c.expected() + "\"");
    }
  }

  @Test
  void aProofIsUsedOnceAndARefusedOneIsNotBurnt() throws Exception {
    String token = boundToken(clientKey);
    String p = proof(clientKey, "GET", url("/read"), token);
    assertThat(call("GET", "/read", "DPoP " + token, p).statusCode()).isEqualTo(200);
    HttpResponse<String> replay = call("GET", "/read", "DPoP " + token, p);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(challenge(replay)).contains("used before");

    String q = proof(clientKey, "GET", url("/read"), token);
    // The same proof on a route whose scope check fails after it is still single use...
    assertThat(
            call("GET", "/write", "DPoP " + token, proof(clientKey, "GET", url("/write"), token))
                .statusCode())
        .isEqualTo(403);
    // ...and a proof refused for its htm is not remembered: its jti may come again, right.
    assertThat(call("POST", "/read", "DPoP " + token, q).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/read", "DPoP " + token, q).statusCode()).isEqualTo(200);
  }

  @Test
  void aProofOlderThanTheWindowIsRefusedOnceTheClockMoves() throws Exception {
    String token = boundToken(clientKey);
    String p = proof(clientKey, "GET", url("/read"), token);
    clock.advance(Duration.ofSeconds(91));
    try {
      HttpResponse<String> r = call("GET", "/read", "DPoP " + token, p);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(challenge(r)).contains("iat");
    } finally {
      clock.advance(Duration.ofSeconds(-91));
    }
  }

  @Test
  void rsaProofsPassToo() throws Exception {
    String token = boundToken(clientRsaKey);
    for (JWSAlgorithm alg : new JWSAlgorithm[] {JWSAlgorithm.RS256, JWSAlgorithm.PS256}) {
      String p =
          new DefaultDPoPProofFactory(clientRsaKey, alg)
              .createDPoPJWT("GET", URI.create(url("/read")), new DPoPAccessToken(token))
              .serialize();
      assertThat(call("GET", "/read", "DPoP " + token, p).statusCode())
          .as(alg.getName())
          .isEqualTo(200);
    }
  }

  @Test
  void anOpaqueTokenBoundThroughIntrospectionNeedsItsProof() throws Exception {
    fx.issuer()
        .answers
        .put(
            "opaque-bound",
            new JsonObject()
                .put("active", true)
                .put("aud", "https://api.example")
                .put("scope", "read")
                .put("token_type", "DPoP")
                .put("cnf", new JsonObject().put("jkt", clientKey.computeThumbprint().toString())));
    assertThat(call("GET", "/read", "Bearer opaque-bound").statusCode()).isEqualTo(401);
    assertThat(
            call(
                    "GET",
                    "/read",
                    "DPoP opaque-bound",
                    proof(clientKey, "GET", url("/read"), "opaque-bound"))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void forwardedHeadersNameTheUrlOnlyWhereTheApplicationsRouterAllowsThem() throws Exception {
    // The kit reads no X-Forwarded-* itself (ResourceKitDpopEndToEndTest: refused by default);
    // an application behind a proxy it trusts may enable them on its router, as Vert.x Web offers.
    io.vertx.ext.web.Router router = io.vertx.ext.web.Router.router(fx.vertx());
    router.allowForward(io.vertx.ext.web.AllowForwardHeaders.X_FORWARD);
    router.route("/read").handler(fx.kit().require("read")).handler(ctx -> ctx.end("ok"));
    HttpServer proxied =
        await(fx.vertx().createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    try {
      String token = boundToken(clientKey);
      String p = proof(clientKey, "GET", "https://api.public.example/read", token);
      HttpResponse<String> r =
          DpopFixture.HTTP.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + proxied.actualPort() + "/read"))
                  .timeout(java.time.Duration.ofSeconds(10))
                  .header("Authorization", "DPoP " + token)
                  .header("DPoP", p)
                  .header("X-Forwarded-Proto", "https")
                  .header("X-Forwarded-Host", "api.public.example")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    } finally {
      await(proxied.close());
    }
  }

  /** A proof built by hand, to break what Nimbus's factory would not (it refuses a private jwk). */
  static String custom(ECKey key, String typ, boolean withPrivate, Instant iat, String token)
      throws Exception {
    return custom(key, typ, withPrivate, (Object) iat.getEpochSecond(), token);
  }

  /** As above with any JSON value as iat, even one no Instant can hold. */
  static String custom(ECKey key, String typ, boolean withPrivate, Object iat, String token)
      throws Exception {
    JsonObject header =
        new JsonObject()
            .put("typ", typ)
            .put("alg", "ES256")
            .put("jwk", new JsonObject((withPrivate ? key : key.toPublicJWK()).toJSONString()));
    JsonObject claims =
        new JsonObject()
            .put("jti", java.util.UUID.randomUUID().toString())
            .put("htm", "GET")
            .put("htu", url("/read"))
            .put("iat", iat)
            .put("ath", DpopProofs.sha256(token));
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String input =
        b64.encodeToString(header.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(claims.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(key.toPrivateKey());
    s.update(input.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    return input + "." + b64.encodeToString(s.sign());
  }

  static String resigned(String proof, ECKey other) throws Exception {
    SignedJWT original = SignedJWT.parse(proof);
    SignedJWT again = new SignedJWT(original.getHeader(), original.getJWTClaimsSet());
    again.sign(new ECDSASigner(other));
    return again.serialize();
  }
}
