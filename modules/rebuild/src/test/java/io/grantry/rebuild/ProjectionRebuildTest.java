package io.grantry.rebuild;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.TableNames;
import io.grantry.server.InlineProjections;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rebuilding the inline projections while a server serves: after a realistic mix of flows, each
 * projection is rebuilt with token, refresh and admin traffic going on, and more appended in the
 * window between the replay and the swap. Afterwards every token the server answered 200 for is
 * still known, no request failed, and each projection's live tables equal a fresh replay of the
 * whole ledger row for row (EXCEPT ALL both ways), under the index names the migrations gave them.
 * The rebuilds take the bulk path (ledger read with COPY, token state and consents folded in memory
 * and written with COPY, indexes built after the load), the replay they are compared with the
 * statement path: so this is also the test that both give the same rows.
 */
class ProjectionRebuildTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";

  static TestServer server;
  static OAuthFixtures fx;
  static Vertx vertx;
  static Pool pool;
  static ProjectionRunner runner;
  static ProjectionRunner runnerInParts;
  static String webSecret;
  static String svcSecret;
  static String rsSecret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(2))
            .connectingTo(server.db.connectOptions())
            .using(vertx)
            .build();
    // As `grantry projections rebuild` does: a runner of its own, in another pool (another
    // process).
    // With the bulk path (COPY, in-memory folds of token state and consents): the checks below
    // compare what it swapped in with a statement-by-statement replay, row for row.
    runner =
        InlineProjections.register(EventStore.create(vertx, pool, EventStoreOptions.defaults()))
            .firstPassBy(BulkFirstPass.of(server.db::connect));
    // The rebuild of all four at once folds token state in three parts, each from a read of the
    // ledger of its own (as a ledger too big for the heap is rebuilt), while the traffic appends:
    // each later read must stop where the first did.
    runnerInParts =
        InlineProjections.register(EventStore.create(vertx, pool, EventStoreOptions.defaults()))
            .firstPassBy(BulkFirstPass.of(server.db::connect).inParts(3));
    webSecret = fx.confidentialClient("web", CB, "openid profile offline_access api.read");
    svcSecret = fx.confidentialClient("svc", CB, "api.read", "client_credentials");
    rsSecret = fx.resourceServer("rs");
    fx.publicClient("pub", CB, "openid offline_access");
    history();
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.await(pool.close());
    TestServer.await(vertx.close());
    server.close();
  }

  /**
   * Flows of every kind, so that every table has rows in every state, and enough events for several
   * replay pages.
   */
  static void history() throws Exception {
    for (String u : List.of("alice", "bob", "carol", "dave")) {
      fx.user(u, PASSWORD);
    }
    OAuthFixtures.Browser alice = fx.browser();
    String scope = "openid profile offline_access";
    // Rotations, one chain ending in reuse detection (the grant revoked), a revoked access token.
    for (int i = 0; i < 3; i++) {
      JsonObject t = fx.tokens(alice, "web", webSecret, CB, scope, "alice", PASSWORD);
      String old = t.getString("refresh_token");
      String rt = old;
      for (int j = 0; j < 3; j++) {
        rt =
            new JsonObject(ok(fx.refresh("web", webSecret, rt, null)).body())
                .getString("refresh_token");
      }
      if (i == 0) {
        assertThat(fx.refresh("web", webSecret, old, null).statusCode()).isEqualTo(400);
        String grant = GrantTokens.streamId(GrantTokens.grantIdOf(old).orElseThrow());
        assertThat(
                server
                    .query(
                        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'grant.revoked.v1'",
                        grant)
                    .get(0)
                    .getLong(0))
            .as("reuse detected, the grant revoked")
            .isEqualTo(1);
      }
      if (i == 1) {
        ok(fx.postForm("/revoke", "web", webSecret, Map.of("token", t.getString("access_token"))));
      }
    }
    // A public client with PKCE; a refresh token revoked (its grant with it).
    OAuthFixtures.Browser bob = fx.browser();
    JsonObject pub = fx.tokens(bob, "pub", null, CB, "openid offline_access", "bob", PASSWORD);
    JsonObject bobWeb = fx.tokens(bob, "web", webSecret, CB, scope, "bob", PASSWORD);
    ok(
        fx.postForm(
            "/revoke", "web", webSecret, Map.of("token", bobWeb.getString("refresh_token"))));
    assertThat(pub.getString("access_token")).isNotEmpty();
    // A consent withdrawn, a user disabled, a client changed and its secret rotated.
    OAuthFixtures.Browser carol = fx.browser();
    fx.tokens(carol, "web", webSecret, CB, scope, "carol", PASSWORD);
    String carolId =
        fx.admin("GET", "/admin/users?username=carol", null)
            .getJsonArray("items")
            .getJsonObject(0)
            .getString("user_id");
    fx.admin("DELETE", "/admin/users/" + carolId + "/consents/web", null);
    OAuthFixtures.Browser dave = fx.browser();
    fx.tokens(dave, "web", webSecret, CB, scope, "dave", PASSWORD);
    String daveId =
        fx.admin("GET", "/admin/users?username=dave", null)
            .getJsonArray("items")
            .getJsonObject(0)
            .getString("user_id");
    fx.admin("POST", "/admin/users/" + daveId + "/disable", null);
    exchanges(scope);
    fx.confidentialClient("old", CB, "api.read", "client_credentials");
    fx.admin("POST", "/admin/clients/old/rotate-secret", new JsonObject());
    fx.admin("POST", "/admin/clients/old/disable", null);
    // Device grants in each state: waiting, denied, allowed but not fetched, redeemed and
    // refreshed, and replayed (revoked).
    fx.admin(
        "POST",
        "/admin/clients",
        new JsonObject()
            .put("client_id", "tv")
            .put("client_name", "TV")
            .put("token_endpoint_auth_method", "none")
            .put(
                "grant_types",
                new JsonArray()
                    .add("urn:ietf:params:oauth:grant-type:device_code")
                    .add("refresh_token"))
            .put("response_types", new JsonArray())
            .put("scope", "openid offline_access"));
    fx.user("erin", PASSWORD);
    OAuthFixtures.Browser erin = fx.browser();
    Map<String, String> login =
        OAuthFixtures.hidden(erin.get("/account/login?next=%2Fdevice").body());
    login.put("username", "erin");
    login.put("password", PASSWORD);
    assertThat(erin.post("/account/login", login).statusCode()).isEqualTo(303);
    for (String decision : List.of("none", "deny", "allow", "redeem", "replay")) {
      JsonObject device =
          new JsonObject(
              ok(fx.postForm(
                      "/device_authorization",
                      "tv",
                      null,
                      Map.of("client_id", "tv", "scope", "openid offline_access")))
                  .body());
      if (decision.equals("none")) {
        continue;
      }
      Map<String, String> entry = OAuthFixtures.hidden(erin.get("/device").body());
      entry.put("user_code", device.getString("user_code"));
      Map<String, String> consent = OAuthFixtures.hidden(ok(erin.post("/device", entry)).body());
      consent.put("decision", decision.equals("deny") ? "deny" : "allow");
      ok(erin.post("/device", consent));
      Map<String, String> poll =
          Map.of(
              "grant_type",
              "urn:ietf:params:oauth:grant-type:device_code",
              "client_id",
              "tv",
              "device_code",
              device.getString("device_code"));
      if (decision.equals("redeem") || decision.equals("replay")) {
        String rt =
            new JsonObject(ok(fx.token("tv", null, poll)).body()).getString("refresh_token");
        ok(
            fx.token(
                "tv",
                null,
                Map.of("grant_type", "refresh_token", "refresh_token", rt, "client_id", "tv")));
      }
      if (decision.equals("replay")) {
        assertThat(fx.token("tv", null, poll).statusCode()).isEqualTo(400);
      }
    }
    // Client credentials, in parallel, for a ledger of a few thousand events.
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 1100; i++) {
        all.add(
            pool.submit(
                () -> ok(fx.token("svc", svcSecret, Map.of("grant_type", "client_credentials")))));
      }
      for (var f : all) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Token exchanges (RFC 8693): grants with a chain, an audience and an act claim, one with a
   * refresh token, and one chain whose root grant is revoked.
   */
  static void exchanges(String scope) throws Exception {
    String exchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    String at = "urn:ietf:params:oauth:token-type:access_token";
    String xweb =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "xweb")
                    .put("client_name", "xweb")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("redirect_uris", new JsonArray().add(CB))
                    .put(
                        "grant_types",
                        new JsonArray()
                            .add("authorization_code")
                            .add("refresh_token")
                            .add(exchange))
                    .put("scope", scope)
                    .put("token_exchange_audiences", new JsonArray().add("xsvc")))
            .getString("client_secret");
    String xsvc =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "xsvc")
                    .put("client_name", "xsvc")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put(
                        "grant_types",
                        new JsonArray()
                            .add("client_credentials")
                            .add(exchange)
                            .add("refresh_token"))
                    .put("scope", "openid offline_access api.read")
                    .put("token_exchange_audiences", new JsonArray().add("https://api.example"))
                    .put("token_exchange_allow_impersonation", true)
                    .put("token_exchange_allow_refresh_token", true))
            .getString("client_secret");
    for (int i = 0; i < 2; i++) {
      JsonObject t = fx.tokens(fx.browser(), "xweb", xweb, CB, scope, "alice", PASSWORD);
      String forSvc =
          new JsonObject(
                  ok(fx.token(
                          "xweb",
                          xweb,
                          Map.of(
                              "grant_type",
                              exchange,
                              "subject_token",
                              t.getString("access_token"),
                              "subject_token_type",
                              at,
                              "audience",
                              "xsvc")))
                      .body())
              .getString("access_token");
      String actor =
          new JsonObject(
                  ok(fx.token("xsvc", xsvc, Map.of("grant_type", "client_credentials"))).body())
              .getString("access_token");
      ok(
          fx.token(
              "xsvc",
              xsvc,
              Map.of(
                  "grant_type",
                  exchange,
                  "subject_token",
                  forSvc,
                  "subject_token_type",
                  at,
                  "actor_token",
                  actor,
                  "actor_token_type",
                  at,
                  "resource",
                  "https://api.example")));
      ok(
          fx.token(
              "xsvc",
              xsvc,
              Map.of(
                  "grant_type",
                  exchange,
                  "subject_token",
                  forSvc,
                  "subject_token_type",
                  at,
                  "requested_token_type",
                  "urn:ietf:params:oauth:token-type:refresh_token")));
      if (i == 1) {
        ok(fx.postForm("/revoke", "xweb", xweb, Map.of("token", t.getString("refresh_token"))));
      }
    }
    assertThat(
            server
                .query("SELECT count(*) FROM grants WHERE act IS NOT NULL AND audience IS NOT NULL")
                .get(0)
                .getLong(0))
        .isEqualTo(2);
  }

  static HttpResponse<String> ok(HttpResponse<String> r) {
    if (r.statusCode() != 200) {
      throw new AssertionError(r.statusCode() + ": " + r.body());
    }
    return r;
  }

  /** Traffic while a rebuild runs: client credentials and refresh rotations, every answer kept. */
  static final class Traffic implements AutoCloseable {
    final AtomicBoolean running = new AtomicBoolean(true);
    final ConcurrentLinkedQueue<String> accessTokens = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    final AtomicInteger answered = new AtomicInteger();
    final ExecutorService threads = Executors.newFixedThreadPool(3);

    Traffic() {
      for (int t = 0; t < 3; t++) {
        int n = t;
        threads.submit(
            () -> {
              OAuthFixtures.Browser b = fx.browser();
              String rt =
                  fx.tokens(b, "web", webSecret, CB, "openid offline_access", "alice", PASSWORD)
                      .getString("refresh_token");
              while (running.get()) {
                HttpResponse<String> r =
                    n == 0
                        ? fx.refresh("web", webSecret, rt, null)
                        : fx.token("svc", svcSecret, Map.of("grant_type", "client_credentials"));
                answered.incrementAndGet();
                if (r.statusCode() != 200) {
                  failures.add(r.statusCode() + ": " + r.body());
                  continue;
                }
                JsonObject body = new JsonObject(r.body());
                accessTokens.add(body.getString("access_token"));
                if (n == 0) {
                  rt = body.getString("refresh_token");
                }
              }
              return null;
            });
      }
    }

    @Override
    public void close() throws Exception {
      running.set(false);
      threads.shutdown();
      assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void everyInlineProjectionRebuildsUnderTrafficToWhatAReplayGives() throws Exception {
    Map<String, Set<String>> indexesBefore = new HashMap<>();
    for (Projection p : runner.projections().values()) {
      for (String t : p.tables()) {
        indexesBefore.put(t, indexes(t));
      }
    }
    assertThat(runner.projections().keySet())
        .containsExactlyInAnyOrder("clients", "users", "token_state", "consents", "sessions");
    ConcurrentLinkedQueue<String> inWindow = new ConcurrentLinkedQueue<>();
    AtomicInteger windows = new AtomicInteger();
    try (Traffic traffic = new Traffic()) {
      for (String name : runner.projections().keySet()) {
        int answeredBefore = traffic.answered.get();
        AtomicLong replayed = new AtomicLong();
        GlobalPosition covered =
            TestServer.await(
                runner.rebuild(
                    name,
                    replayed::addAndGet,
                    () ->
                        vertx.executeBlocking(
                            () -> {
                              // Between the replay and the swap: events of every projection, which
                              // only the catch-up can bring in.
                              int w = windows.incrementAndGet();
                              fx.confidentialClient(
                                  "late-" + w, CB, "api.read", "client_credentials");
                              fx.user("late" + w, PASSWORD);
                              JsonObject t =
                                  fx.tokens(
                                      fx.browser(),
                                      "web",
                                      webSecret,
                                      CB,
                                      "openid offline_access",
                                      "late" + w,
                                      PASSWORD);
                              inWindow.add(t.getString("access_token"));
                              for (int i = 0; i < 20; i++) {
                                inWindow.add(
                                    new JsonObject(
                                            ok(fx.token(
                                                    "svc",
                                                    svcSecret,
                                                    Map.of("grant_type", "client_credentials")))
                                                .body())
                                        .getString("access_token"));
                              }
                              return null;
                            },
                            false)));
        assertThat(replayed.get()).as(name).isGreaterThan(1000);
        assertThat(covered).isNotEqualTo(GlobalPosition.START);
        // Not a timing assertion: the traffic ran on while this rebuild did (the window alone takes
        // requests).
        assertThat(traffic.answered.get()).as(name).isGreaterThan(answeredBefore);
      }
      // All four at once, from one first pass, swapped in together (token state in three parts).
      int answeredBefore = traffic.answered.get();
      AtomicLong replayed = new AtomicLong();
      TestServer.await(
          runnerInParts.rebuildAll(
              List.of(),
              replayed::addAndGet,
              () ->
                  vertx.executeBlocking(
                      () -> {
                        inWindow.add(
                            new JsonObject(
                                    ok(fx.token(
                                            "svc",
                                            svcSecret,
                                            Map.of("grant_type", "client_credentials")))
                                        .body())
                                .getString("access_token"));
                        return null;
                      },
                      false)));
      assertThat(replayed.get()).isGreaterThan(1000);
      assertThat(traffic.answered.get()).isGreaterThan(answeredBefore);
      // The server keeps serving from the swapped-in tables.
      ok(fx.token("svc", svcSecret, Map.of("grant_type", "client_credentials")));
      traffic.close();
      assertThat(traffic.failures).isEmpty();
      List<String> issued = new ArrayList<>(traffic.accessTokens);
      issued.addAll(inWindow);
      assertThat(issued).hasSizeGreaterThan(80);
      List<String> inactive = Collections.synchronizedList(new ArrayList<>());
      ExecutorService check = Executors.newFixedThreadPool(4);
      List<Future<?>> all = new ArrayList<>();
      for (String token : issued) {
        all.add(
            check.submit(
                () -> {
                  if (!fx.introspect("rs", rsSecret, token).getBoolean("active")) {
                    inactive.add(token);
                  }
                }));
      }
      for (var f : all) {
        f.get(60, TimeUnit.SECONDS);
      }
      check.shutdown();
      // The refresh chain's access tokens stay active: rotation does not revoke the previous access
      // token.
      assertThat(inactive).isEmpty();
      // The rebuilt rows hold the hash each JWT's issuing event recorded: the one of the very token
      // answered, by which introspection recognised it just now.
      int jwts = 0;
      for (String token : issued) {
        if (token.chars().filter(c -> c == '.').count() != 2) {
          continue;
        }
        jwts++;
        String jti = OAuthFixtures.claims(token).getString("jti");
        assertThat(
                server
                    .query("SELECT token_hash FROM access_tokens WHERE jti = $1", jti)
                    .get(0)
                    .getString(0))
            .as(jti)
            .isEqualTo(GrantTokens.hash(token));
      }
      assertThat(jwts).isGreaterThan(40);
    }

    for (Projection p : runner.projections().values()) {
      TableNames check = TestServer.await(runner.createCopies(p, "__check"));
      TestServer.await(runner.replay(p, check, GlobalPosition.START));
      for (var t : check.all().entrySet()) {
        String live = t.getKey();
        long rows = server.query("SELECT count(*) FROM " + live).get(0).getLong(0);
        assertThat(rows).as(live).isPositive();
        assertThat(
                server
                    .query(
                        "SELECT count(*) FROM (SELECT * FROM "
                            + live
                            + " EXCEPT ALL SELECT * FROM "
                            + t.getValue()
                            + ") d")
                    .get(0)
                    .getLong(0))
            .as("rows of %s not in a replay", live)
            .isZero();
        assertThat(
                server
                    .query(
                        "SELECT count(*) FROM (SELECT * FROM "
                            + t.getValue()
                            + " EXCEPT ALL SELECT * FROM "
                            + live
                            + ") d")
                    .get(0)
                    .getLong(0))
            .as("rows of a replay missing from %s", live)
            .isZero();
        assertThat(indexes(live)).as(live).isEqualTo(indexesBefore.get(live));
        server.query("DROP TABLE " + t.getValue());
        assertThat(
                server
                    .query("SELECT to_regclass($1) IS NULL", live + TableNames.REBUILD_SUFFIX)
                    .get(0)
                    .getBoolean(0))
            .isTrue();
      }
    }
    assertThat(
            server
                .query("SELECT count(*) FROM users WHERE username LIKE 'late%'")
                .get(0)
                .getLong(0))
        .as("one user registered in each projection's rebuild window")
        .isEqualTo(runner.projections().size());
  }

  @Test
  void anUnknownProjectionIsRefused() {
    assertThat(runner.rebuild("nope").cause()).hasMessageContaining("no projection named nope");
  }

  private static Set<String> indexes(String table) throws Exception {
    Set<String> out = new TreeSet<>();
    for (Row r :
        server.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1", table)) {
      out.add(r.getString(1));
    }
    return out;
  }
}
