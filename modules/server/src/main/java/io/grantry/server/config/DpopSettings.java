package io.grantry.server.config;

import java.time.Duration;

/**
 * DPoP (RFC 9449).
 *
 * @param proofWindow GRANTRY_DPOP_PROOF_WINDOW_SECONDS: how old a proof's {@code iat} may be (and,
 *     with GRANTRY_CLOCK_SKEW_SECONDS, how far ahead); its {@code jti} is remembered that long, so
 *     a replay inside the window is refused on every instance (60 s; 5 to 600)
 */
public record DpopSettings(Duration proofWindow) {
  static DpopSettings read(Settings s) {
    return new DpopSettings(s.seconds("GRANTRY_DPOP_PROOF_WINDOW_SECONDS", 60, 5, 600));
  }
}
