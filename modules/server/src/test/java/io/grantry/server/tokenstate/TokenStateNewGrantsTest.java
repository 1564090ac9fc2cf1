package io.grantry.server.tokenstate;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.AppendResult;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.NewEvent;
import io.grantry.projections.TableNames;
import io.grantry.server.InlineProjections;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Grants that start new streams (client_credentials tokens, codes) are projected with plain inserts
 * in the append's pipeline; a row that already exists for one of them rolls the batch back and the
 * store applies it again with the idempotent statements: no token of the batch loses its event or
 * its rows.
 */
class TokenStateNewGrantsTest {

  @Test
  void theInsertsOfNewGrantsHaveNoOnConflictAndTheOtherStatementsAreUnchanged() {
    TableNames live = TableNames.live(new TokenStateProjection());
    for (TokenStateProjection.Statement k : TokenStateProjection.Statement.values()) {
      String fresh = TokenStateProjection.freshSql(k, live);
      assertThat(fresh).doesNotContain("ON CONFLICT");
      if (!TokenStateProjection.setSql(k, live).contains("ON CONFLICT")) {
        assertThat(fresh).isEqualTo(TokenStateProjection.setSql(k, live));
      }
    }
  }

  @Test
  void aGrantRowThatExistsDoesNotCostTheOtherTokensOfTheBatchTheirEventsOrRows() throws Exception {
    try (TestServer server = TestServer.start()) {
      var pool = server.server.resources().pool();
      Context ctx = server.vertx.getOrCreateContext();
      Promise<EventStore> created = Promise.promise();
      ctx.runOnContext(
          v -> {
            EventStore s = EventStore.create(server.vertx, pool, EventStoreOptions.defaults());
            InlineProjections.register(s);
            created.complete(s);
          });
      EventStore store = await(created.future());
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      List<String> grants = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        byte[] random = new byte[GrantTokens.GRANT_ID_RANDOM_BYTES];
        random[0] = (byte) i;
        grants.add(GrantTokens.newGrantId(now.toEpochMilli(), random));
      }
      // A row of the third grant is there already (as a pruned-and-replayed or foreign row could
      // be).
      await(
          pool.preparedQuery(
                  "INSERT INTO grants (grant_id, kind, client_id, scope, status, created_at, updated_at)"
                      + " VALUES ($1, 'client_credentials', 'svc', 'api', 'active', now(), now())")
              .execute(Tuple.of(grants.get(2))));

      Promise<List<Future<AppendResult>>> sent = Promise.promise();
      ctx.runOnContext(
          v -> {
            List<Future<AppendResult>> out = new ArrayList<>();
            // The first append is written at once; the three after it queue and go as one batch.
            for (String g : grants) {
              ClientCredentialsIssued e =
                  new ClientCredentialsIssued(
                      g,
                      "svc",
                      GrantTokens.jti(g, "j" + g.substring(20)),
                      Scopes.parse("api"),
                      now,
                      now.plus(Duration.ofHours(1)));
              out.add(
                  store.append(
                      GrantTokens.streamId(g),
                      ExpectedVersion.NO_STREAM,
                      NewEvent.of(
                          e.type(),
                          GrantEventCodec.INSTANCE.toJson(e),
                          new JsonObject().put("actor", "client:svc"))));
            }
            sent.complete(out);
          });
      List<Future<AppendResult>> out = await(sent.future());
      await(Future.join(out).otherwiseEmpty());

      assertThat(out)
          .allSatisfy(f -> assertThat(f.succeeded()).as(String.valueOf(f.cause())).isTrue());
      for (String g : grants) {
        assertThat(
                count(
                    server,
                    "SELECT count(*) FROM events WHERE stream_id = $1",
                    GrantTokens.streamId(g)))
            .isEqualTo(1);
        assertThat(count(server, "SELECT count(*) FROM grants WHERE grant_id = $1", g))
            .isEqualTo(1);
        assertThat(count(server, "SELECT count(*) FROM access_tokens WHERE grant_id = $1", g))
            .isEqualTo(1);
      }
      await(store.close());
    }
  }

  /**
   * A new grant stream whose first append issues and revokes at once: the revocation updates the
   * rows the issue inserts, so the batch is not folded into the events' statement (whose clauses do
   * not see each other's rows) but sent statement after statement, and the grant ends revoked.
   */
  @Test
  void aNewStreamThatIssuesAndRevokesInOneAppendEndsRevoked() throws Exception {
    try (TestServer server = TestServer.start()) {
      var pool = server.server.resources().pool();
      Context ctx = server.vertx.getOrCreateContext();
      Promise<EventStore> created = Promise.promise();
      ctx.runOnContext(
          v -> {
            EventStore s = EventStore.create(server.vertx, pool, EventStoreOptions.defaults());
            InlineProjections.register(s);
            created.complete(s);
          });
      EventStore store = await(created.future());
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      String g =
          GrantTokens.newGrantId(now.toEpochMilli(), new byte[GrantTokens.GRANT_ID_RANDOM_BYTES]);
      ClientCredentialsIssued issued =
          new ClientCredentialsIssued(
              g,
              "svc",
              GrantTokens.jti(g, "revokedatonce"),
              Scopes.parse("api"),
              now,
              now.plus(Duration.ofHours(1)));
      GrantRevoked revoked =
          new GrantRevoked(g, RevocationReason.REVOKED_BY_CLIENT, "client:svc", now);
      JsonObject meta = new JsonObject().put("actor", "client:svc");
      Promise<AppendResult> appended = Promise.promise();
      ctx.runOnContext(
          v ->
              store
                  .append(
                      GrantTokens.streamId(g),
                      ExpectedVersion.NO_STREAM,
                      NewEvent.of(issued.type(), GrantEventCodec.INSTANCE.toJson(issued), meta),
                      NewEvent.of(revoked.type(), GrantEventCodec.INSTANCE.toJson(revoked), meta))
                  .onComplete(appended));
      assertThat(await(appended.future()).version()).isEqualTo(2);
      assertThat(
              count(
                  server,
                  "SELECT count(*) FROM grants WHERE grant_id = $1 AND status = 'revoked'",
                  g))
          .isEqualTo(1);
      assertThat(
              count(
                  server,
                  "SELECT count(*) FROM access_tokens WHERE grant_id = $1 AND revoked_at IS NOT NULL",
                  g))
          .isEqualTo(1);
      await(store.close());
    }
  }

  static long count(TestServer server, String sql, String arg) throws Exception {
    return await(server.server.resources().pool().preparedQuery(sql).execute(Tuple.of(arg)))
        .iterator()
        .next()
        .getLong(0);
  }
}
