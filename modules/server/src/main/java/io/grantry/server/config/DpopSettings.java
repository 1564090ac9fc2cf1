package io.grantry.server.config;

import java.time.Duration;

/**
 * DPoP (RFC 9449).
 *
 * @param proofWindow GRANTRY_DPOP_PROOF_WINDOW_SECONDS: how old a proof's {@code iat} may be (and,
 *     with GRANTRY_CLOCK_SKEW_SECONDS, how far ahead); its {@code jti} is remembered that long, so
 *     a replay inside the window is refused on every instance (60 s; 5 to 600)
 * @param nonceRequired GRANTRY_DPOP_NONCE_REQUIRED: every proof must carry a nonce the server gave
 *     out ({@code DPoP-Nonce}, RFC 9449 §8 and §9); a proof without a valid one is answered {@code
 *     use_dpop_nonce} with a fresh nonce (false: nonces are neither given nor checked)
 * @param nonceRotation GRANTRY_DPOP_NONCE_ROTATION_SECONDS: a nonce is derived from the time window
 *     of this length and the server's pepper, so every instance gives and accepts the same ones
 *     without sharing anything; a nonce of the current or the previous window is accepted (300 s;
 *     10 to 3600)
 */
public record DpopSettings(Duration proofWindow, boolean nonceRequired, Duration nonceRotation) {
  /** The proof window alone, nonces off. */
  public DpopSettings(Duration proofWindow) {
    this(proofWindow, false, Duration.ofMinutes(5));
  }

  static DpopSettings read(Settings s) {
    return new DpopSettings(
        s.seconds("GRANTRY_DPOP_PROOF_WINDOW_SECONDS", 60, 5, 600),
        s.bool("GRANTRY_DPOP_NONCE_REQUIRED", false),
        s.seconds("GRANTRY_DPOP_NONCE_ROTATION_SECONDS", 300, 10, 3600));
  }
}
