package io.grantry.server.config;

import java.time.Duration;

/**
 * The ledger's own upkeep.
 *
 * @param checkpointInterval GRANTRY_CHECKPOINT_INTERVAL_MS: how often a signed checkpoint is
 *     appended (1 min; 0: never)
 */
public record LedgerSettings(Duration checkpointInterval) {
  static LedgerSettings read(Settings s) {
    return new LedgerSettings(s.millis("GRANTRY_CHECKPOINT_INTERVAL_MS", 60_000, 0, 86_400_000));
  }
}
