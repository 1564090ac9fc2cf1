package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.oauth2.sdk.dpop.DPoPProofFactory;
import com.nimbusds.oauth2.sdk.dpop.DefaultDPoPProofFactory;
import com.nimbusds.oauth2.sdk.id.JWTID;
import com.nimbusds.oauth2.sdk.token.DPoPAccessToken;
import com.nimbusds.oauth2.sdk.token.DPoPTokenError;
import com.nimbusds.openid.connect.sdk.Nonce;
import io.grantry.resource.ResourceServerOptions;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DPoP at the resource server beyond the proof itself, through the example API in front of a real
 * Grantry, with proofs made by Nimbus's {@link DefaultDPoPProofFactory} for a DPoP-bound token
 * Grantry issued: server-provided nonces (RFC 9449 §9: {@code use_dpop_nonce}, the retry, stale and
 * made-up nonces, nonces shared by instances with one secret), the public URL a proof's {@code htu}
 * names behind a proxy, and a replay cache that, full, refuses rather than forgets.
 */
class ResourceKitDpopEndToEndTest {
  static final String BOTH = ExampleApi.READ + " " + ExampleApi.WRITE;
  static final Duration ROTATION = Duration.ofSeconds(30);
  static TestServer server;
  static OAuthFixtures fx;
  static Vertx vertx;
  static String issuer;
  static String secret;
  static ECKey key;
  static DPoPProofFactory proofs;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_ACCESS_TOKEN_TTL_SECONDS", "600"));
    fx = new OAuthFixtures(server);
    issuer = server.url("");
    JsonObject body =
        new JsonObject()
            .put("client_id", "dpop-app")
            .put("client_name", "DPoP at the API")
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("grant_types", new JsonArray().add("client_credentials"))
            .put("scope", BOTH);
    secret = fx.admin("POST", "/admin/clients", body).getString("client_secret");
    vertx = Vertx.vertx();
    key = new ECKeyGenerator(Curve.P_256).generate();
    proofs = new DefaultDPoPProofFactory(key, JWSAlgorithm.ES256);
    token = boundToken();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      TestServer.await(vertx.close());
    }
    server.close();
  }

  /** RFC 9449 §5: client_credentials with a proof at Grantry's /token: a JWT bound to the key. */
  static String boundToken() throws Exception {
    HttpResponse<String> issued = tokenWithProof(server, "dpop-app", secret, proofs, BOTH);
    assertThat(issued.statusCode()).as(issued.body()).isEqualTo(200);
    JsonObject answer = new JsonObject(issued.body());
    assertThat(answer.getString("token_type")).isEqualTo("DPoP");
    return answer.getString("access_token");
  }

  /** A client_credentials request to {@code server}'s /token with a proof of {@code proofs}. */
  static HttpResponse<String> tokenWithProof(
      TestServer server, String clientId, String secret, DPoPProofFactory proofs, String scope)
      throws Exception {
    String pair = OAuthFixtures.enc(clientId) + ":" + OAuthFixtures.enc(secret);
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create(server.url("/token")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header(
                "Authorization",
                "Basic "
                    + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)))
            .header(
                "DPoP", proofs.createDPoPJWT("POST", URI.create(server.url("/token"))).serialize())
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    OAuthFixtures.formBody(
                        Map.of("grant_type", "client_credentials", "scope", scope))))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static ExampleApi api(UnaryOperator<ResourceServerOptions> configure) throws Exception {
    return TestServer.await(
        ExampleApi.start(
            vertx, configure.apply(new ResourceServerOptions(issuer, issuer)), "127.0.0.1", 0));
  }

  static String notes(ExampleApi api) {
    return "http://127.0.0.1:" + api.port() + "/notes";
  }

  /** A proof for GET at {@code htu}, with {@code nonce} unless null. */
  static String proof(String htu, String nonce) throws Exception {
    return nonce == null
        ? proofs.createDPoPJWT("GET", URI.create(htu), new DPoPAccessToken(token)).serialize()
        : proofs
            .createDPoPJWT("GET", URI.create(htu), new DPoPAccessToken(token), new Nonce(nonce))
            .serialize();
  }

  static HttpResponse<String> get(ExampleApi api, String proof, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(notes(api)))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "DPoP " + token)
            .header("DPoP", proof);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return OAuthFixtures.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The DPoP challenge as Nimbus reads it (a client library's view of WWW-Authenticate). */
  static DPoPTokenError challenge(HttpResponse<String> r) throws Exception {
    return DPoPTokenError.parse(r.headers().firstValue("WWW-Authenticate").orElseThrow());
  }

  static String nonceOf(HttpResponse<String> r) {
    return r.headers().firstValue("DPoP-Nonce").orElse(null);
  }

  static byte[] randomSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return b;
  }

  @Test
  void aRequiredNonceIsAskedForWithUseDpopNonceAndTheRetryWithItPasses() throws Exception {
    byte[] nonceSecret = randomSecret();
    StoppedClock clock = new StoppedClock();
    ExampleApi api = api(o -> o.setDpopNonces(nonceSecret, ROTATION).setClock(clock));
    ExampleApi twin = api(o -> o.setDpopNonces(nonceSecret, ROTATION).setClock(clock));
    ExampleApi stranger = api(o -> o.setDpopNonces(randomSecret(), ROTATION).setClock(clock));
    try {
      HttpResponse<String> first = get(api, proof(notes(api), null));
      assertThat(first.statusCode()).as(first.body()).isEqualTo(401);
      assertThat(challenge(first).getCode()).isEqualTo(DPoPTokenError.USE_DPOP_NONCE.getCode());
      assertThat(new JsonObject(first.body()).getString("error")).isEqualTo("use_dpop_nonce");
      String nonce = nonceOf(first);
      assertThat(nonce).as("DPoP-Nonce").isNotBlank();

      HttpResponse<String> retry = get(api, proof(notes(api), nonce));
      assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
      assertThat(new JsonObject(retry.body()).getString("dpop_jkt"))
          .isEqualTo(key.computeThumbprint().toString());
      assertThat(nonceOf(retry)).as("the nonce to go on with").isEqualTo(nonce);

      // Stateless: another instance with the same secret takes the nonce the first gave out.
      HttpResponse<String> atTwin = get(twin, proof(notes(twin), nonce));
      assertThat(atTwin.statusCode()).as(atTwin.body()).isEqualTo(200);
      // One with another secret does not, and gives out its own.
      HttpResponse<String> atStranger = get(stranger, proof(notes(stranger), nonce));
      assertThat(atStranger.statusCode()).isEqualTo(401);
      assertThat(challenge(atStranger).getCode()).isEqualTo("use_dpop_nonce");
      assertThat(nonceOf(atStranger)).isNotBlank().isNotEqualTo(nonce);
    } finally {
      TestServer.await(api.stop());
      TestServer.await(twin.stop());
      TestServer.await(stranger.stop());
    }
  }

  @Test
  void aStaleNonceAndAMadeUpOneAreRefused() throws Exception {
    StoppedClock clock = new StoppedClock();
    ExampleApi api = api(o -> o.setDpopNonces(randomSecret(), ROTATION).setClock(clock));
    try {
      String nonce = nonceOf(get(api, proof(notes(api), null)));
      assertThat(nonce).isNotBlank();

      HttpResponse<String> madeUp = get(api, proof(notes(api), "AAAAAAAAAAAAAAAAAAAAAAAA"));
      assertThat(madeUp.statusCode()).isEqualTo(401);
      assertThat(challenge(madeUp).getCode()).isEqualTo("use_dpop_nonce");
      assertThat(nonceOf(madeUp)).isEqualTo(nonce);

      // One window on, the nonce is the previous window's: still taken (it was just handed out).
      clock.advance(ROTATION);
      HttpResponse<String> previous = get(api, proof(notes(api), nonce));
      assertThat(previous.statusCode()).as(previous.body()).isEqualTo(200);
      String next = nonceOf(previous);
      assertThat(next).isNotEqualTo(nonce);

      // Two windows on, it is stale: refused, with the current one to retry with.
      clock.advance(ROTATION);
      HttpResponse<String> stale = get(api, proof(notes(api), nonce));
      assertThat(stale.statusCode()).isEqualTo(401);
      assertThat(challenge(stale).getCode()).isEqualTo("use_dpop_nonce");
      String current = nonceOf(stale);
      assertThat(current).isNotEqualTo(nonce).isNotEqualTo(next);
      assertThat(get(api, proof(notes(api), current)).statusCode()).isEqualTo(200);
    } finally {
      TestServer.await(api.stop());
    }
  }

  @Test
  void behindAProxyTheProofNamesThePublicUrlNotTheInternalOne() throws Exception {
    // The proxy serves https://notes.example.com/api/... and strips /api on its way to the API.
    ExampleApi api = api(o -> o.setPublicUrl("https://notes.example.com/api/"));
    ExampleApi plain = api(o -> o);
    try {
      String published = "https://notes.example.com/api/notes";
      HttpResponse<String> ok = get(api, proof(published, null));
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);

      HttpResponse<String> internal = get(api, proof(notes(api), null));
      assertThat(internal.statusCode()).isEqualTo(401);
      assertThat(challenge(internal).getCode()).isEqualTo("invalid_dpop_proof");
      assertThat(challenge(internal).getDescription()).contains("htu");

      // What a client sends in headers does not choose the URL: neither Host nor X-Forwarded-*.
      HttpResponse<String> forwarded =
          get(
              api,
              proof("https://evil.example/api/notes", null),
              "X-Forwarded-Host",
              "evil.example",
              "X-Forwarded-Proto",
              "https",
              "Forwarded",
              "host=evil.example;proto=https");
      assertThat(forwarded.statusCode()).isEqualTo(401);
      assertThat(challenge(forwarded).getCode()).isEqualTo("invalid_dpop_proof");

      // Without a public URL the kit does not take X-Forwarded-* either (the example API's router
      // does not allow forwarded headers): a proof of the forwarded URL is refused...
      HttpResponse<String> untrusted =
          get(
              plain,
              proof("https://notes.example.com/notes", null),
              "X-Forwarded-Host",
              "notes.example.com",
              "X-Forwarded-Proto",
              "https");
      assertThat(untrusted.statusCode()).isEqualTo(401);
      assertThat(challenge(untrusted).getCode()).isEqualTo("invalid_dpop_proof");
      // ...and one of the URL the request really reached passes.
      assertThat(get(plain, proof(notes(plain), null)).statusCode()).isEqualTo(200);
    } finally {
      TestServer.await(api.stop());
      TestServer.await(plain.stop());
    }
  }

  @Test
  void aFullReplayCacheRefusesNewProofsInsteadOfForgettingLiveOnes() throws Exception {
    StoppedClock clock = new StoppedClock();
    // Room for two proofs of this client's key (an eighth of 16); a proof is acceptable for 10 s
    // plus 5 s of skew, remembered 20 s.
    ExampleApi api =
        api(
            o ->
                o.setDpopReplayCacheSize(16)
                    .setDpopProofLifetime(Duration.ofSeconds(10))
                    .setClockSkew(Duration.ofSeconds(5))
                    .setClock(clock));
    try {
      String first = proofAt(api, clock);
      assertThat(get(api, first).statusCode()).isEqualTo(200);
      assertThat(get(api, proofAt(api, clock)).statusCode()).isEqualTo(200);

      HttpResponse<String> third = get(api, proofAt(api, clock));
      assertThat(third.statusCode()).as(third.body()).isEqualTo(503);
      assertThat(new JsonObject(third.body()).getString("error"))
          .isEqualTo("temporarily_unavailable");
      long retryAfter = Long.parseLong(third.headers().firstValue("Retry-After").orElseThrow());
      assertThat(retryAfter).isBetween(1L, 21L);
      // The first proof was not forgotten to make room: its replay is still caught.
      HttpResponse<String> replay = get(api, first);
      assertThat(replay.statusCode()).isEqualTo(401);
      assertThat(challenge(replay).getDescription()).contains("used before");

      // Once the remembered proofs have expired (and can no longer be used), there is room again.
      clock.advance(Duration.ofSeconds(21));
      assertThat(get(api, proofAt(api, clock)).statusCode()).isEqualTo(200);
      HttpResponse<String> late = get(api, first);
      assertThat(late.statusCode()).isEqualTo(401);
      assertThat(challenge(late).getDescription()).contains("iat");
    } finally {
      TestServer.await(api.stop());
    }
  }

  /** A fresh proof whose iat is the API's clock (moved by the test). */
  static String proofAt(ExampleApi api, StoppedClock clock) throws Exception {
    return proofs
        .createDPoPJWT(
            new JWTID(),
            "GET",
            URI.create(notes(api)),
            Date.from(clock.instant()),
            new DPoPAccessToken(token))
        .serialize();
  }

  /**
   * A clock that moves only when the test moves it: nonce windows must not turn over between two
   * requests of a test on their own (Nimbus's proofs carry the real time, within the skew of it).
   */
  static final class StoppedClock extends Clock {
    private volatile Instant now = Instant.now();

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("a test clock is UTC");
    }
  }
}
