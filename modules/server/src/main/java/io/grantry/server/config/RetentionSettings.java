package io.grantry.server.config;

import java.time.Duration;

/**
 * Pruning of the token-state projection.
 *
 * @param retentionDays GRANTRY_TOKEN_RETENTION_DAYS: rows expired longer ago than this are pruned
 *     (30)
 * @param interval GRANTRY_PRUNE_INTERVAL_MS: how often the job runs (1 h; 0: never)
 * @param batchSize GRANTRY_PRUNE_BATCH_SIZE: most rows one statement deletes (1000)
 */
public record RetentionSettings(int retentionDays, Duration interval, int batchSize) {
  static RetentionSettings read(Settings s) {
    return new RetentionSettings(
        s.integer("GRANTRY_TOKEN_RETENTION_DAYS", 30, 0, 36_500),
        s.millis("GRANTRY_PRUNE_INTERVAL_MS", 3_600_000, 0, 7L * 86_400_000),
        s.integer("GRANTRY_PRUNE_BATCH_SIZE", 1000, 1, 100_000));
  }
}
