package io.grantry.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.cli.CliSupportAccess;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.TableNames;
import io.grantry.server.InlineProjections;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server process is killed with SIGKILL in the middle of token load and started again on the
 * same database: every token it answered 200 for introspects active, the ledger verifies ({@code
 * grantry audit verify}: no half-written event, every chain and signed checkpoint intact), the
 * inline projections equal a replay of the ledger, and an asynchronous projection resumes from its
 * checkpoint and catches up to exactly the rows a rebuild gives. Every wait is bounded.
 */
class ServerKilledTest {
  static final String CB = "https://svc.example.test/cb";
  static final Map<String, String> CC = Map.of("grant_type", "client_credentials", "scope", "api");

  @TempDir Path dir;

  final List<Process> children = new ArrayList<>();
  Vertx vertx;

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : children) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  Process startChild(Map<String, String> env, String name) throws Exception {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            cp,
            ChildServer.class.getName());
    pb.environment().keySet().removeIf(k -> k.startsWith("GRANTRY_"));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Path log = dir.resolve(name + ".log");
    Process p = pb.start();
    children.add(p);
    // Copies the child's output to a log file and completes when it says READY.
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  var out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = in.readLine()) != null) {
                  out.write(line);
                  out.newLine();
                  out.flush();
                  if (line.equals("READY")) {
                    ready.complete(null);
                  }
                }
              } catch (Exception e) {
                // the child died; the log has what it said
              }
              ready.completeExceptionally(
                  new AssertionError("child exited before READY; see " + log));
            },
            "child-output-" + name);
    pump.setDaemon(true);
    pump.start();
    try {
      ready.get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("child " + name + " did not start: " + Files.readString(log), e);
    }
    return p;
  }

  @Test
  void killedMidLoadAndRestartedNothingAcknowledgedIsLostAndTheLedgerVerifies() throws Exception {
    TestDatabase db = TestDatabase.fresh();
    vertx = Vertx.vertx();
    Pool pool = PgBuilder.pool().connectingTo(db.connectOptions()).using(vertx).build();
    await(pool.query(StreamSummaryProjection.DDL).execute());

    int port = TestServer.freePort();
    String base = "http://127.0.0.1:" + port;
    Map<String, String> env = new HashMap<>(TestServer.sharedSecrets());
    env.put("GRANTRY_DB_URL", db.jdbcUrl().replaceFirst("^jdbc:", ""));
    env.put("GRANTRY_DB_USER", "postgres");
    env.put("GRANTRY_DB_PASSWORD", db.password());
    env.put("GRANTRY_HTTP_HOST", "127.0.0.1");
    env.put("GRANTRY_HTTP_PORT", String.valueOf(port));
    env.put("GRANTRY_ISSUER", base);
    env.put("GRANTRY_HTTP_INSTANCES", "2");
    env.put("GRANTRY_DB_POOL_SIZE", "6");
    env.put("GRANTRY_ADMIN_TOKEN", TestServer.ADMIN_TOKEN);
    env.put(
        "GRANTRY_CHECKPOINT_INTERVAL_MS",
        "200"); // signed checkpoints are written during the load too
    env.put("GRANTRY_CLIENT_AUTH_FREE_PER_ADDRESS", "1000000");
    env.put("GRANTRY_LOG_LEVEL", "WARN");

    Process first = startChild(env, "first");
    OAuthFixtures fx = new OAuthFixtures(base);
    String secret = fx.confidentialClient("svc", CB, "openid offline_access api");
    fx.user("kim", "a long enough password");
    List<String> refreshTokens = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      refreshTokens.add(
          fx.tokens(
                  fx.browser(),
                  "svc",
                  secret,
                  CB,
                  "openid offline_access",
                  "kim",
                  "a long enough password")
              .getString("refresh_token"));
    }

    // Load: four clients, each mostly client_credentials and every fourth request a refresh
    // rotation.
    ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
    CountDownLatch enoughBeforeTheKill = new CountDownLatch(300);
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService load = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      int lane = t;
      load.submit(
          () -> {
            String refresh = refreshTokens.get(lane);
            for (int i = 0; !stop.get(); i++) {
              HttpResponse<String> r;
              try {
                r =
                    i % 4 == 3
                        ? fx.refresh("svc", secret, refresh, null)
                        : fx.token("svc", secret, CC);
              } catch (AssertionError e) {
                return null; // the connection broke: the server is gone
              }
              if (r.statusCode() == 200) {
                JsonObject body = new JsonObject(r.body());
                acknowledged.add(body.getString("access_token"));
                enoughBeforeTheKill.countDown();
                if (body.containsKey("refresh_token")) {
                  refresh = body.getString("refresh_token");
                }
              }
            }
            return null;
          });
    }
    enoughBeforeTheKill.await(60, TimeUnit.SECONDS);
    assertThat(acknowledged.size()).as("tokens issued before the kill").isGreaterThanOrEqualTo(300);

    first.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no graceful close
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(first.exitValue()).isEqualTo(137);
    stop.set(true);
    load.shutdown();
    assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    List<String> tokens = new ArrayList<>(acknowledged);

    env.put(
        "GRANTRY_CHECKPOINT_INTERVAL_MS",
        "0"); // nothing appends after the restart: a fixed ledger to compare
    startChild(env, "second");

    List<String> lost = new ArrayList<>();
    for (String at : tokens) {
      if (!fx.introspect("svc", secret, at).getBoolean("active", false)) {
        lost.add(at);
      }
    }
    assertThat(lost).as("of %d acknowledged tokens", tokens.size()).isEmpty();

    // The asynchronous projection resumes from its checkpoint and reaches the last event.
    Row head =
        await(
                pool.query(
                        "SELECT txid, position FROM events ORDER BY txid DESC, position DESC LIMIT 1")
                    .execute())
            .iterator()
            .next();
    GlobalPosition last = new GlobalPosition(head.getLong(0), head.getLong(1));
    EventStore store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
    ProjectionRunner runner = InlineProjections.register(store);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (await(runner.checkpoint(StreamSummaryProjection.TABLE)).compareTo(last) < 0) {
      assertThat(System.nanoTime()).as("async projection caught up within 60 s").isLessThan(until);
      await(vertx.timer(50));
    }

    // Every projection, inline and asynchronous, holds exactly what a replay of the ledger gives.
    List<Projection> all = new ArrayList<>(runner.projections().values());
    all.add(new StreamSummaryProjection());
    for (Projection p : all) {
      TableNames copies = await(runner.createCopies(p, "__killcheck"));
      await(runner.replay(p, copies, GlobalPosition.START));
      for (var t : copies.all().entrySet()) {
        long missing =
            count(
                pool,
                "SELECT count(*) FROM (SELECT * FROM "
                    + t.getValue()
                    + " EXCEPT ALL SELECT * FROM "
                    + t.getKey()
                    + ") d");
        long extra =
            count(
                pool,
                "SELECT count(*) FROM (SELECT * FROM "
                    + t.getKey()
                    + " EXCEPT ALL SELECT * FROM "
                    + t.getValue()
                    + ") d");
        assertThat(missing + extra)
            .as(
                "%s differs from its replay (%d rows missing, %d extra)",
                t.getKey(), missing, extra)
            .isZero();
      }
    }
    assertThat(count(pool, "SELECT count(*) FROM " + StreamSummaryProjection.TABLE)).isPositive();

    // grantry audit verify over the same database: exit 0.
    CliSupportAccess.Run verify =
        CliSupportAccess.run(
            Map.of(
                "GRANTRY_DB_URL",
                env.get("GRANTRY_DB_URL"),
                "GRANTRY_DB_USER",
                "postgres",
                "GRANTRY_DB_PASSWORD",
                env.get("GRANTRY_DB_PASSWORD")),
            "audit",
            "verify");
    assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
    assertThat(verify.out()).contains("OK:");
  }

  static long count(Pool pool, String sql) throws Exception {
    return await(pool.query(sql).execute()).iterator().next().getLong(0);
  }

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }
}
