package io.grantry.server.app;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.server.testing.TestServer;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A cached aggregate decides on the stream as it is in the ledger, also after another instance
 * (here an uncached aggregate over the same database) appended to it behind the cache's back.
 */
class AggregateCacheTest {
  private static final Aggregate.Metadata META = Aggregate.Metadata.system("test");

  @Test
  void aCachedStateIsCaughtUpWithWhatOthersAppendedBeforeItDecides() throws Exception {
    try (TestServer server = TestServer.start()) {
      EventStore store = EventStore.create(server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
      try {
        Aggregate<Consent.State, ConsentEvent> cached =
            new Aggregate<>(store, Consent.CODEC, Consent.State.NONE, Consent::evolve).withCache(4);
        Aggregate<Consent.State, ConsentEvent> elsewhere =
            new Aggregate<>(store, Consent.CODEC, Consent.State.NONE, Consent::evolve);
        String s = Consent.streamId("cache-user", "cache-client");
        Instant t = Instant.parse("2026-11-22T10:00:00Z");

        assertThat(await(cached.execute(s, st -> Consent.grant(st, "cache-user", "cache-client", Scopes.of("a"), t), META))
            .accepted()).isTrue();
        // Another instance widens the consent; the cache here still holds version 1.
        await(elsewhere.execute(s, st -> Consent.grant(st, "cache-user", "cache-client", Scopes.of("a", "b"),
            t.plusSeconds(1)), META));

        // Deciding from the stale state would append at version 1 and lose every retry; deciding
        // from the caught-up one sees "b" already granted and changes nothing.
        Aggregate.Outcome<Consent.State, ConsentEvent> again = await(cached.execute(s,
            st -> Consent.grant(st, "cache-user", "cache-client", Scopes.of("b"), t.plusSeconds(2)), META));
        assertThat(again.accepted()).isTrue();
        assertThat(again.events()).isEmpty();
        assertThat(again.state().granted()).isEqualTo(Scopes.of("a", "b"));

        await(elsewhere.execute(s, st -> Consent.revoke(st, "cache-user", "cache-client", "admin", t.plusSeconds(3)), META));
        Aggregate.Loaded<Consent.State> seen = await(cached.load(s));
        assertThat(seen).isEqualTo(await(elsewhere.load(s)));
        assertThat(seen.version()).isEqualTo(3);
        assertThat(seen.state()).isEqualTo(Consent.State.NONE);
      } finally {
        await(store.close());
      }
    }
  }
}
