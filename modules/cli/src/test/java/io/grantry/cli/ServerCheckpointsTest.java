package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server writes signed checkpoints on its own, with its own ES256 key, and they verify. */
class ServerCheckpointsTest {

  @Test
  void theServerSignsCheckpointsPeriodicallyWithTheKeyItPublishesInTheLedger() throws Exception {
    try (TestServer s = TestServer.start(Map.of("GRANTRY_CHECKPOINT_INTERVAL_MS", "100"))) {
      // Wait for the first periodic checkpoint, watching the checkpoints stream on a Vert.x timer.
      Promise<Long> written = Promise.promise();
      long timer =
          s.vertx.setPeriodic(
              50,
              id ->
                  s.server
                      .resources()
                      .pool()
                      .preparedQuery("SELECT count(*) FROM events WHERE stream_id = $1")
                      .execute(Tuple.of(Checkpoint.STREAM))
                      .onSuccess(
                          rows -> {
                            long n = rows.iterator().next().getLong(0);
                            if (n > 0) {
                              written.tryComplete(n);
                            }
                          }));
      try {
        assertThat(
                written
                    .future()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS))
            .isPositive();
      } finally {
        s.vertx.cancelTimer(timer);
      }
      String kid = s.server.resources().keys().signer(SigningAlgorithm.ES256).kid();
      assertThat(
              s.query(
                      "SELECT payload->>'kid' FROM events WHERE stream_id = $1 ORDER BY version LIMIT 1",
                      Checkpoint.STREAM)
                  .get(0)
                  .getString(0))
          .isEqualTo(kid);

      CliSupport.env =
          Map.of(
              "GRANTRY_DB_URL",
              s.db.jdbcUrl().replaceFirst("^jdbc:", ""),
              "GRANTRY_DB_USER",
              "postgres",
              "GRANTRY_DB_PASSWORD",
              TestDatabase.server().password());
      try {
        // With no --jwks: the keys the server published in its keys stream.
        CliTest.Run r = CliTest.run("audit", "verify");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out())
            .containsPattern("(?m)^OK: ") // the server in this JVM may log meanwhile
            .containsPattern("[1-9][0-9]* signed checkpoints verified");
      } finally {
        CliSupport.env = System.getenv();
      }
    }
  }
}
