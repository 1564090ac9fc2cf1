package io.grantry.bench;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.server.crypto.CryptoProviders;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.SigningKeys;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The single-core rate at which {@link JwsSigner} signs an RFC 9068 access token, the ceiling of
 * JWT issuance: tokens/s on N cores can never exceed N times this. {@code provider=native} is what
 * the server does at start ({@link CryptoProviders#install()}: Amazon Corretto Crypto Provider in
 * front); {@code provider=jdk} leaves the JDK's providers (SunEC, SunRsaSign), the fallback where
 * the native library cannot load. JMH runs every parameter set in a JVM of its own, so the two
 * never share a provider list. The claims are the ones TokenIssuer puts in an access token, with a
 * new jti per token.
 *
 * <p>Run with {@code ops/bench/jmh/run.sh} (see ops/bench/README.md), which passes the server's JVM
 * options ({@code ops/bench/jvm.opts}) to the forks.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SigningBenchmark {
  @Param({"ES256", "RS256"})
  public String alg;

  @Param({"native", "jdk"})
  public String provider;

  private JwsSigner signer;
  private JsonObject claims;
  private long counter;

  @Setup
  public void setup() {
    if (provider.equals("native")) {
      CryptoProviders.Installed installed = CryptoProviders.install();
      if (!installed.nativeCrypto()) {
        throw new IllegalStateException(
            "the native provider did not install: " + installed.fallbackReason().orElse("?"));
      }
    }
    SigningAlgorithm a = SigningAlgorithm.fromWire(alg).orElseThrow();
    signer = JwsSigner.of(SigningKeys.generate(a));
    boolean isNative = CryptoProviders.NATIVE_PROVIDER.equals(signer.provider());
    if (isNative != provider.equals("native")) {
      throw new IllegalStateException(
          alg + " is signed by " + signer.provider() + ", not the " + provider + " provider");
    }
    System.out.println("# " + alg + " signed by " + signer.provider());
    long now = System.currentTimeMillis() / 1000;
    claims =
        new JsonObject()
            .put("iss", "http://127.0.0.1:8080")
            .put("sub", "bench-client")
            .put("aud", "http://127.0.0.1:8080")
            .put("client_id", "bench-client")
            .put("scope", "api")
            .put("jti", "")
            .put("iat", now)
            .put("exp", now + 3600);
  }

  @Benchmark
  public String sign() {
    claims.put("jti", "AAAAAAAAAAAAAAAAAAAAAA." + (counter++));
    return signer.sign(claims, JwsSigner.TYP_ACCESS_TOKEN);
  }
}
