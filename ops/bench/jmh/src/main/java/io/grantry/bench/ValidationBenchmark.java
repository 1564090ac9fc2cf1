package io.grantry.bench;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.grantry.resource.ResourceServer;
import io.grantry.resource.ResourceServerOptions;
import io.grantry.resource.TokenPrincipal;
import io.grantry.server.crypto.CryptoProviders;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The single-core rate at which the resource-server kit ({@code ResourceServer.verify}) validates
 * an access token: an ES256 and an RS256 JWT (signature with vertx-auth-jwt, typ, alg, iss, aud,
 * exp), and an opaque token answered from the introspection cache (a hit: no request). The
 * reference, in the same run and JVM options: Nimbus JOSE+JWT's {@link DefaultJWTProcessor} on the
 * same tokens with the same checks (typ at+jwt, the key by kid from the same JWKS, iss, aud, exp).
 *
 * <p>The issuer is a small Vert.x server on 127.0.0.1 in the benchmark's JVM, serving discovery,
 * the JWKS and introspection, so the kit starts as it would in front of Grantry; after the start
 * no request is made (keys held, the opaque answer cached for an hour). {@code provider=native}
 * puts Amazon Corretto Crypto Provider first (what Grantry does at start); {@code jdk} leaves the
 * JDK's, the default of a resource server that installs nothing. Run with {@code
 * ops/bench/jmh/run.sh ValidationBenchmark -f 3}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(3)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class ValidationBenchmark {
  @Param({"jdk", "native"})
  public String provider;

  private Vertx vertx;
  private HttpServer issuer;
  private ResourceServer kit;
  private String es256;
  private String rs256;
  private String opaque;
  private DefaultJWTProcessor<SecurityContext> nimbus;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    if (provider.equals("native") && !CryptoProviders.install().nativeCrypto()) {
      throw new IllegalStateException("the native provider did not install");
    }
    ECKey ec =
        new ECKeyGenerator(Curve.P_256)
            .keyID("ec")
            .algorithm(JWSAlgorithm.ES256)
            .keyUse(KeyUse.SIGNATURE)
            .generate();
    RSAKey rsa =
        new RSAKeyGenerator(2048)
            .keyID("rsa")
            .algorithm(JWSAlgorithm.RS256)
            .keyUse(KeyUse.SIGNATURE)
            .generate();
    JWKSet published = new JWKSet(java.util.List.of(ec.toPublicJWK(), rsa.toPublicJWK()));

    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    String[] base = new String[1];
    router
        .get("/.well-known/openid-configuration")
        .handler(
            ctx ->
                ctx.json(
                    new JsonObject()
                        .put("issuer", base[0])
                        .put("jwks_uri", base[0] + "/jwks")
                        .put("introspection_endpoint", base[0] + "/introspect")));
    router
        .get("/jwks")
        .handler(ctx -> ctx.json(new JsonObject(published.toString(true))));
    long exp = Instant.now().plus(Duration.ofHours(2)).getEpochSecond();
    router
        .post("/introspect")
        .handler(BodyHandler.create())
        .handler(
            ctx ->
                ctx.json(
                    new JsonObject()
                        .put("active", true)
                        .put("iss", base[0])
                        .put("aud", base[0])
                        .put("sub", "machine")
                        .put("client_id", "machine")
                        .put("scope", "api")
                        .put("exp", exp)));
    issuer = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    base[0] = "http://127.0.0.1:" + issuer.actualPort();

    kit =
        await(
            ResourceServer.create(
                vertx,
                new ResourceServerOptions(base[0], base[0])
                    .setIntrospectionClient("rs", "secret")
                    .setIntrospectionCacheTtl(Duration.ofHours(1))));
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(base[0])
            .audience(base[0])
            .subject("machine")
            .claim("client_id", "machine")
            .claim("scope", "api")
            .jwtID("0123456789abcdef")
            .issueTime(new Date())
            .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(2))))
            .build();
    es256 = sign(claims, JWSAlgorithm.ES256, "ec", new ECDSASigner(ec));
    rs256 = sign(claims, JWSAlgorithm.RS256, "rsa", new RSASSASigner(rsa));
    opaque = "opaque-token-0123456789abcdefghijklmnopqrstuvwxyz";
    await(kit.verify(opaque)); // the one introspection: every later call is a cache hit

    nimbus = new DefaultJWTProcessor<>();
    nimbus.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
    nimbus.setJWSKeySelector(
        new JWSVerificationKeySelector<>(
            Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256), new ImmutableJWKSet<>(published)));
    nimbus.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(
            base[0],
            new JWTClaimsSet.Builder().issuer(base[0]).build(),
            Set.of("sub", "exp", "iat", "jti", "client_id")));
    // Both accept what they must before anything is measured.
    for (String t : new String[] {es256, rs256, opaque}) {
      if (kitVerify(t) == null) {
        throw new IllegalStateException("the kit refused a valid token");
      }
    }
    nimbus.process(es256, null);
    nimbus.process(rs256, null);
  }

  private static String sign(
      JWTClaimsSet claims, JWSAlgorithm alg, String kid, com.nimbusds.jose.JWSSigner signer)
      throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(alg).keyID(kid).type(new JOSEObjectType("at+jwt")).build(),
            claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  /** The kit's answer: its futures complete in the calling thread when nothing is fetched. */
  private TokenPrincipal kitVerify(String token) {
    Future<TokenPrincipal> f = kit.verify(token);
    if (!f.succeeded()) {
      throw new IllegalStateException("not answered at once: " + f.cause());
    }
    return f.result();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    await(kit.close());
    await(issuer.close());
    await(vertx.close());
  }

  @Benchmark
  public TokenPrincipal kitEs256() {
    return kitVerify(es256);
  }

  @Benchmark
  public TokenPrincipal kitRs256() {
    return kitVerify(rs256);
  }

  @Benchmark
  public TokenPrincipal kitOpaqueCacheHit() {
    return kitVerify(opaque);
  }

  @Benchmark
  public JWTClaimsSet nimbusEs256() throws Exception {
    return nimbus.process(es256, null);
  }

  @Benchmark
  public JWTClaimsSet nimbusRs256() throws Exception {
    return nimbus.process(rs256, null);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
