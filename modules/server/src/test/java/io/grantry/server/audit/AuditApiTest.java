package io.grantry.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The auditors' API over a realistic ledger: code flows, refreshes with rotation, a reused refresh
 * token, revocations through /revoke and the admin API, a client update and a withdrawn consent.
 * The state replayed as of now must equal the live projections row by row; as of a past instant it
 * must show what was valid then; histories are complete, ordered, attributed and secret-free.
 */
class AuditApiTest {
  static final String CB = "https://app.example/cb";
  static final String SCOPE = "openid profile offline_access";
  static final String PASSWORD = "correct horse battery";

  static MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static AdminHttp admin;
  static String photosSecret;
  static String notesSecret;
  static String alice;
  static String bob;

  /** Every secret the flows handed out: none may appear in an audit answer. */
  static List<String> secrets = new ArrayList<>();

  static String aliceGrant;
  static String reusedRefresh;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of(), clock);
    fx = new OAuthFixtures(server);
    admin = new AdminHttp(server);
    photosSecret = fx.confidentialClient("photos", CB, "openid profile email offline_access api");
    notesSecret = fx.confidentialClient("notes", CB, "openid profile offline_access");
    secrets.add(photosSecret);
    secrets.add(notesSecret);
    secrets.add(PASSWORD);
    alice = fx.user("alice", PASSWORD);
    bob = fx.user("bob", PASSWORD);

    // alice and photos: two rotations (one with our own request id), then the first token again:
    // reuse.
    Browser a = fx.browser();
    JsonObject t1 = tokens(a, "photos", "alice");
    aliceGrant = GrantTokens.grantIdOf(t1.getString("refresh_token")).orElseThrow();
    JsonObject t2 =
        json(
            refreshWithRequestId(
                "photos", photosSecret, t1.getString("refresh_token"), "audit-rotate-1"));
    JsonObject t3 = json(fx.refresh("photos", photosSecret, t2.getString("refresh_token"), null));
    reusedRefresh = t1.getString("refresh_token");
    assertThat(fx.refresh("photos", photosSecret, reusedRefresh, null).statusCode()).isEqualTo(400);
    remember(t1, t2, t3);

    // alice and notes: one rotation, then the newest access token revoked at /revoke.
    JsonObject n1 = tokens(a, "notes", "alice");
    JsonObject n2 = json(fx.refresh("notes", notesSecret, n1.getString("refresh_token"), "openid"));
    assertThat(
            fx.postForm(
                    "/revoke", "notes", notesSecret, Map.of("token", n2.getString("access_token")))
                .statusCode())
        .isEqualTo(200);
    remember(n1, n2);

    // bob: photos (then the consent withdrawn by the admin, which revokes the grant), notes
    // (stays).
    Browser b = fx.browser();
    JsonObject p = tokens(b, "photos", "bob");
    JsonObject p2 = json(fx.refresh("photos", photosSecret, p.getString("refresh_token"), null));
    JsonObject n = tokens(b, "notes", "bob");
    remember(p, p2, n);
    assertThat(
            admin
                .send(
                    "DELETE",
                    "/admin/users/" + bob + "/consents/photos",
                    null,
                    TestServer.ADMIN_TOKEN)
                .status())
        .isEqualTo(200);
    // A code issued and never redeemed.
    String code = fx.code(b, "notes", CB, "openid", OAuthFixtures.Pkce.create(), "bob", PASSWORD);
    secrets.add(GrantTokens.secretOf(code).orElseThrow());

    // photos' machine tokens: two, one of them revoked.
    JsonObject c1 =
        json(
            fx.token(
                "photos",
                photosSecret,
                Map.of("grant_type", "client_credentials", "scope", "api")));
    JsonObject c2 =
        json(
            fx.token(
                "photos",
                photosSecret,
                Map.of("grant_type", "client_credentials", "scope", "api")));
    assertThat(
            fx.postForm(
                    "/revoke",
                    "photos",
                    photosSecret,
                    Map.of("token", c1.getString("access_token")))
                .statusCode())
        .isEqualTo(200);
    remember(c1, c2);

    // The notes client is updated: new name and a second redirect URI.
    JsonObject update =
        new JsonObject()
            .put("client_name", "Notes 2")
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("redirect_uris", new JsonArray().add(CB).add("https://app.example/cb2"))
            .put("grant_types", new JsonArray().add("authorization_code").add("refresh_token"))
            .put("scope", "openid profile offline_access");
    assertThat(admin.put("/admin/clients/notes", update).status()).isEqualTo(200);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  // ---------------------------------------------------------------- as of now = live projections

  /** When bob's unredeemed code was issued, as the ledger says. */
  static Instant bobCodeIssuedAt() {
    for (Object o : asOf("time=" + clock.instant()).getJsonArray("grants")) {
      JsonObject g = (JsonObject) o;
      if (bob.equals(g.getString("user_id"))
          && "notes".equals(g.getString("client_id"))
          && g.getString("status").startsWith("code_")) {
        return Instant.parse(g.getString("created_at"));
      }
    }
    throw new AssertionError("bob's code is not in the ledger");
  }

  @Test
  void aCodeNeverRedeemedIsExpiredAsOfATimePastItsLifetime() {
    Instant bobCodeIssuedAt = bobCodeIssuedAt();
    assertThat(statuses(asOf("time=" + bobCodeIssuedAt.plusSeconds(59))))
        .contains("notes bob code_issued");
    assertThat(statuses(asOf("time=" + bobCodeIssuedAt.plusSeconds(60))))
        .contains("notes bob code_expired")
        .doesNotContain("notes bob code_issued");
  }

  @Test
  void stateAsOfNowEqualsTheLiveProjectionsRowByRow() throws Exception {
    Instant now = clock.instant();
    JsonObject all = asOf("time=" + now);
    assertEqualsProjections(all, now, "", "");

    JsonObject ofAlice = asOf("time=" + now + "&user=" + alice);
    assertThat(ofAlice.getString("user")).isEqualTo(alice);
    assertEqualsProjections(
        ofAlice, now, " WHERE user_id = '" + alice + "'", " AND user_id = '" + alice + "'");
    JsonObject ofNotes = asOf("time=" + now + "&client=notes");
    assertEqualsProjections(ofNotes, now, " WHERE client_id = 'notes'", " AND client_id = 'notes'");
    assertThat(ofNotes.getJsonArray("clients").size()).isEqualTo(1);

    // What the mix produced, so that the comparison above compared something.
    assertThat(statuses(all))
        .contains(
            "photos alice revoked",
            "notes alice active",
            "photos bob revoked",
            "notes bob active",
            now.isBefore(bobCodeIssuedAt().plusSeconds(60))
                ? "notes bob code_issued"
                : "notes bob code_expired",
            "photos - active");
    assertThat(all.getJsonArray("access_tokens").size()).isGreaterThanOrEqualTo(3);
    assertThat(all.getJsonArray("refresh_tokens").size()).isEqualTo(2);
    assertThat(all.getJsonArray("consents").size()).isGreaterThanOrEqualTo(3);
    assertNoSecret(all.encode());
  }

  private static void assertEqualsProjections(
      JsonObject asOf, Instant now, String where, String and) throws Exception {
    OffsetDateTime t = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
    // The projection keeps an unredeemed code's grant as code_issued; as of a time past the code's
    // 60 s, the ledger's answer says it expired (the test clock may have been moved on).
    List<String> grants =
        rows(
            "SELECT grant_id, kind, client_id, user_id, scope, CASE WHEN status = 'code_issued'"
                + " AND created_at + interval '60 seconds' <= $1 THEN 'code_expired' ELSE status END,"
                + " created_at, revoked_at, revoked_reason FROM grants"
                + where
                + " ORDER BY grant_id",
            t);
    assertThat(
            lines(
                asOf.getJsonArray("grants"),
                "grant_id",
                "kind",
                "client_id",
                "user_id",
                "scope",
                "status",
                "created_at",
                "revoked_at",
                "revoked_reason"))
        .containsExactlyInAnyOrderElementsOf(grants);
    assertThat(
            lines(
                asOf.getJsonArray("access_tokens"),
                "jti",
                "grant_id",
                "client_id",
                "subject",
                "scope",
                "expires_at"))
        .containsExactlyInAnyOrderElementsOf(
            rows(
                "SELECT jti, grant_id, client_id, subject, scope, expires_at FROM access_tokens"
                    + " WHERE revoked_at IS NULL AND expires_at > $1"
                    + and.replace("user_id", "subject"),
                t));
    assertThat(
            lines(
                asOf.getJsonArray("refresh_tokens"),
                "hash",
                "grant_id",
                "client_id",
                "subject",
                "scope",
                "expires_at"))
        .containsExactlyInAnyOrderElementsOf(
            rows(
                "SELECT hash, grant_id, client_id, subject, scope, expires_at FROM refresh_tokens"
                    + " WHERE status = 'active' AND expires_at > $1"
                    + and.replace("user_id", "subject"),
                t));
    assertThat(lines(asOf.getJsonArray("consents"), "user_id", "client_id", "scope", "granted_at"))
        .containsExactlyInAnyOrderElementsOf(
            rows(
                "SELECT user_id, client_id, scopes, granted_at FROM consents WHERE revoked_at IS NULL"
                    + and));
    List<String> clients = new ArrayList<>();
    for (Object o : asOf.getJsonArray("clients")) {
      JsonObject c = (JsonObject) o;
      clients.add(
          String.join(
              "|",
              c.getString("client_id"),
              c.getString("client_name"),
              c.getString("token_endpoint_auth_method"),
              sorted(c.getJsonArray("redirect_uris")),
              sorted(c.getJsonArray("grant_types")),
              sorted(c.getJsonArray("allowed_scopes")),
              String.valueOf(c.getBoolean("skip_consent")),
              String.valueOf(c.getBoolean("introspect")),
              String.valueOf(c.getBoolean("disabled"))));
    }
    List<String> live = new ArrayList<>();
    String clientWhere =
        where.contains("user_id")
            ? " WHERE client_id IN (SELECT client_id FROM grants"
                + where
                + " UNION SELECT client_id FROM consents"
                + where
                + ")"
            : where;
    for (Row r :
        server.query(
            "SELECT client_id, client_name, token_endpoint_auth_method, redirect_uris, grant_types,"
                + " scope, skip_consent, introspect, disabled FROM clients"
                + clientWhere
                + " ORDER BY client_id")) {
      live.add(
          String.join(
              "|",
              r.getString(0),
              r.getString(1),
              r.getString(2),
              sorted(r.getArrayOfStrings(3)),
              sorted(r.getArrayOfStrings(4)),
              String.join(" ", new TreeSet<>(Arrays.asList(r.getString(5).split(" ")))),
              String.valueOf(r.getBoolean(6)),
              String.valueOf(r.getBoolean(7)),
              String.valueOf(r.getBoolean(8))));
    }
    assertThat(clients).containsExactlyInAnyOrderElementsOf(live);
    assertThat(clients).isNotEmpty();
  }

  // ---------------------------------------------------------------- as of a past instant

  @Test
  void stateAsOfThePastShowsASinceRevokedGrantActive() throws Exception {
    String carol = fx.user("carol", PASSWORD);
    JsonObject t = tokens(fx.browser(), "photos", "carol");
    remember(t);
    String grant = GrantTokens.grantIdOf(t.getString("refresh_token")).orElseThrow();
    String jti = OAuthFixtures.claims(t.getString("access_token")).getString("jti");
    String refreshHash =
        GrantTokens.hash(GrantTokens.secretOf(t.getString("refresh_token")).orElseThrow());
    Instant before = clock.instant();
    clock.advance(Duration.ofMinutes(10));
    assertThat(
            admin
                .post("/admin/users/" + carol + "/revoke-grants", null)
                .json()
                .getInteger("grants_revoked"))
        .isEqualTo(1);

    JsonObject then = asOf("user=" + carol + "&time=" + before);
    assertThat(statuses(then)).containsExactly("photos carol active");
    assertThat(then.getJsonArray("access_tokens").getJsonObject(0).getString("jti")).isEqualTo(jti);
    assertThat(then.getJsonArray("refresh_tokens").getJsonObject(0).getString("hash"))
        .isEqualTo(refreshHash);
    assertThat(then.getJsonArray("consents").getJsonObject(0).getString("client_id"))
        .isEqualTo("photos");

    JsonObject now = asOf("user=" + carol);
    assertThat(statuses(now)).containsExactly("photos carol revoked");
    assertThat(now.getJsonArray("grants").getJsonObject(0).getString("revoked_by"))
        .isEqualTo("admin");
    assertThat(now.getJsonArray("access_tokens")).isEmpty();
    assertThat(now.getJsonArray("refresh_tokens")).isEmpty();
    // Before the user existed: nothing.
    JsonObject earlier = asOf("user=" + carol + "&time=" + before.minus(Duration.ofDays(1)));
    assertThat(earlier.getJsonArray("grants")).isEmpty();
    assertThat(earlier.getInteger("events_replayed")).isZero();

    JsonArray history = admin.get("/admin/audit/grants/" + grant).items();
    JsonObject last = history.getJsonObject(history.size() - 1);
    assertThat(last.getString("type")).isEqualTo("grant.revoked.v1");
    assertThat(last.getString("actor")).isEqualTo("admin");
    assertThat(Instant.parse(last.getString("recorded_at"))).isAfter(before);
  }

  // ---------------------------------------------------------------- history

  @Test
  void aGrantsHistoryIsOrderedAttributedAndHasNoSecret() {
    AdminHttp.Response r = admin.get("/admin/audit/grants/" + aliceGrant);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray items = r.items();
    assertThat(column(items, "type"))
        .containsExactly(
            "grant.authorization_code_issued.v1",
            "grant.authorization_code_redeemed.v1",
            "grant.refresh_token_rotated.v1",
            "grant.refresh_token_rotated.v1",
            "grant.refresh_token_reuse_detected.v1",
            "grant.revoked.v1");
    assertThat(column(items, "actor"))
        .containsExactly(
            "user:" + alice,
            "client:photos",
            "client:photos",
            "client:photos",
            "client:photos",
            "client:photos");
    assertThat(items.getJsonObject(2).getString("request_id")).isEqualTo("audit-rotate-1");
    assertThat(column(items, "request_id")).doesNotContainNull();
    assertThat(
            items
                .getJsonObject(4)
                .getJsonObject("changes")
                .getString("presented_refresh_token_hash"))
        .isEqualTo(GrantTokens.hash(GrantTokens.secretOf(reusedRefresh).orElseThrow()));
    assertThat(items.getJsonObject(5).getJsonObject("changes").getString("reason")).isNotBlank();
    assertOrdered(items);
    assertThat(r.json().getString("next_cursor")).isNull();
    assertNoSecret(r.body());

    // Paged: the pages put together are the whole history.
    List<String> paged = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page =
          admin
              .get(
                  "/admin/audit/grants/"
                      + aliceGrant
                      + "?limit=4"
                      + (cursor == null ? "" : "&cursor=" + cursor))
              .json();
      page.getJsonArray("items").forEach(o -> paged.add(((JsonObject) o).encode()));
      cursor = page.getString("next_cursor");
      pages++;
    } while (cursor != null);
    assertThat(pages).isEqualTo(2);
    List<String> whole = new ArrayList<>();
    items.forEach(o -> whole.add(((JsonObject) o).encode()));
    assertThat(paged).isEqualTo(whole);
  }

  @Test
  void aUsersHistoryHoldsTheUserItsGrantsAndConsentsOnly() throws Exception {
    AdminHttp.Response r = admin.get("/admin/audit/users/" + alice + "?limit=200");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray items = r.items();
    assertOrdered(items);
    assertThat(items.getJsonObject(0).getString("type")).isEqualTo("user.registered.v1");
    assertThat(items.getJsonObject(0).getString("actor")).isEqualTo("admin");
    // The password hash is shown as a fingerprint only.
    String stored =
        server
            .query("SELECT password_hash FROM users WHERE user_id = $1", alice)
            .get(0)
            .getString(0);
    assertThat(r.body()).doesNotContain(stored);
    assertThat(items.getJsonObject(0).getJsonObject("changes").getString("password_hash"))
        .startsWith("sha256:");
    List<String> streams = column(items, "stream_id");
    assertThat(streams)
        .contains(
            "user:" + alice,
            "grant:" + aliceGrant,
            "consent:" + alice + ":photos",
            "consent:" + alice + ":notes");
    List<String> mine = new ArrayList<>();
    server
        .query("SELECT grant_id FROM grants WHERE user_id = $1", alice)
        .forEach(g -> mine.add("grant:" + g.getString(0)));
    assertThat(streams.stream().filter(s -> s.startsWith("grant:")).distinct().sorted().toList())
        .isEqualTo(mine.stream().sorted().toList());
    // Exactly the events of those streams.
    int expected =
        server
            .query(
                "SELECT count(*) FROM events WHERE stream_id = $1 OR stream_id = ANY($2)"
                    + " OR stream_id LIKE $3",
                "user:" + alice,
                mine.toArray(String[]::new),
                "consent:" + alice + ":%")
            .get(0)
            .getInteger(0);
    assertThat(items.size()).isEqualTo(expected);
    assertNoSecret(r.body());
  }

  @Test
  void aClientsHistoryShowsWhatAnUpdateChanged() throws Exception {
    AdminHttp.Response r = admin.get("/admin/audit/clients/notes?limit=200");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray items = r.items();
    assertOrdered(items);
    JsonObject registered = items.getJsonObject(0);
    assertThat(registered.getString("type")).isEqualTo("client.registered.v1");
    assertThat(registered.getJsonObject("changes").getString("secret_hash")).startsWith("sha256:");
    JsonObject updated = find(items, "client.updated.v1");
    assertThat(updated.getString("actor")).isEqualTo("admin");
    assertThat(updated.getJsonObject("changes").fieldNames())
        .containsExactlyInAnyOrder("client_name", "redirect_uris", "grant_types");
    assertThat(updated.getJsonObject("changes").getJsonObject("client_name").getString("from"))
        .isEqualTo("Test notes");
    assertThat(updated.getJsonObject("changes").getJsonObject("client_name").getString("to"))
        .isEqualTo("Notes 2");
    int grants =
        server.query("SELECT count(*) FROM grants WHERE client_id = 'notes'").get(0).getInteger(0);
    assertThat(
            column(items, "stream_id").stream()
                .filter(s -> s.startsWith("grant:"))
                .distinct()
                .count())
        .isEqualTo(grants);
    assertThat(column(items, "stream_id"))
        .contains("consent:" + alice + ":notes", "consent:" + bob + ":notes");
    assertNoSecret(r.body());
  }

  @Test
  void unknownIdsAre404AndBadParameters400() {
    for (String path :
        List.of(
            "/admin/audit/grants/nope",
            "/admin/audit/grants/not.a.grant",
            "/admin/audit/users/nobody",
            "/admin/audit/clients/nobody",
            "/admin/audit/as-of?user=nobody",
            "/admin/audit/as-of?client=nobody")) {
      AdminHttp.Response r = admin.get(path);
      assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(404);
      assertThat(r.json().getString("error")).isEqualTo("not_found");
    }
    for (String path :
        List.of(
            "/admin/audit/as-of?time=yesterday",
            "/admin/audit/as-of?user=" + alice + "&client=notes",
            "/admin/audit/grants/" + aliceGrant + "?cursor=bm9wZQ",
            "/admin/audit/users/" + alice + "?limit=0")) {
      AdminHttp.Response r = admin.get(path);
      assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(400);
      assertThat(r.json().getString("error")).isEqualTo("invalid_request");
    }
    assertThat(admin.send("GET", "/admin/audit/users/" + alice, null, null).status())
        .isEqualTo(401);
  }

  @Test
  void theStreamsOfAUserOrClientAreFoundThroughTheLedgersAuditIndexes() throws Exception {
    Pool pool =
        PgBuilder.pool().connectingTo(server.db.connectOptions()).using(server.vertx).build();
    try {
      for (AuditLedger.Subject s :
          List.of(
              new AuditLedger.Subject(AuditLedger.Kind.USER, alice),
              new AuditLedger.Subject(AuditLedger.Kind.CLIENT, "photos"),
              new AuditLedger.Subject(AuditLedger.Kind.GRANT, aliceGrant))) {
        // Forced off the table scan a tiny table would rightly prefer: an index whose predicate the
        // query does not imply could not be chosen at all.
        String plan =
            TestServer.await(
                pool.withTransaction(
                    conn ->
                        conn.query("SET LOCAL enable_seqscan = off")
                            .execute()
                            .compose(
                                v ->
                                    conn.preparedQuery("EXPLAIN " + s.streamsSql())
                                        .execute(Tuple.of(s.id())))
                            .map(
                                rows -> {
                                  StringBuilder b = new StringBuilder();
                                  rows.forEach(r -> b.append(r.getString(0)).append('\n'));
                                  return b.toString();
                                })));
        // Token exchanges (RFC 8693) have partial indexes of their own (V17), as have pushed
        // authorization requests (RFC 9126, V19).
        assertThat(plan)
            .contains(
                switch (s.kind()) {
                  case USER -> List.of("events_audit_by_user", "events_exchanged_for_user");
                  case CLIENT ->
                      List.of(
                          "events_audit_by_client",
                          "events_exchanged_by_client",
                          "events_pushed_by_client");
                  case GRANT -> List.of("events_exchanged_from");
                });
      }
    } finally {
      TestServer.await(pool.close());
    }
  }

  // ---------------------------------------------------------------- helpers

  static JsonObject tokens(Browser b, String clientId, String username) {
    return fx.tokens(
        b,
        clientId,
        clientId.equals("photos") ? photosSecret : notesSecret,
        CB,
        SCOPE,
        username,
        PASSWORD);
  }

  static JsonObject json(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static HttpResponse<String> refreshWithRequestId(
      String clientId, String secret, String refresh, String requestId) throws Exception {
    String basic =
        Base64.getEncoder()
            .encodeToString((clientId + ":" + secret).getBytes(StandardCharsets.UTF_8));
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "refresh_token");
    form.put("refresh_token", refresh);
    HttpResponse<String> r =
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url("/token")))
                .header("Authorization", "Basic " + basic)
                .header("X-Request-Id", requestId)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.headers().firstValue("X-Request-Id")).contains(requestId);
    return r;
  }

  static void remember(JsonObject... responses) {
    for (JsonObject t : responses) {
      for (String f : List.of("access_token", "refresh_token", "id_token")) {
        if (t.getString(f) != null) {
          secrets.add(t.getString(f));
          GrantTokens.secretOf(t.getString(f))
              .filter(s -> !f.endsWith("access_token") && !f.equals("id_token"))
              .ifPresent(secrets::add);
        }
      }
    }
  }

  static void assertNoSecret(String body) {
    for (String s : secrets) {
      assertThat(body).as("a secret in an audit answer").doesNotContain(s);
    }
  }

  static JsonObject asOf(String query) {
    AdminHttp.Response r = admin.get("/admin/audit/as-of?" + query.replace("+", "%2B"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  static List<String> statuses(JsonObject asOf) {
    Map<String, String> names = Map.of(alice, "alice", bob, "bob");
    List<String> out = new ArrayList<>();
    for (Object o : asOf.getJsonArray("grants")) {
      JsonObject g = (JsonObject) o;
      String user = g.getString("user_id");
      out.add(
          g.getString("client_id")
              + " "
              + (user == null ? "-" : names.getOrDefault(user, "carol"))
              + " "
              + g.getString("status"));
    }
    return out;
  }

  static void assertOrdered(JsonArray items) {
    String previous = null;
    for (Object o : items) {
      String[] p = ((JsonObject) o).getString("commit_order").split(":");
      String key = String.format("%020d:%020d", Long.parseLong(p[0]), Long.parseLong(p[1]));
      if (previous != null) {
        assertThat(key).isGreaterThan(previous);
      }
      previous = key;
    }
  }

  static List<String> column(JsonArray items, String field) {
    List<String> out = new ArrayList<>();
    items.forEach(o -> out.add(((JsonObject) o).getString(field)));
    return out;
  }

  static JsonObject find(JsonArray items, String type) {
    for (Object o : items) {
      if (type.equals(((JsonObject) o).getString("type"))) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError("no " + type);
  }

  static String sorted(JsonArray a) {
    List<String> l = new ArrayList<>();
    a.forEach(o -> l.add(String.valueOf(o)));
    return String.join(" ", new TreeSet<>(l));
  }

  static String sorted(String[] a) {
    return String.join(" ", new TreeSet<>(Arrays.asList(a)));
  }

  /** Rows as lines of their values; instants at microsecond precision, as PostgreSQL keeps them. */
  static List<String> rows(String sql, Object... params) throws Exception {
    List<String> out = new ArrayList<>();
    for (Row r : server.query(sql, params)) {
      List<String> cells = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        Object v = r.getValue(i);
        cells.add(v instanceof OffsetDateTime t ? micros(t.toInstant()) : String.valueOf(v));
      }
      out.add(String.join("|", cells));
    }
    return out;
  }

  static List<String> lines(JsonArray items, String... fields) {
    List<String> out = new ArrayList<>();
    Function<Object, String> cell =
        v -> {
          if (v instanceof String s && s.matches("\\d{4}-\\d\\d-\\d\\dT.*Z")) {
            return micros(Instant.parse(s));
          }
          return String.valueOf(v);
        };
    for (Object o : items) {
      JsonObject j = (JsonObject) o;
      List<String> cells = new ArrayList<>();
      for (String f : fields) {
        cells.add(cell.apply(j.getValue(f)));
      }
      out.add(String.join("|", cells));
    }
    return out;
  }

  static String micros(Instant i) {
    return i.truncatedTo(ChronoUnit.MICROS).toString();
  }
}
