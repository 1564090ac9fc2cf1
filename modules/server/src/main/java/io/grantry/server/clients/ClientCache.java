package io.grantry.server.clients;

import io.grantry.domain.client.ClientState;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Client lookups kept in memory for a short while, shared by the verticles of one process. The
 * token endpoint looks its client up on every request; without this, each token costs one more
 * database round trip. A change made through this process ({@link ClientService}) drops the entry
 * at once; a change made by another server instance is seen within the TTL (default 1 s), which
 * bounds how long a client disabled elsewhere can still get tokens here. Unknown ids are cached
 * too, so random client ids cannot turn into database load.
 */
public final class ClientCache {
  private static final int MAX_ENTRIES = 100_000;
  private final long ttlNanos;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  private record Entry(Optional<ClientState.Registered> value, long expiresAt) {}

  public ClientCache(Duration ttl) {
    this.ttlNanos = ttl.toNanos();
  }

  public Future<Optional<ClientState.Registered>> get(
      String clientId, Function<String, Future<Optional<ClientState.Registered>>> loader) {
    if (ttlNanos <= 0) {
      return loader.apply(clientId);
    }
    long now = System.nanoTime();
    Entry e = entries.get(clientId);
    if (e != null && now - e.expiresAt < 0) {
      return Future.succeededFuture(e.value);
    }
    return loader
        .apply(clientId)
        .onSuccess(
            v -> {
              if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
              }
              entries.put(clientId, new Entry(v, System.nanoTime() + ttlNanos));
            });
  }

  public void invalidate(String clientId) {
    entries.remove(clientId);
  }
}
