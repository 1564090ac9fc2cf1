package io.grantry.server.config;

import java.time.Duration;

/**
 * What one server process keeps in memory, and for how long another instance's change may go unseen
 * here.
 *
 * @param clients GRANTRY_CLIENT_CACHE_MS: client lookups (1 s; 0: off)
 * @param users GRANTRY_USER_CACHE_MS: user lookups, remembered consents and live sessions (1 s; 0:
 *     off; at most 60 s)
 * @param introspection GRANTRY_INTROSPECTION_CACHE_MS: "active" introspection answers (500 ms; 0:
 *     off; at most 1 s), and how long any access-token answer may lag a change made through another
 *     instance (the introspection mirror answers only while it has caught up within this time)
 * @param introspectionMirror GRANTRY_INTROSPECTION_MIRROR_MAX: most live access tokens the
 *     introspection mirror holds in memory (250,000; 0: no mirror; beyond it the database answers)
 * @param grantEntries GRANTRY_GRANT_CACHE_ENTRIES: most entries the grant-state cache holds
 *     (100,000; 0: no cache)
 * @param grantIdle GRANTRY_GRANT_CACHE_IDLE_SECONDS: how long an unused grant state stays (60 s)
 * @param grantSnapshotEvery GRANTRY_GRANT_SNAPSHOT_EVERY: a grant's state is written at every n-th
 *     event of its stream (16; 0: never), so that a refresh of a grant not in memory reads at most
 *     that many events whatever the grant's age
 */
public record CacheSettings(
    Duration clients,
    Duration users,
    Duration introspection,
    int introspectionMirror,
    long grantEntries,
    Duration grantIdle,
    int grantSnapshotEvery) {
  static CacheSettings read(Settings s) {
    return new CacheSettings(
        s.millis("GRANTRY_CLIENT_CACHE_MS", 1000, 0, 60_000),
        s.millis("GRANTRY_USER_CACHE_MS", 1000, 0, 60_000),
        s.millis("GRANTRY_INTROSPECTION_CACHE_MS", 500, 0, 1000),
        s.integer("GRANTRY_INTROSPECTION_MIRROR_MAX", 250_000, 0, 10_000_000),
        s.whole("GRANTRY_GRANT_CACHE_ENTRIES", 100_000, 0, 10_000_000),
        s.seconds("GRANTRY_GRANT_CACHE_IDLE_SECONDS", 60, 1, 86_400),
        snapshotEvery(s));
  }

  private static int snapshotEvery(Settings s) {
    int every = s.integer("GRANTRY_GRANT_SNAPSHOT_EVERY", 16, 0, 100_000);
    if (every == 1) {
      throw new ConfigException(
          "GRANTRY_GRANT_SNAPSHOT_EVERY must be 0 (off) or at least 2, got 1");
    }
    return every;
  }
}
