package io.grantry.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operators' endpoints over a real server: grants by client, user and status (paged), one
 * token's row and why it is not active, the stats (summed over two instances), and each
 * projection's checkpoint and lag.
 */
class OpsApiTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String SCOPE = "openid offline_access";

  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static AdminHttp admin;
  static final Map<String, String> secrets = TestServer.sharedSecrets();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(secrets, clock);
    fx = new OAuthFixtures(server);
    admin = new AdminHttp(server);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String cc(String client, String secret) {
    return new JsonObject(
            fx.token(client, secret, Map.of("grant_type", "client_credentials")).body())
        .getString("access_token");
  }

  static String jti(String accessToken) {
    return OAuthFixtures.claims(accessToken).getString("jti");
  }

  static String refreshId(String refreshToken) {
    return GrantTokens.hash(GrantTokens.secretOf(refreshToken).orElseThrow());
  }

  static JsonArray grants(String query) {
    AdminHttp.Response r = admin.get("/admin/grants" + query);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.items();
  }

  static Map<String, String> statusByGrant(JsonArray items) {
    Map<String, String> out = new TreeMap<>();
    items.forEach(
        o -> out.put(((JsonObject) o).getString("grant_id"), ((JsonObject) o).getString("status")));
    return out;
  }

  @Test
  void grantsAreListedByClientUserAndStatusAndPaged() {
    String secret = fx.confidentialClient("g-web", CB, SCOPE);
    String userId = fx.user("g-alice", PASSWORD);
    fx.user("g-bob", PASSWORD);
    OAuthFixtures.Browser alice = fx.browser();
    JsonObject reused = fx.tokens(alice, "g-web", secret, CB, SCOPE, "g-alice", PASSWORD);
    ok(fx.refresh("g-web", secret, reused.getString("refresh_token"), null));
    assertThat(fx.refresh("g-web", secret, reused.getString("refresh_token"), null).statusCode())
        .isEqualTo(400);
    JsonObject live = fx.tokens(alice, "g-web", secret, CB, SCOPE, "g-alice", PASSWORD);
    // A code issued and not redeemed.
    fx.code(alice, "g-web", CB, SCOPE, OAuthFixtures.Pkce.create(), "g-alice", PASSWORD);
    JsonObject bobs = fx.tokens(fx.browser(), "g-web", secret, CB, SCOPE, "g-bob", PASSWORD);

    String reusedGrant = GrantTokens.grantIdOf(reused.getString("refresh_token")).orElseThrow();
    String liveGrant = GrantTokens.grantIdOf(live.getString("refresh_token")).orElseThrow();
    String bobsGrant = GrantTokens.grantIdOf(bobs.getString("refresh_token")).orElseThrow();

    JsonArray all = grants("?client=g-web");
    assertThat(all).hasSize(4);
    Map<String, String> status = statusByGrant(all);
    assertThat(status)
        .containsEntry(reusedGrant, "revoked")
        .containsEntry(liveGrant, "active")
        .containsEntry(bobsGrant, "active")
        .containsValue("pending");
    JsonObject revoked =
        all.stream()
            .map(JsonObject.class::cast)
            .filter(g -> g.getString("grant_id").equals(reusedGrant))
            .findFirst()
            .orElseThrow();
    assertThat(revoked.getString("revoked_reason")).isEqualTo("refresh_reuse");
    assertThat(revoked.getString("grant_type")).isEqualTo("authorization_code");
    assertThat(revoked.getString("user_id")).isEqualTo(userId);
    assertThat(all.encode())
        .doesNotContain(
            live.getString("refresh_token"),
            live.getString("access_token"),
            GrantTokens.secretOf(live.getString("refresh_token")).orElseThrow());

    assertThat(statusByGrant(grants("?client=g-web&user=" + userId)).keySet())
        .hasSize(3)
        .doesNotContain(bobsGrant);
    assertThat(statusByGrant(grants("?client=g-web&status=active")).keySet())
        .containsExactlyInAnyOrder(liveGrant, bobsGrant);
    assertThat(statusByGrant(grants("?client=g-web&status=revoked")).keySet())
        .containsExactly(reusedGrant);
    assertThat(grants("?client=g-web&status=pending")).hasSize(1);
    assertThat(grants("?client=nobody")).isEmpty();

    // Pages of one, in grant_id order, each grant once.
    List<String> paged = new ArrayList<>();
    String cursor = null;
    do {
      AdminHttp.Response page =
          admin.get(
              "/admin/grants?client=g-web&limit=1" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(page.items()).hasSizeLessThanOrEqualTo(1);
      page.items().forEach(o -> paged.add(((JsonObject) o).getString("grant_id")));
      cursor = page.json().getString("next_cursor");
    } while (cursor != null);
    assertThat(paged).hasSize(4).isSorted().doesNotHaveDuplicates();

    assertThat(admin.get("/admin/grants?status=sleeping").status()).isEqualTo(400);
    assertThat(admin.get("/admin/grants?client=a%20b").status()).isEqualTo(400);
    assertThat(admin.get("/admin/grants?limit=0").status()).isEqualTo(400);
  }

  @Test
  void aTokenShowsItsGrantAndWhyItIsNoLongerActive() {
    String secret = fx.confidentialClient("t-web", CB, SCOPE);
    String svc = fx.confidentialClient("t-svc", CB, "api.read", "client_credentials");
    fx.user("t-alice", PASSWORD);
    OAuthFixtures.Browser alice = fx.browser();

    String at = cc("t-svc", svc);
    AdminHttp.Response r = admin.get("/admin/tokens/" + jti(at));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject t = r.json();
    assertThat(t.getString("token_type")).isEqualTo("access_token");
    assertThat(t.getString("grant_type")).isEqualTo("client_credentials");
    assertThat(t.getString("client_id")).isEqualTo("t-svc");
    assertThat(t.getString("subject")).isEqualTo("t-svc");
    assertThat(t.getBoolean("active")).isTrue();
    assertThat(t.getString("status")).isEqualTo("active");
    assertThat(t.getString("revoked_reason")).isNull();
    assertThat(r.body()).doesNotContain(at);

    ok(fx.postForm("/revoke", "t-svc", svc, Map.of("token", at)));
    t = admin.get("/admin/tokens/" + jti(at)).json();
    assertThat(t.getBoolean("active")).isFalse();
    assertThat(t.getString("status")).isEqualTo("revoked");
    assertThat(t.getString("revoked_reason")).isEqualTo("access_token_revoked");
    assertThat(t.getString("revoked_at")).isNotNull();

    // A rotated refresh token, then reuse: the grant is revoked and its tokens say why.
    JsonObject first = fx.tokens(alice, "t-web", secret, CB, SCOPE, "t-alice", PASSWORD);
    String oldRt = first.getString("refresh_token");
    JsonObject second = new JsonObject(ok(fx.refresh("t-web", secret, oldRt, null)).body());
    JsonObject rotated = admin.get("/admin/tokens/" + refreshId(oldRt)).json();
    assertThat(rotated.getString("token_type")).isEqualTo("refresh_token");
    assertThat(rotated.getString("status")).isEqualTo("rotated");
    assertThat(rotated.getBoolean("active")).isFalse();
    assertThat(
            admin
                .get("/admin/tokens/" + refreshId(second.getString("refresh_token")))
                .json()
                .getBoolean("active"))
        .isTrue();
    assertThat(fx.refresh("t-web", secret, oldRt, null).statusCode()).isEqualTo(400);
    JsonObject afterReuse =
        admin.get("/admin/tokens/" + jti(second.getString("access_token"))).json();
    assertThat(afterReuse.getString("status")).isEqualTo("revoked");
    assertThat(afterReuse.getString("revoked_reason")).isEqualTo("refresh_reuse");
    assertThat(afterReuse.getString("grant_type")).isEqualTo("authorization_code");

    // Unknown: 404 that does not repeat what was asked (it might be a token pasted by mistake).
    AdminHttp.Response unknown = admin.get("/admin/tokens/" + oldRt);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.body()).doesNotContain(oldRt).contains("not_found");
    assertThat(admin.get("/admin/tokens/" + GrantTokens.hash("nothing")).status()).isEqualTo(404);
    assertThat(admin.get("/admin/tokens/a%20b").status()).isEqualTo(400);
  }

  @Test
  void expiryIsJudgedAtTheServersTime() {
    String svc = fx.confidentialClient("x-svc", CB, "api.read", "client_credentials");
    String at = cc("x-svc", svc);
    assertThat(statusByGrant(grants("?client=x-svc")).values()).containsExactly("active");
    clock.advance(Duration.ofHours(2));
    assertThat(statusByGrant(grants("?client=x-svc")).values()).containsExactly("expired");
    assertThat(grants("?client=x-svc&status=expired")).hasSize(1);
    JsonObject t = admin.get("/admin/tokens/" + jti(at)).json();
    assertThat(t.getString("status")).isEqualTo("expired");
    assertThat(t.getBoolean("active")).isFalse();
  }

  @Test
  void statsCountWhatEveryInstanceSaw() throws Exception {
    JsonObject before = admin.get("/admin/stats").json();
    String svc = fx.confidentialClient("s-svc", CB, "api.read", "client_credentials");
    String web = fx.confidentialClient("s-web", CB, SCOPE);
    fx.user("s-alice", PASSWORD);
    for (int i = 0; i < 5; i++) {
      cc("s-svc", svc);
    }
    JsonObject t = fx.tokens(fx.browser(), "s-web", web, CB, SCOPE, "s-alice", PASSWORD);
    ok(fx.refresh("s-web", web, t.getString("refresh_token"), null));
    fx.refresh("s-web", web, t.getString("refresh_token"), null);
    for (int i = 0; i < 3; i++) {
      assertThat(
              fx.token("s-svc", "wrong", Map.of("grant_type", "client_credentials")).statusCode())
          .isEqualTo(401);
    }
    assertThat(fx.postForm("/introspect", "s-svc", "wrong", Map.of("token", "x")).statusCode())
        .isEqualTo(401);

    // A second instance on the same database: its counts reach the table when it flushes.
    try (TestServer b = TestServer.startOn(server.db, secrets, clock)) {
      OAuthFixtures fb = new OAuthFixtures(b);
      assertThat(fb.token("s-svc", svc, Map.of("grant_type", "client_credentials")).statusCode())
          .isEqualTo(200);
      assertThat(fb.postForm("/revoke", "s-svc", "wrong", Map.of("token", "x")).statusCode())
          .isEqualTo(401);
      TestServer.await(b.server.resources().opsCounters().flush());
    }

    AdminHttp.Response r = admin.get("/admin/stats");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonObject after = r.json();
    assertThat(delta(before, after, "tokens_issued", "client_credentials")).isEqualTo(6);
    assertThat(delta(before, after, "tokens_issued", "authorization_code")).isEqualTo(1);
    assertThat(delta(before, after, "tokens_issued", "refresh_token")).isEqualTo(1);
    assertThat(windowDelta(before, after, "refresh_token_reuse_detected", "last_hour"))
        .isEqualTo(1);
    assertThat(windowDelta(before, after, "refresh_token_reuse_detected", "last_day")).isEqualTo(1);
    assertThat(windowDelta(before, after, "client_auth_failures", "last_hour")).isEqualTo(5);
    assertThat(after.getInteger("flush_seconds")).isEqualTo(10);
    // Active grants are those the grant list calls active.
    assertThat(after.getLong("active_grants")).isEqualTo(grants("?status=active&limit=200").size());
    assertThat(after.getJsonObject("active_grants_by_type").getLong("client_credentials"))
        .isPositive();
  }

  @Test
  void projectionsReportCheckpointAndLag() throws Exception {
    AdminHttp.Response r = admin.get("/admin/projections");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray items = r.items();
    List<String> inline = new ArrayList<>();
    long head = server.query("SELECT count(*) FROM events").get(0).getLong(0);
    for (Object o : items) {
      JsonObject p = (JsonObject) o;
      if ("inline".equals(p.getString("mode"))) {
        inline.add(p.getString("name"));
        assertThat(p.getLong("lag_events")).isZero();
        assertThat(p.getString("checkpoint")).matches("[0-9]+:[0-9]+");
        assertThat(p.getJsonArray("tables")).isNotEmpty();
      }
    }
    assertThat(inline).containsExactly("clients", "users", "token_state", "consents", "sessions");
    assertThat(head).isPositive();

    // An asynchronous projection (of another process) that has applied nothing yet lags by the
    // whole ledger.
    server.query("INSERT INTO projection_checkpoints (name) VALUES ('ops_test_async')");
    JsonObject async =
        admin.get("/admin/projections").items().stream()
            .map(JsonObject.class::cast)
            .filter(p -> p.getString("name").equals("ops_test_async"))
            .findFirst()
            .orElseThrow();
    assertThat(async.getString("mode")).isEqualTo("async");
    assertThat(async.getString("checkpoint")).isEqualTo("0:0");
    assertThat(async.getLong("lag_events")).isGreaterThanOrEqualTo(head);
    assertThat(async.getDouble("lag_seconds")).isPositive();
  }

  private static long delta(JsonObject before, JsonObject after, String key, String type) {
    return after.getJsonObject(key).getJsonObject(type).getLong("last_hour")
        - before.getJsonObject(key).getJsonObject(type).getLong("last_hour");
  }

  private static long windowDelta(JsonObject before, JsonObject after, String key, String window) {
    return after.getJsonObject(key).getLong(window) - before.getJsonObject(key).getLong(window);
  }

  private static HttpResponse<String> ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r;
  }
}
