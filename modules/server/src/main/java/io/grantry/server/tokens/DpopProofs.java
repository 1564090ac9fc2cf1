package io.grantry.server.tokens;

import io.grantry.resource.DpopNonces;
import io.grantry.server.app.UsedJtis;
import io.grantry.server.config.DpopSettings;
import io.grantry.server.crypto.DpopProof;
import io.grantry.server.crypto.InvalidJwsException;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Checks the DPoP proof of a request (RFC 9449 §4.3): its form and signature ({@link DpopProof}),
 * {@code htm} the request's method, {@code htu} the endpoint's URL (normalized: no query, case of
 * scheme and host, default port), {@code iat} within GRANTRY_DPOP_PROOF_WINDOW_SECONDS before now
 * (and the clock skew after), {@code ath} the hash of the access token presented with it (resource
 * requests), and its {@code jti} not used before by that key: the first use claims it in the
 * database ({@link UsedJtis}) until the proof leaves the window, so a replay to any instance fails.
 */
public final class DpopProofs {
  /**
   * What the check found: the key's thumbprint, or why the proof is refused; neither for a request
   * without a proof ({@link #NONE}).
   */
  public record Result(String jkt, String error, boolean nonceNeeded) {
    public static final Result NONE = new Result(null, null, false);

    public boolean ok() {
      return error == null;
    }

    /** The OAuth error code of a refusal: {@code use_dpop_nonce} or {@code invalid_dpop_proof}. */
    public String errorCode() {
      return nonceNeeded ? "use_dpop_nonce" : "invalid_dpop_proof";
    }

    public static Result refused(String why) {
      return new Result(null, why, false);
    }

    static Result needsNonce() {
      return new Result(
          null, "the DPoP proof must carry the nonce of the DPoP-Nonce header (RFC 9449 §8)", true);
    }
  }

  /** The algorithms a proof may be signed with (asymmetric only, RFC 9449 §4.2). */
  public static final List<String> ALGORITHMS = List.of("ES256", "RS256", "PS256", "EdDSA");

  private final String issuer;
  private final UsedJtis jtis;
  private final Duration window;
  private final Duration skew;
  private final Clock clock;
  private final Optional<DpopNonces> nonces;

  /** Without server nonces. */
  public DpopProofs(
      String issuer, UsedJtis jtis, DpopSettings settings, Duration skew, Clock clock) {
    this(issuer, jtis, settings, skew, clock, Optional.empty());
  }

  /** With server nonces when {@code settings} requires them, derived from {@code pepper}. */
  public DpopProofs(
      String issuer,
      UsedJtis jtis,
      DpopSettings settings,
      Duration skew,
      Clock clock,
      byte[] pepper) {
    this(
        issuer,
        jtis,
        settings,
        skew,
        clock,
        settings.nonceRequired()
            ? Optional.of(new DpopNonces(pepper, settings.nonceRotation(), clock))
            : Optional.empty());
  }

  private DpopProofs(
      String issuer,
      UsedJtis jtis,
      DpopSettings settings,
      Duration skew,
      Clock clock,
      Optional<DpopNonces> nonces) {
    this.issuer = issuer;
    this.jtis = jtis;
    this.window = settings.proofWindow();
    this.skew = skew;
    this.clock = clock;
    this.nonces = nonces;
  }

  /**
   * The nonce to hand out in {@code DPoP-Nonce} now, when nonces are on
   * (GRANTRY_DPOP_NONCE_REQUIRED).
   */
  public Optional<String> currentNonce() {
    return nonces.map(DpopNonces::current);
  }

  /**
   * Checks the {@code DPoP} header values {@code headers} (exactly one proof) of a {@code method}
   * request to the endpoint at {@code path} (e.g. {@code /token}), presented with {@code
   * accessToken} if any (then {@code ath} must be its hash).
   */
  public Future<Result> check(
      List<String> headers, String method, String path, Optional<String> accessToken) {
    if (headers.size() != 1) {
      return refused("send exactly one DPoP proof");
    }
    DpopProof proof;
    try {
      proof = DpopProof.parse(headers.get(0).trim());
    } catch (InvalidJwsException e) {
      return refused("the DPoP proof is not valid: " + e.getMessage());
    }
    if (!method.equals(proof.htm())) {
      return refused("the DPoP proof's htm is not the request's method");
    }
    String expected = DpopProof.normalizedHtu(issuer + path);
    if (expected == null || !expected.equals(DpopProof.normalizedHtu(proof.htu()))) {
      return refused("the DPoP proof's htu is not this endpoint");
    }
    Instant now = clock.instant();
    // Compared as seconds first: an iat beyond Instant's range is a bad proof, not a 5xx.
    long nowSeconds = now.getEpochSecond();
    if (proof.iat() < nowSeconds - window.toSeconds() - skew.toSeconds() - 1
        || proof.iat() > nowSeconds + skew.toSeconds() + 1) {
      return refused("the DPoP proof's iat is not recent");
    }
    Instant iat = Instant.ofEpochSecond(proof.iat());
    if (iat.isBefore(now.minus(window).minus(skew)) || iat.isAfter(now.plus(skew))) {
      return refused("the DPoP proof's iat is not recent");
    }
    // RFC 9449 §8: with nonces on, a proof without the current (or previous) one is answered with
    // a fresh nonce to retry with; its jti is not spent, so the retry is a new proof anyway.
    if (nonces.isPresent() && proof.nonce().filter(nonces.get()::accepts).isEmpty()) {
      return Future.succeededFuture(Result.needsNonce());
    }
    if (accessToken.isPresent()) {
      String ath = DpopProof.ath(accessToken.get());
      if (proof.ath().isEmpty()
          || !MessageDigest.isEqual(
              ath.getBytes(StandardCharsets.US_ASCII),
              proof.ath().get().getBytes(StandardCharsets.US_ASCII))) {
        return refused("the DPoP proof's ath is not the access token's hash");
      }
    }
    return jtis.claim(
            UsedJtis.Kind.DPOP_PROOF,
            proof.jkt(),
            proof.jti(),
            iat.plus(window).plus(skew.multipliedBy(2)))
        .map(
            first ->
                first
                    ? new Result(proof.jkt(), null, false)
                    : Result.refused("the DPoP proof was used before"));
  }

  private static Future<Result> refused(String why) {
    return Future.succeededFuture(Result.refused(why));
  }
}
