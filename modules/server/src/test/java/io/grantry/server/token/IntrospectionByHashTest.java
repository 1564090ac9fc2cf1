package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An access token JWT is recognised by the SHA-256 its issuing event recorded (signed before the
 * append, {@code access_token_hash}, the row's {@code token_hash}), so introspection of a JWT needs
 * no signature check; any other string is verified as before. Against a real server: every grant
 * that issues access tokens records the hash of the very token it answered, and tokens tampered
 * with Nimbus (a library we did not write) in every way we could think of are inactive, and refused
 * at /userinfo and by token exchange (which decide alike), while the token as issued is active. The
 * decision itself, and that a match skips the signature, is {@code IssuedJwtsTest}.
 */
class IntrospectionByHashTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String DEVICE = "urn:ietf:params:oauth:grant-type:device_code";
  static final String AT = "urn:ietf:params:oauth:token-type:access_token";

  static TestServer server;
  static OAuthFixtures fx;
  static String svcSecret;
  static String webSecret;
  static String rsSecret;
  static String tvSecret;

  @BeforeAll
  static void start() throws Exception {
    // The cache off: every introspection here reads the row and decides again.
    Map<String, String> settings = new LinkedHashMap<>(TestServer.sharedSecrets());
    settings.put("GRANTRY_INTROSPECTION_CACHE_MS", "0");
    server = TestServer.start(settings);
    fx = new OAuthFixtures(server);
    svcSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "svc")
                    .put("client_name", "Service")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("grant_types", new JsonArray().add("client_credentials").add(EXCHANGE))
                    .put("scope", "api.read api.write")
                    .put("token_exchange_audiences", new JsonArray().add("https://orders")))
            .getString("client_secret");
    webSecret =
        fx.confidentialClient(
            "web",
            CB,
            "openid profile offline_access api.read",
            "authorization_code",
            "refresh_token");
    tvSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "tv")
                    .put("client_name", "TV")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("grant_types", new JsonArray().add(DEVICE))
                    .put("response_types", new JsonArray())
                    .put("scope", "api.read"))
            .getString("client_secret");
    rsSecret = fx.resourceServer("rs");
    fx.user("alice", PASSWORD);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static JsonObject ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static String clientCredentials() {
    return ok(fx.token("svc", svcSecret, Map.of("grant_type", "client_credentials")))
        .getString("access_token");
  }

  static boolean active(String token) {
    return fx.introspect("rs", rsSecret, token).getBoolean("active");
  }

  /** The row's recorded hash of the token with this jti (null if none). */
  static String rowHash(String token) throws Exception {
    String jti = OAuthFixtures.claims(token).getString("jti");
    List<Row> rows = server.query("SELECT token_hash FROM access_tokens WHERE jti = $1", jti);
    assertThat(rows).as("the row of " + jti).hasSize(1);
    return rows.get(0).getString("token_hash");
  }

  /** The access_token_hash of the events of the token's grant that name its jti. */
  static List<String> eventHashes(String token) throws Exception {
    JsonObject claims = OAuthFixtures.claims(token);
    String jti = claims.getString("jti");
    String grant = GrantTokens.grantIdOf(jti).orElseThrow();
    List<String> out = new ArrayList<>();
    for (Row r :
        server.query(
            "SELECT payload FROM events WHERE stream_id = $1 ORDER BY version",
            GrantTokens.streamId(grant))) {
      JsonObject p = new JsonObject(r.getValue("payload").toString());
      if (jti.equals(p.getString("jti")) || jti.equals(p.getString("access_token_jti"))) {
        out.add(p.getString("access_token_hash"));
      }
    }
    return out;
  }

  static void assertRecorded(String what, String token) throws Exception {
    String hash = GrantTokens.hash(token);
    assertThat(rowHash(token)).as(what + ": the row's hash").isEqualTo(hash);
    assertThat(eventHashes(token)).as(what + ": the issuing event's hash").containsExactly(hash);
    assertThat(active(token)).as(what + ": active").isTrue();
  }

  @Test
  void everyGrantRecordsTheHashOfTheVeryTokenItAnswered() throws Exception {
    String cc = clientCredentials();
    assertRecorded("client_credentials", cc);

    JsonObject code =
        fx.tokens(
            fx.browser(),
            "web",
            webSecret,
            CB,
            "openid offline_access api.read",
            "alice",
            PASSWORD);
    assertRecorded("authorization_code", code.getString("access_token"));
    // The ID token's at_hash is of the token sent, signed before the append.
    assertThat(OAuthFixtures.claims(code.getString("id_token")).getString("at_hash"))
        .isEqualTo(io.grantry.server.tokens.TokenIssuer.atHash(code.getString("access_token")));

    JsonObject refreshed = ok(fx.refresh("web", webSecret, code.getString("refresh_token"), null));
    assertRecorded("refresh_token", refreshed.getString("access_token"));

    JsonObject exchanged = ok(exchange(cc));
    assertRecorded("token exchange", exchanged.getString("access_token"));

    JsonObject device =
        ok(fx.postForm("/device_authorization", "tv", tvSecret, Map.of("scope", "api.read")));
    fx.allowDevice("dora", PASSWORD, device.getString("user_code"));
    JsonObject polled =
        ok(
            fx.token(
                "tv",
                tvSecret,
                Map.of("grant_type", DEVICE, "device_code", device.getString("device_code"))));
    assertRecorded("device_code", polled.getString("access_token"));
  }

  /** The token's claims with {@code change} applied. */
  interface Change {
    void apply(JWTClaimsSet.Builder b);
  }

  static JWTClaimsSet changed(SignedJWT jwt, Change change) throws Exception {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder(jwt.getJWTClaimsSet());
    change.apply(b);
    return b.build();
  }

  /** header.payload.signature from the parts given (each base64url). */
  static String compact(Base64URL header, Base64URL payload, Base64URL signature) {
    return header + "." + payload + "." + signature;
  }

  static String signed(JWSHeader header, JWTClaimsSet claims, ECKey key) throws Exception {
    SignedJWT jwt = new SignedJWT(header, claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  /**
   * {@code token} (one of ours) tampered with in every way we could think of, each named: changed
   * claims under our signature or re-signed with a key we do not hold, the same claims under
   * another key or another Grantry's, signatures flipped, swapped or gone ({@code alg: none}),
   * headers changed. {@code another} is another of our tokens, whose signature is borrowed.
   */
  static Map<String, String> tampered(String token, String another) throws Exception {
    SignedJWT jwt = SignedJWT.parse(token);
    Base64URL[] parts = jwt.getParsedParts();
    JWSHeader ours = jwt.getHeader();
    String kid = ours.getKeyID();
    // A key we do not hold, under our kid and under its own.
    ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
    ECKey other = new ECKeyGenerator(Curve.P_256).keyID("someone-else").generate();
    JWSHeader otherHeader =
        new JWSHeader.Builder(JWSAlgorithm.ES256)
            .keyID("someone-else")
            .type(new JOSEObjectType("at+jwt"))
            .build();

    Map<String, Change> changes = new LinkedHashMap<>();
    changes.put("scope", b -> b.claim("scope", "api.read api.write admin"));
    changes.put(
        "exp", b -> b.expirationTime(new Date(System.currentTimeMillis() + 86_400_000L * 365)));
    changes.put("sub", b -> b.subject("alice"));
    changes.put("aud", b -> b.audience("https://somewhere.else"));
    changes.put("client_id", b -> b.claim("client_id", "rs"));

    Map<String, String> tampered = new LinkedHashMap<>();
    for (Map.Entry<String, Change> c : changes.entrySet()) {
      JWTClaimsSet claims = changed(jwt, c.getValue());
      // Changed claims under our header and our signature.
      tampered.put(
          "changed " + c.getKey() + ", our signature kept",
          compact(parts[0], claims.toPayload().toBase64URL(), parts[2]));
      // Changed claims signed by a key we do not hold, under our kid.
      tampered.put("changed " + c.getKey() + ", re-signed", signed(ours, claims, attacker));
    }
    // The claims as issued, the same jti, signed by a key we do not hold: under our kid, under
    // another kid.
    tampered.put("same jti, a key we do not hold", signed(ours, jwt.getJWTClaimsSet(), attacker));
    tampered.put("same jti, another key's kid", signed(otherHeader, jwt.getJWTClaimsSet(), other));
    // The signature changed: a byte flipped, another token's, none.
    byte[] sig = parts[2].decode();
    sig[10] ^= 1;
    tampered.put("a signature byte flipped", compact(parts[0], parts[1], Base64URL.encode(sig)));
    tampered.put(
        "another token's signature",
        compact(parts[0], parts[1], SignedJWT.parse(another).getParsedParts()[2]));
    // alg none: as Nimbus writes it (no signature), and with our kid and our signature kept.
    tampered.put("alg none", new PlainJWT(jwt.getJWTClaimsSet()).serialize());
    tampered.put(
        "alg none, our kid, our signature",
        compact(
            Base64URL.encode("{\"alg\":\"none\",\"kid\":\"" + kid + "\",\"typ\":\"at+jwt\"}"),
            parts[1],
            parts[2]));
    // The header changed, payload and signature kept: a parameter added, typ, kid, alg.
    JsonObject header = new JsonObject(parts[0].decodeToString());
    for (JsonObject h :
        List.of(
            header.copy().put("x", "1"),
            header.copy().put("typ", "JWT"),
            header.copy().put("kid", "someone-else"),
            header.copy().put("alg", "HS256"),
            header.copy().put("alg", "RS256"))) {
      tampered.put(
          "header " + h.encode(), compact(Base64URL.encode(h.encode()), parts[1], parts[2]));
    }
    // The same header written with other spacing: the same JSON, another string.
    tampered.put(
        "header re-spaced",
        compact(Base64URL.encode(" " + parts[0].decodeToString()), parts[1], parts[2]));

    // Another Grantry (its own database and key) signing a token with the same jti: what its
    // token endpoint would make, had it drawn that jti.
    try (TestServer theirServer = TestServer.start()) {
      JwsSigner theirs = theirServer.server.resources().keys().signer(SigningAlgorithm.ES256);
      assertThat(theirs.kid()).isNotEqualTo(kid);
      io.vertx.core.json.JsonObject claims = OAuthFixtures.claims(token);
      tampered.put("another Grantry, same jti", theirs.sign(claims, JwsSigner.TYP_ACCESS_TOKEN));
      // And our own key's kid in its header, with its signature.
      String theirsToken = theirs.sign(claims, JwsSigner.TYP_ACCESS_TOKEN);
      String[] p = theirsToken.split("\\.");
      tampered.put(
          "another Grantry, same jti, our kid",
          compact(parts[0], new Base64URL(p[1]), new Base64URL(p[2])));
    }
    for (Map.Entry<String, String> t : tampered.entrySet()) {
      assertThat(t.getValue()).as(t.getKey()).isNotEqualTo(token);
    }
    return tampered;
  }

  @Test
  void tamperedTokensAreInactiveAndTheTokenAsIssuedIsActive() throws Exception {
    String token = clientCredentials();
    assertThat(rowHash(token)).isEqualTo(GrantTokens.hash(token));
    SignedJWT jwt = SignedJWT.parse(token);
    for (Map.Entry<String, String> t : tampered(token, clientCredentials()).entrySet()) {
      assertThat(fx.introspect("rs", rsSecret, t.getValue()))
          .as(t.getKey())
          .isEqualTo(new JsonObject().put("active", false));
    }
    // The token as issued: active, with its own claims.
    JsonObject answer = fx.introspect("rs", rsSecret, token);
    assertThat(answer.getBoolean("active")).isTrue();
    assertThat(answer.getString("scope")).isEqualTo(jwt.getJWTClaimsSet().getStringClaim("scope"));
    assertThat(answer.getString("jti")).isEqualTo(jwt.getJWTClaimsSet().getJWTID());
  }

  /** A user's access token with openid, from the code flow. */
  static String userToken() {
    return fx.tokens(fx.browser(), "web", webSecret, CB, "openid api.read", "alice", PASSWORD)
        .getString("access_token");
  }

  @Test
  void tamperedTokensAreRefusedAtUserinfoAndTheTokenAsIssuedAnswers() throws Exception {
    String token = userToken();
    assertThat(rowHash(token)).isEqualTo(GrantTokens.hash(token));
    for (Map.Entry<String, String> t : tampered(token, userToken()).entrySet()) {
      HttpResponse<String> r = fx.userinfo(t.getValue());
      assertThat(r.statusCode()).as(t.getKey()).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate"))
          .as(t.getKey())
          .contains(
              "Bearer error=\"invalid_token\", error_description=\"the access token is not valid\"");
    }
    HttpResponse<String> r = fx.userinfo(token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("sub"))
        .isEqualTo(OAuthFixtures.claims(token).getString("sub"));
  }

  static HttpResponse<String> exchange(String subjectToken) {
    return fx.token(
        "svc",
        svcSecret,
        Map.of(
            "grant_type",
            EXCHANGE,
            "subject_token",
            subjectToken,
            "subject_token_type",
            AT,
            "audience",
            "https://orders"));
  }

  @Test
  void tamperedTokensAreRefusedByTokenExchangeAndTheTokenAsIssuedIsExchanged() throws Exception {
    String token = clientCredentials();
    for (Map.Entry<String, String> t : tampered(token, clientCredentials()).entrySet()) {
      HttpResponse<String> r = exchange(t.getValue());
      assertThat(r.statusCode()).as(t.getKey()).isEqualTo(400);
      assertThat(new JsonObject(r.body()))
          .as(t.getKey())
          .isEqualTo(
              new JsonObject()
                  .put("error", "invalid_grant")
                  .put("error_description", "subject_token is not a token this server issued"));
    }
    assertThat(ok(exchange(token)).getString("access_token")).isNotEmpty();
  }

  /**
   * A token issued before hashes were recorded (its row has none), or whose recorded hash is of
   * another string, is verified as before: active with our signature, inactive without.
   */
  @Test
  void aRowWithoutTheTokensHashFallsBackToTheSignature() throws Exception {
    String old = clientCredentials();
    String jti = OAuthFixtures.claims(old).getString("jti");
    server.query("UPDATE access_tokens SET token_hash = NULL WHERE jti = $1", jti);
    assertThat(rowHash(old)).isNull();
    assertThat(active(old)).isTrue();
    SignedJWT jwt = SignedJWT.parse(old);
    ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID(jwt.getHeader().getKeyID()).generate();
    assertThat(active(signed(jwt.getHeader(), jwt.getJWTClaimsSet(), attacker))).isFalse();

    // A recorded hash of another string: our token still verifies (a refresh answered again within
    // its grace period re-signs the recorded token, so its string differs).
    server.query(
        "UPDATE access_tokens SET token_hash = $2 WHERE jti = $1", jti, GrantTokens.hash("other"));
    assertThat(active(old)).isTrue();
    assertThat(active(signed(jwt.getHeader(), jwt.getJWTClaimsSet(), attacker))).isFalse();
    // Token exchange decides alike: exchanged with our signature, refused without.
    assertThat(exchange(old).statusCode()).isEqualTo(200);
    assertThat(exchange(signed(jwt.getHeader(), jwt.getJWTClaimsSet(), attacker)).statusCode())
        .isEqualTo(400);
    // And /userinfo, for a user's token whose row has no hash.
    String user = userToken();
    server.query(
        "UPDATE access_tokens SET token_hash = NULL WHERE jti = $1",
        OAuthFixtures.claims(user).getString("jti"));
    assertThat(rowHash(user)).isNull();
    assertThat(fx.userinfo(user).statusCode()).isEqualTo(200);
    SignedJWT userJwt = SignedJWT.parse(user);
    assertThat(
            fx.userinfo(signed(userJwt.getHeader(), userJwt.getJWTClaimsSet(), attacker))
                .statusCode())
        .isEqualTo(401);

    // Revoked: inactive, hash or no hash.
    String revoked = clientCredentials();
    assertThat(active(revoked)).isTrue();
    HttpResponse<String> r = fx.postForm("/revoke", "svc", svcSecret, Map.of("token", revoked));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(active(revoked)).isFalse();
  }
}
