package io.grantry.server.tokenstate;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.TableNames;
import io.grantry.server.InlineProjections;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * The token-state retention job against a real server on a clock the test moves: rows expired more
 * than the retention ago go, younger ones and live tokens stay, in small batches, one server at a
 * time, skipping locked rows; a replay of the projection gives exactly the pruned tables.
 */
class TokenStateRetentionTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String SCOPE = "openid offline_access api.read";

  @Test
  void expiredRowsOlderThanTheRetentionGoYoungerAndLiveOnesStayAndARebuildAgrees()
      throws Exception {
    MutableClock clock = new MutableClock();
    try (TestServer server =
        TestServer.start(
            Map.of(
                "GRANTRY_TOKEN_RETENTION_DAYS", "7",
                "GRANTRY_PRUNE_INTERVAL_MS", "0",
                "GRANTRY_PRUNE_BATCH_SIZE", "2",
                "GRANTRY_CHECKPOINT_INTERVAL_MS", "0",
                "GRANTRY_REFRESH_TOKEN_TTL_SECONDS",
                    String.valueOf(Duration.ofDays(10).toSeconds())),
            clock)) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String web = fx.confidentialClient("web", CB, SCOPE);
      String svc = fx.confidentialClient("svc", CB, "api.read", "client_credentials");
      fx.user("alice", PASSWORD);
      OAuthFixtures.Browser alice = fx.browser();

      // Day 0: three machine tokens, a grant left alone, a grant revoked at once, a grant kept
      // alive.
      List<String> oldMachine = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        oldMachine.add(machineToken(fx, svc));
      }
      JsonObject left = fx.tokens(alice, "web", web, CB, SCOPE, "alice", PASSWORD);
      JsonObject revoked = fx.tokens(alice, "web", web, CB, SCOPE, "alice", PASSWORD);
      assertThat(
              fx.postForm(
                      "/revoke", "web", web, Map.of("token", revoked.getString("refresh_token")))
                  .statusCode())
          .isEqualTo(200);
      JsonObject kept = fx.tokens(alice, "web", web, CB, SCOPE, "alice", PASSWORD);

      // Day 9: the kept grant's refresh token rotates (the new one lives to day 19).
      clock.advance(Duration.ofDays(9));
      HttpResponse<String> rotated = fx.refresh("web", web, kept.getString("refresh_token"), null);
      assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
      String keptRefresh = new JsonObject(rotated.body()).getString("refresh_token");

      // Day 18: the cutoff is day 11. Fresh tokens now.
      clock.advance(Duration.ofDays(9));
      String freshMachine = machineToken(fx, svc);
      JsonObject fresh = fx.tokens(alice, "web", web, CB, SCOPE, "alice", PASSWORD);
      long accessBefore = count(server, "access_tokens");
      assertThat(accessBefore).isEqualTo(3 + 1 + 1 + 2 + 1 + 1);

      // A request holds one expired row: the job skips it instead of waiting.
      String heldJti = OAuthFixtures.claims(oldMachine.get(0)).getString("jti");
      SqlConnection holder = await(server.server.resources().pool().getConnection());
      await(holder.query("BEGIN").execute());
      await(
          holder
              .preparedQuery("SELECT jti FROM access_tokens WHERE jti = $1 FOR UPDATE")
              .execute(Tuple.of(heldJti)));
      TokenStatePruner.Result first = await(server.server.pruner().pruneNow());
      assertThat(first.ran()).isTrue();
      assertThat(first.accessTokens())
          .as("every expired access token but the locked one")
          .isEqualTo(6);
      assertThat(count(server, "access_tokens WHERE jti = '" + heldJti + "'")).isEqualTo(1);
      await(holder.query("COMMIT").execute());

      // Another server pruning (holding the advisory lock): this one skips its turn.
      await(holder.query("SELECT pg_advisory_lock(" + TokenStatePruner.LOCK_KEY + ")").execute());
      TokenStatePruner.Result skipped = await(server.server.pruner().pruneNow());
      assertThat(skipped.ran()).isFalse();
      assertThat(count(server, "access_tokens WHERE jti = '" + heldJti + "'")).isEqualTo(1);
      await(holder.query("SELECT pg_advisory_unlock(" + TokenStatePruner.LOCK_KEY + ")").execute());
      await(holder.close());

      TokenStatePruner.Result second = await(server.server.pruner().pruneNow());
      assertThat(second.ran()).isTrue();
      assertThat(second.accessTokens()).isEqualTo(1);
      long refreshPruned = first.refreshTokens() + second.refreshTokens();
      long grantsPruned = first.grants() + second.grants();
      // Kept's first refresh token expired (day 10) before the cutoff too, but its grant is in use:
      // it
      // stays, so that presenting it again is still recognized as reuse (below).
      assertThat(refreshPruned).as("left's and revoked's refresh tokens").isEqualTo(2);
      assertThat(grantsPruned)
          .as("three machine grants, left and revoked; kept still has a live refresh token")
          .isEqualTo(5);
      assertThat(await(server.server.pruner().pruneNow()).total())
          .as("a run with nothing to do")
          .isZero();

      // What stays: the kept grant (old, but its current refresh token lives) with both its refresh
      // tokens, everything fresh.
      assertThat(count(server, "grants")).isEqualTo(3);
      assertThat(
              count(
                  server,
                  "grants WHERE grant_id = '"
                      + GrantTokens.grantIdOf(keptRefresh).orElseThrow()
                      + "'"))
          .isEqualTo(1);
      assertThat(count(server, "access_tokens")).isEqualTo(2);
      assertThat(count(server, "refresh_tokens")).isEqualTo(3);
      assertThat(fx.introspect("web", web, keptRefresh).getBoolean("active")).isTrue();
      assertThat(fx.introspect("svc", svc, freshMachine).getBoolean("active")).isTrue();
      assertThat(fx.introspect("web", web, fresh.getString("access_token")).getBoolean("active"))
          .isTrue();
      assertThat(fx.introspect("web", web, fresh.getString("refresh_token")).getBoolean("active"))
          .isTrue();
      // Pruned tokens are inactive (as they were before: they had expired).
      assertThat(fx.introspect("svc", svc, oldMachine.get(1)).getBoolean("active")).isFalse();
      assertThat(fx.introspect("web", web, left.getString("refresh_token")).getBoolean("active"))
          .isFalse();
      assertThat(fx.introspect("web", web, revoked.getString("access_token")).getBoolean("active"))
          .isFalse();
      // The kept grant still refreshes, and the ledger still has every pruned grant's events.
      HttpResponse<String> again = fx.refresh("web", web, keptRefresh, null);
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
      assertThat(
              count(
                  server,
                  "events WHERE stream_id = 'grant:"
                      + GrantTokens.grantIdOf(left.getString("refresh_token")).orElseThrow()
                      + "'"))
          .isPositive();

      // Metrics: the rows each table lost.
      String metrics =
          OAuthFixtures.HTTP
              .send(
                  HttpRequest.newBuilder(URI.create(server.url("/metrics"))).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(metrics)
          .contains("grantry_token_state_pruned_rows_total{table=\"access_tokens\"} 7.0")
          .contains("grantry_token_state_pruned_rows_total{table=\"refresh_tokens\"} 2.0")
          .contains("grantry_token_state_pruned_rows_total{table=\"grants\"} 5.0");

      // A replay of the ledger recreates the pruned rows, and drops them again with the recorded
      // cutoff.
      EventStore store =
          EventStore.create(
              server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
      try {
        TokenStateProjection p = new TokenStateProjection();
        ProjectionRunner runner = new ProjectionRunner(store);
        TableNames copies = await(runner.createCopies(p, "__replay"));
        await(runner.replay(p, copies, GlobalPosition.START));
        for (String table : p.tables()) {
          assertThat(rows(server, copies.of(table))).as(table).isEqualTo(rows(server, table));
        }
        // The rebuild that swaps in fresh tables gives the same rows.
        Map<String, List<String>> before = new HashMap<>();
        for (String table : p.tables()) {
          before.put(table, rows(server, table));
        }
        ProjectionRunner inline = InlineProjections.register(store);
        await(inline.rebuild(TokenStateProjection.NAME));
        for (String table : p.tables()) {
          assertThat(rows(server, table))
              .as(table + " after a rebuild")
              .isEqualTo(before.get(table));
        }
      } finally {
        await(store.close());
      }

      // The kept grant's first refresh token, rotated on day 9 and expired since day 10, presented
      // again on day 18: still reuse, since its grant is in use, and the grant ends.
      String keptGrant = GrantTokens.grantIdOf(keptRefresh).orElseThrow();
      HttpResponse<String> reuse = fx.refresh("web", web, kept.getString("refresh_token"), null);
      assertThat(reuse.statusCode()).as(reuse.body()).isEqualTo(400);
      assertThat(
              count(
                  server,
                  "events WHERE stream_id = 'grant:"
                      + keptGrant
                      + "' AND type = 'grant.refresh_token_reuse_detected.v1'"))
          .isEqualTo(1);
      assertThat(fx.introspect("web", web, keptRefresh).getBoolean("active")).isFalse();
    }
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() {
    Assertions.assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_PRUNE_BATCH_SIZE", "0")))
        .hasMessageContaining("GRANTRY_PRUNE_BATCH_SIZE");
    Assertions.assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_TOKEN_RETENTION_DAYS", "soon")))
        .hasMessageContaining("GRANTRY_TOKEN_RETENTION_DAYS");
  }

  private static String machineToken(OAuthFixtures fx, String secret) {
    HttpResponse<String> r =
        fx.token("svc", secret, Map.of("grant_type", "client_credentials", "scope", "api.read"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  private static long count(TestServer server, String from) throws Exception {
    return server.query("SELECT count(*) FROM " + from).get(0).getLong(0);
  }

  private static List<String> rows(TestServer server, String table) throws Exception {
    List<String> out = new ArrayList<>();
    for (Row r : server.query("SELECT row_to_json(t)::text FROM " + table + " t ORDER BY 1")) {
      out.add(r.getString(0));
    }
    return out;
  }
}
