package io.grantry.server.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.config.GrantryConfig;
import io.grantry.server.oauth.OAuthServices;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** The grant-state cache's bounds: weight, idleness, recency, and never going back a version. */
class StateCacheTest {
  private final AtomicLong clock = new AtomicLong();

  /** States are strings; a state weighs its length. */
  private final StateCache<String> cache =
      new StateCache<>(10, Duration.ofSeconds(60), String::length, clock::get);

  private static Aggregate.Loaded<String> at(String state, long version) {
    return new Aggregate.Loaded<>(state, version);
  }

  @Test
  void keepsStatesUpToItsWeightDroppingTheLeastRecentlyUsed() {
    cache.put("a", at("aaaa", 1));
    cache.put("b", at("bbbb", 1));
    assertThat(cache.get("a").state()).isEqualTo("aaaa"); // a is now more recent than b
    cache.put("c", at("cccc", 1));
    assertThat(cache.weight()).isLessThanOrEqualTo(10);
    assertThat(cache.get("b")).isNull();
    assertThat(cache.get("a")).isNotNull();
    assertThat(cache.get("c")).isNotNull();
  }

  @Test
  void aStateHeavierThanTheWholeCacheIsNotKept() {
    cache.put("a", at("a", 1));
    cache.put("big", at("x".repeat(11), 1));
    assertThat(cache.get("big")).isNull();
    assertThat(cache.weight()).isLessThanOrEqualTo(10);
  }

  @Test
  void aStateUnusedForLongerThanTheIdleLimitIsDropped() {
    cache.put("a", at("a", 1));
    cache.put("b", at("b", 1));
    clock.addAndGet(Duration.ofSeconds(59).toNanos());
    assertThat(cache.get("b")).isNotNull();
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(cache.get("a")).as("idle for 61 s").isNull();
    cache.put("c", at("c", 1));
    assertThat(cache.size()).isEqualTo(2);
    clock.addAndGet(Duration.ofSeconds(61).toNanos());
    cache.put("d", at("d", 1));
    assertThat(cache.size()).as("b and c left on the insertion of d").isEqualTo(1);
    assertThat(cache.weight()).isEqualTo(1);
  }

  @Test
  void anOlderVersionNeverReplacesANewerOne() {
    cache.put("a", at("new", 5));
    cache.put("a", at("old", 4));
    assertThat(cache.get("a")).isEqualTo(at("new", 5));
    cache.put("a", at("newer", 6));
    assertThat(cache.get("a")).isEqualTo(at("newer", 6));
    assertThat(cache.weight()).isEqualTo(5);
    cache.put("empty", at("", 0));
    assertThat(cache.get("empty")).as("a stream that does not exist is not cached").isNull();
  }

  @Test
  void theGrantCachesIdleTimeIsASettingAndABadOneIsRefusedNamingIt() {
    Assertions.assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_GRANT_CACHE_IDLE_SECONDS", "0")))
        .hasMessageContaining("GRANTRY_GRANT_CACHE_IDLE_SECONDS");
    assertThat(
            OAuthServices.grantStateCache(
                GrantryConfig.from(new JsonObject().put("GRANTRY_GRANT_CACHE_IDLE_SECONDS", "600"))
                    .caches()))
        .isNotNull();
  }
}
