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
  private byte[] dpopNonceSecret;
  private Duration dpopNonceRotation = Duration.ofSeconds(30);
  private String publicUrl;
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

  /**
   * How many DPoP proof {@code jti}s are remembered at most (100,000): the most proofs this process
   * accepts per proof lifetime plus twice the skew (2 minutes by default). Only expired ones are
   * forgotten; when it is full of live ones a new proof is refused with 503 and {@code Retry-After}
   * until the oldest expires, never accepted unchecked.
   */
  public ResourceServerOptions setDpopReplayCacheSize(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("the DPoP replay cache needs room");
    }
    this.dpopReplayCacheSize = size;
    return this;
  }

  /**
   * Requires a nonce this resource server gave out in every DPoP proof (RFC 9449 §9): a proof
   * without one, or with one that is stale or made up, is answered 401 {@code use_dpop_nonce} with
   * a fresh nonce in {@code DPoP-Nonce}, which the client retries with; every answer to a DPoP
   * request carries the current one. Nonces are stateless (an HMAC of the time window under a key
   * derived from {@code secret}), so every instance configured with the same secret accepts the
   * others' nonces. A nonce is accepted in its window and the next, so a proof can be used (and
   * replayed to another instance) for at most two windows after its nonce was given out, however
   * long the proof lifetime.
   *
   * @param secret at least 32 random bytes, the same at every instance of this API; not shared with
   *     anyone else (a client never needs it)
   * @param rotation the length of a nonce's window (30 s; 5 s to 1 hour)
   */
  public ResourceServerOptions setDpopNonces(byte[] secret, Duration rotation) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("the DPoP nonce secret needs at least 32 bytes");
    }
    if (rotation.compareTo(Duration.ofSeconds(5)) < 0
        || rotation.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("the DPoP nonce rotation must be between 5 s and 1 h");
    }
    this.dpopNonceSecret = secret.clone();
    this.dpopNonceRotation = rotation;
    return this;
  }

  /**
   * The URL clients call this API at, when it is not the one the API sees: behind a reverse proxy
   * or a TLS terminator, a DPoP proof's {@code htu} is the URL the client called ({@code
   * https://api.example.com/notes}), not the internal one ({@code http://10.0.0.5:8081/notes}).
   * With it, a proof's {@code htu} must be this URL followed by the request's path (query and
   * fragment aside), and the request's own {@code Host} and any {@code X-Forwarded-*} or {@code
   * Forwarded} header are ignored for it. Without it, the request's absolute URI as Vert.x gives
   * it: from the {@code Host} header, and from forwarded headers only if the application enabled
   * them on its router ({@code Router.allowForward}, off by default); the kit never reads them
   * itself.
   *
   * @param url {@code https://host[:port][/prefix]}: the scheme, host and port clients call, and
   *     the path prefix the proxy strips, if any (no query, no fragment)
   */
  public ResourceServerOptions setPublicUrl(String url) {
    java.net.URI u;
    try {
      u = new java.net.URI(Objects.requireNonNull(url, "url"));
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("the public URL is not a URL: " + e.getMessage());
    }
    if (!("https".equalsIgnoreCase(u.getScheme()) || "http".equalsIgnoreCase(u.getScheme()))
        || u.getHost() == null
        || u.getRawUserInfo() != null
        || u.getRawQuery() != null
        || u.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "the public URL must be http(s)://host[:port][/prefix], without user, query or fragment");
    }
    this.publicUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
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

  Optional<byte[]> dpopNonceSecret() {
    return Optional.ofNullable(dpopNonceSecret);
  }

  public Duration dpopNonceRotation() {
    return dpopNonceRotation;
  }

  public Optional<String> publicUrl() {
    return Optional.ofNullable(publicUrl);
  }

  public List<String> algorithms() {
    return algorithms;
  }

  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    // Never the client secret nor the nonce secret.
    return "ResourceServerOptions[issuer=" + issuer + ", audience=" + audience + "]";
  }

  private static Duration nonNegative(Duration d, String what) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("the " + what + " cannot be negative");
    }
    return d;
  }
}
