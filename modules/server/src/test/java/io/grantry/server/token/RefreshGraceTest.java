package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With GRANTRY_REFRESH_GRACE_SECONDS set, a refresh retried within the grace period (parallel
 * requests, or a retry after a lost response) gets the same successor instead of revoking the
 * grant; after the grace period the same presentation is reuse.
 */
class RefreshGraceTest {
  static final String CB = "https://app.example/cb";
  static final String SCOPE = "openid offline_access";
  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_REFRESH_GRACE_SECONDS", "30"), clock);
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("web", CB, SCOPE);
    fx.user("alice", "correct horse battery");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void parallelRefreshesWithinTheGraceGetOneSuccessor() throws Exception {
    String refresh =
        fx.tokens(fx.browser(), "web", secret, CB, SCOPE, "alice", "correct horse battery")
            .getString("refresh_token");
    ExecutorService threads = Executors.newFixedThreadPool(10);
    List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      futures.add(
          CompletableFuture.supplyAsync(() -> fx.refresh("web", secret, refresh, null), threads));
    }
    List<HttpResponse<String>> responses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : futures) {
      responses.add(f.get());
    }
    threads.shutdown();

    assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).as(r.body()).isEqualTo(200));
    assertThat(
            responses.stream()
                .map(r -> new JsonObject(r.body()).getString("refresh_token"))
                .distinct())
        .hasSize(1);
    String grantId = GrantTokens.grantIdOf(refresh).orElseThrow();
    assertThat(
            server.query(
                "SELECT 1 FROM events WHERE stream_id = $1 AND type = 'grant.refresh_token_rotated.v1'",
                GrantTokens.streamId(grantId)))
        .hasSize(1);
    String successor = new JsonObject(responses.get(0).body()).getString("refresh_token");
    assertThat(fx.introspect("web", secret, successor).getBoolean("active")).isTrue();
  }

  @Test
  void afterTheGraceTheSamePresentationIsReuse() throws Exception {
    String refresh =
        fx.tokens(fx.browser(), "web", secret, CB, SCOPE, "alice", "correct horse battery")
            .getString("refresh_token");
    HttpResponse<String> first = fx.refresh("web", secret, refresh, null);
    assertThat(first.statusCode()).isEqualTo(200);
    String successor = new JsonObject(first.body()).getString("refresh_token");
    HttpResponse<String> retry = fx.refresh("web", secret, refresh, null);
    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(retry.body()).getString("refresh_token")).isEqualTo(successor);

    clock.advance(Duration.ofSeconds(31));
    HttpResponse<String> late = fx.refresh("web", secret, refresh, null);

    assertThat(late.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(late.body()).getString("error")).isEqualTo("invalid_grant");
    assertThat(fx.introspect("web", secret, successor).getBoolean("active")).isFalse();
  }
}
