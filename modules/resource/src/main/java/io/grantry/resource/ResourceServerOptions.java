package io.grantry.resource;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a resource server trusts and how hard it works for it: the issuer and the audience it
 * accepts, its own client credentials for introspection (RFC 7662; without them opaque tokens are
 * refused), and the bounds of every cache and fetch. Defaults suit a production API; each setter
 * returns this.
 */
public final class ResourceServerOptions {
  private final String issuer;
  private final String audience;
  private String clientId;
  private String clientSecret;
  private Duration clockSkew = Duration.ofSeconds(30);
  private Duration jwksRefetchInterval = Duration.ofSeconds(30);
  private Duration fetchTimeout = Duration.ofSeconds(5);
  private int maxDocumentBytes = 64 * 1024;
  private int introspectionCacheSize = 10_000;
  private Duration introspectionCacheTtl = Duration.ofSeconds(30);
  private Duration dpopProofLifetime = Duration.ofSeconds(60);
  private int dpopReplayCacheSize = 100_000;
  private List<String> algorithms = List.of("ES256", "RS256");
  private Clock clock = Clock.systemUTC();

  /**
   * @param issuer the issuer identifier (its discovery document is {@code
   *     issuer/.well-known/openid-configuration}, whose {@code issuer} must equal it exactly)
   * @param audience the {@code aud} this API accepts (Grantry: GRANTRY_TOKEN_AUDIENCE, the issuer
   *     by default, or an audience a token exchange named)
   */
  public ResourceServerOptions(String issuer, String audience) {
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.audience = Objects.requireNonNull(audience, "audience");
  }

  /** The resource server's own client at the issuer, for introspecting opaque tokens. */
  public ResourceServerOptions setIntrospectionClient(String clientId, String clientSecret) {
    this.clientId = Objects.requireNonNull(clientId);
    this.clientSecret = Objects.requireNonNull(clientSecret);
    return this;
  }

  /** Leeway on {@code exp}, {@code nbf} and a DPoP proof's {@code iat} (30 s). */
  public ResourceServerOptions setClockSkew(Duration skew) {
    this.clockSkew = nonNegative(skew, "clock skew");
    return this;
  }

  /**
   * The least time between two fetches of the JWKS (30 s): a token with an unknown {@code kid}
   * makes the kit fetch the keys again at most this often, so forged kids cannot make it hammer the
   * issuer.
   */
  public ResourceServerOptions setJwksRefetchInterval(Duration interval) {
    this.jwksRefetchInterval = nonNegative(interval, "JWKS refetch interval");
    return this;
  }

  /** The longest a fetch of discovery, the JWKS or an introspection may take (5 s). */
  public ResourceServerOptions setFetchTimeout(Duration timeout) {
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("the fetch timeout must be positive");
    }
    this.fetchTimeout = timeout;
    return this;
  }

  /** The largest discovery document, JWKS or introspection answer read (64 KiB). */
  public ResourceServerOptions setMaxDocumentBytes(int bytes) {
    if (bytes < 1024) {
      throw new IllegalArgumentException("at least 1 KiB");
    }
    this.maxDocumentBytes = bytes;
    return this;
  }

  /** How many introspection answers are kept (10,000; 0: none). */
  public ResourceServerOptions setIntrospectionCacheSize(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("the introspection cache size cannot be negative");
    }
    this.introspectionCacheSize = size;
    return this;
  }

  /**
   * How long an introspection answer is kept (30 s, never past the token's {@code exp}): a token
   * revoked at the issuer is refused at most this long after its last introspection (0: every
   * request introspects).
   */
  public ResourceServerOptions setIntrospectionCacheTtl(Duration ttl) {
    this.introspectionCacheTtl = nonNegative(ttl, "introspection cache TTL");
    return this;
  }

  /** How old a DPoP proof's {@code iat} may be (60 s); its {@code jti} is remembered that long. */
  public ResourceServerOptions setDpopProofLifetime(Duration lifetime) {
    this.dpopProofLifetime = nonNegative(lifetime, "DPoP proof lifetime");
    return this;
  }

  /** How many DPoP proof {@code jti}s are remembered at most (100,000). */
  public ResourceServerOptions setDpopReplayCacheSize(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("the DPoP replay cache needs room");
    }
    this.dpopReplayCacheSize = size;
    return this;
  }

  /**
   * The JWS algorithms access tokens may be signed with (ES256 and RS256: every one Grantry signs
   * with); a token with any other {@code alg} is refused before its key is looked up.
   */
  public ResourceServerOptions setAlgorithms(List<String> algorithms) {
    if (algorithms.isEmpty()
        || algorithms.contains("none")
        || algorithms.stream().anyMatch(a -> a.startsWith("HS"))) {
      throw new IllegalArgumentException("asymmetric algorithms only, at least one");
    }
    this.algorithms = List.copyOf(algorithms);
    return this;
  }

  /**
   * The kit's clock: DPoP proof times, introspection cache and JWKS refetch bounds (vertx-auth-jwt
   * reads the system clock for {@code exp} and {@code nbf}).
   */
  public ResourceServerOptions setClock(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
    return this;
  }

  public String issuer() {
    return issuer;
  }

  public String audience() {
    return audience;
  }

  public Optional<String> clientId() {
    return Optional.ofNullable(clientId);
  }

  String clientSecret() {
    return clientSecret;
  }

  public Duration clockSkew() {
    return clockSkew;
  }

  public Duration jwksRefetchInterval() {
    return jwksRefetchInterval;
  }

  public Duration fetchTimeout() {
    return fetchTimeout;
  }

  public int maxDocumentBytes() {
    return maxDocumentBytes;
  }

  public int introspectionCacheSize() {
    return introspectionCacheSize;
  }

  public Duration introspectionCacheTtl() {
    return introspectionCacheTtl;
  }

  public Duration dpopProofLifetime() {
    return dpopProofLifetime;
  }

  public int dpopReplayCacheSize() {
    return dpopReplayCacheSize;
  }

  public List<String> algorithms() {
    return algorithms;
  }

  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    // Never the client secret.
    return "ResourceServerOptions[issuer=" + issuer + ", audience=" + audience + "]";
  }

  private static Duration nonNegative(Duration d, String what) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("the " + what + " cannot be negative");
    }
    return d;
  }
}
