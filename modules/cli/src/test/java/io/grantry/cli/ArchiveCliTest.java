package io.grantry.cli;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.TableNames;
import io.grantry.server.clients.ClientsProjection;
import io.grantry.server.consents.ConsentsProjection;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.grantry.server.tokenstate.TokenStateProjection;
import io.grantry.server.users.UsersProjection;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ledger archival end to end against a real server: grants dead for 40 days are moved into an
 * archive file; the database and the file verify together, the database alone verifies and names
 * the ranges only the archive holds, the projections rebuild to what is live, and tampering with
 * the archive file or with the stubs in the database is detected.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ArchiveCliTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "correct horse battery";
  static final String SCOPE = "openid offline_access api.read";

  @TempDir static Path dir;

  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String web;
  static String svc;
  static List<String> archivedGrants = new ArrayList<>();
  static long archivedEvents;
  static String keptRefresh;
  static String leftRefresh;
  static String lateGrant;
  static Path archive;

  @BeforeAll
  static void archiveOldGrants() throws Exception {
    server =
        TestServer.start(
            Map.of("GRANTRY_CHECKPOINT_INTERVAL_MS", "0", "GRANTRY_PRUNE_INTERVAL_MS", "0"), clock);
    CliSupport.env =
        Map.of(
            "GRANTRY_DB_URL",
            server.db.jdbcUrl().replaceFirst("^jdbc:", ""),
            "GRANTRY_DB_USER",
            "postgres",
            "GRANTRY_DB_PASSWORD",
            TestDatabase.server().password());
    fx = new OAuthFixtures(server);
    web = fx.confidentialClient("web", CB, SCOPE);
    svc = fx.confidentialClient("svc", CB, "api.read", "client_credentials");
    fx.user("alice", PASSWORD);

    // 40 days ago: three machine tokens, a grant revoked at once, a grant left to expire.
    clock.advance(Duration.ofDays(-40));
    for (int i = 0; i < 3; i++) {
      archivedGrants.add(grantOfJwt(machineToken()));
    }
    JsonObject revoked = fx.tokens(fx.browser(), "web", web, CB, SCOPE, "alice", PASSWORD);
    assertThat(
            fx.postForm("/revoke", "web", web, Map.of("token", revoked.getString("refresh_token")))
                .statusCode())
        .isEqualTo(200);
    archivedGrants.add(GrantTokens.grantIdOf(revoked.getString("refresh_token")).orElseThrow());
    JsonObject left = fx.tokens(fx.browser(), "web", web, CB, SCOPE, "alice", PASSWORD);
    leftRefresh = left.getString("refresh_token");
    archivedGrants.add(GrantTokens.grantIdOf(leftRefresh).orElseThrow());
    // 10 days ago: a grant that is still alive today.
    clock.advance(Duration.ofDays(30));
    JsonObject kept = fx.tokens(fx.browser(), "web", web, CB, SCOPE, "alice", PASSWORD);
    clock.advance(Duration.ofDays(10));
    HttpResponse<String> rotated = fx.refresh("web", web, kept.getString("refresh_token"), null);
    assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
    keptRefresh = new JsonObject(rotated.body()).getString("refresh_token");
    machineToken();
    await(server.server.checkpoints().checkpoint());
    // A grant dead for 40 days but written after the last checkpoint: not archived yet.
    clock.advance(Duration.ofDays(-40));
    lateGrant = grantOfJwt(machineToken());
    clock.advance(Duration.ofDays(40));

    for (String g : archivedGrants) {
      archivedEvents += count("events WHERE stream_id = 'grant:" + g + "'");
    }
    assertThat(archivedEvents).isGreaterThanOrEqualTo(3 + 2 + 3);

    CliTest.Run dry =
        CliTest.run("audit", "archive", "--older-than", "20", "--out", dir.toString(), "--dry-run");
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("Would archive " + archivedEvents + " events of 5 grants");
    assertThat(count("archived_events")).isZero();

    CliTest.Run r = CliTest.run("audit", "archive", "--older-than", "20", "--out", dir.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("Archived " + archivedEvents + " events of 5 grants");
    try (Stream<Path> files = Files.list(dir)) {
      archive = files.filter(p -> p.toString().endsWith(".jsonl")).findFirst().orElseThrow();
    }
    // The next signed checkpoint covers the manifest.
    await(server.server.checkpoints().checkpoint());
  }

  @AfterAll
  static void stop() throws Exception {
    CliSupport.env = System.getenv();
    server.close();
  }

  @Test
  @Order(1)
  void theDeadGrantsLeftTheDatabaseTheirHashesAndAManifestStayed() throws Exception {
    for (String g : archivedGrants) {
      assertThat(count("events WHERE stream_id = 'grant:" + g + "'")).as(g).isZero();
      assertThat(count("grants WHERE grant_id = '" + g + "'")).as(g).isZero();
      assertThat(count("access_tokens WHERE grant_id = '" + g + "'")).as(g).isZero();
    }
    assertThat(count("archived_events")).isEqualTo(archivedEvents);
    assertThat(count("events WHERE stream_id = 'grant:" + lateGrant + "'"))
        .as("after the checkpoint")
        .isOne();
    assertThat(
            count(
                "events WHERE stream_id = 'grant:"
                    + GrantTokens.grantIdOf(keptRefresh).orElseThrow()
                    + "'"))
        .as("alive")
        .isPositive();
    Row manifest = server.query("SELECT payload FROM events WHERE stream_id = 'archives'").get(0);
    JsonObject m = manifest.getJsonObject(0);
    assertThat(m.getLong("events")).isEqualTo(archivedEvents);
    assertThat(m.getString("file")).isEqualTo(archive.getFileName().toString());
    assertThat(m.getString("sha256")).isEqualTo(sha256(Files.readAllBytes(archive)));
    // The file: a header, then the archived events in commit order.
    List<String> lines = Files.readAllLines(archive);
    assertThat(lines).hasSize((int) archivedEvents + 1);
    assertThat(new JsonObject(lines.get(0)).getString("format"))
        .isEqualTo("grantry-ledger-archive/1");
  }

  @Test
  @Order(2)
  void theDatabaseAndTheArchiveVerifyTogetherAndTheDatabaseAloneNamesWhatOnlyTheArchiveHolds()
      throws Exception {
    CliTest.Run with = CliTest.run("audit", "verify", "--archives", dir.toString());
    assertThat(with.code()).as(with.out() + with.err()).isZero();
    assertThat(with.out())
        // A line of its own: a server in this JVM may log to the captured stdout meanwhile.
        .containsPattern("(?m)^OK: ")
        .contains(archivedEvents + " archived events checked against " + archive);

    CliTest.Run without = CliTest.run("audit", "verify");
    assertThat(without.code()).as(without.out() + without.err()).isZero();
    assertThat(without.out())
        .contains("OK: ")
        .containsPattern(
            archivedEvents
                + " archived events in [0-9]+ commit-order range\\(s\\) are covered only by"
                + " their hashes in the signed digest")
        .contains(sha256(Files.readAllBytes(archive)));
    // Every archived position is named in the ranges.
    String ranges = without.out().substring(without.out().lastIndexOf("): ") + 3).trim();
    assertThat(ranges).matches("[0-9:., ]+");

    Path export = dir.resolve("export.jsonl.txt");
    CliTest.Run ex = CliTest.run("audit", "export", "-o", export.toString());
    assertThat(ex.code()).as(ex.err()).isZero();
    CliTest.Run offline = CliTest.run("audit", "verify", "--file", export.toString());
    assertThat(offline.code()).as(offline.out() + offline.err()).isZero();
    assertThat(offline.out())
        .contains(archivedEvents + " archived events were checked by the hashes");
  }

  @Test
  @Order(3)
  void projectionsRebuiltAfterArchivalEqualTheLiveOnesAndTheServerStillAnswers() throws Exception {
    EventStore store =
        EventStore.create(
            server.vertx, server.server.resources().pool(), EventStoreOptions.defaults());
    try {
      ProjectionRunner runner = new ProjectionRunner(store);
      for (Projection p :
          List.of(
              new TokenStateProjection(),
              new ClientsProjection(),
              new UsersProjection(),
              new ConsentsProjection())) {
        TableNames copies = await(runner.createCopies(p, "__replay"));
        await(runner.replay(p, copies, GlobalPosition.START));
        for (String table : p.tables()) {
          assertThat(rows(copies.of(table))).as(table).isEqualTo(rows(table)).isNotEmpty();
        }
      }
    } finally {
      await(store.close());
    }
    assertThat(fx.introspect("web", web, keptRefresh).getBoolean("active")).isTrue();
    HttpResponse<String> archived = fx.refresh("web", web, leftRefresh, null);
    assertThat(archived.statusCode()).as(archived.body()).isEqualTo(400);
    assertThat(new JsonObject(archived.body()).getString("error")).isEqualTo("invalid_grant");
    assertThat(fx.introspect("web", web, leftRefresh).getBoolean("active")).isFalse();
    assertThat(fx.postForm("/revoke", "web", web, Map.of("token", leftRefresh)).statusCode())
        .isEqualTo(200);
    HttpResponse<String> again = fx.refresh("web", web, keptRefresh, null);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void theHistoryOfAnArchivedGrantSaysWhereItsEventsWentAndReadsThemFromTheArchive()
      throws Exception {
    String grant = archivedGrants.get(3); // the code-flow grant revoked 40 days ago
    CliTest.Run bare = CliTest.run("audit", "history", "--grant", grant);
    assertThat(bare.code()).as(bare.out() + bare.err()).isEqualTo(AuditHistoryCommand.ARCHIVED);
    assertThat(bare.err())
        .contains("were archived to " + archive.getFileName())
        .contains("--archives");
    // The admin API says so as well.
    JsonObject api =
        new JsonObject(
            OAuthFixtures.HTTP
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(server.url("/admin/audit/grants/" + grant)))
                        .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    assertThat(api.getJsonArray("items")).isEmpty();
    assertThat(api.getJsonArray("archived").getJsonObject(0).getString("file"))
        .isEqualTo(archive.getFileName().toString());

    CliTest.Run full =
        CliTest.run("audit", "history", "--grant", grant, "--archives", dir.toString(), "--json");
    assertThat(full.code()).as(full.err()).isZero();
    JsonObject page = new JsonObject(full.out().strip());
    List<String> types = new ArrayList<>();
    page.getJsonArray("items").forEach(i -> types.add(((JsonObject) i).getString("type")));
    assertThat(types)
        .startsWith("grant.authorization_code_issued.v1", "grant.authorization_code_redeemed.v1")
        .contains("grant.revoked.v1");

    // An archived event is still provable: its leaf is the hash the ledger kept.
    long position =
        server
            .query(
                "SELECT position FROM archived_events WHERE stream_id = $1 ORDER BY version LIMIT 1",
                "grant:" + grant)
            .get(0)
            .getLong(0);
    Path proof = dir.resolve("archived-proof.json");
    CliTest.Run prove =
        CliTest.run("audit", "prove", "--event", Long.toString(position), "-o", proof.toString());
    assertThat(prove.code()).as(prove.out() + prove.err()).isZero();
    String vkey =
        server
            .query("SELECT payload->>'verifier_key' FROM events WHERE stream_id = 'note-keys'")
            .get(0)
            .getString(0);
    CliTest.Run check = CliTest.run("audit", "verify-proof", proof.toString(), "--key", vkey);
    assertThat(check.code()).as(check.out() + check.err()).isZero();
    assertThat(check.out()).contains("the archived event").contains("checked by its hash only");
  }

  @Test
  @Order(4)
  void theEventsTableStaysAppendOnlyOutsideTheArchivalPath() throws Exception {
    long position =
        server
            .query("SELECT position FROM events WHERE stream_id = 'grant:" + lateGrant + "'")
            .get(0)
            .getLong(0);
    String archiveId =
        server
            .query("SELECT payload->>'archive_id' FROM events WHERE stream_id = 'archives'")
            .get(0)
            .getString(0);
    for (String setting : new String[] {null, "no-such-archive", archiveId}) {
      SqlConnection c = await(server.server.resources().pool().getConnection());
      try {
        await(c.query("BEGIN").execute());
        if (setting != null) {
          await(
              c.preparedQuery("SELECT set_config('grantry.archive_id', $1, true)")
                  .execute(Tuple.of(setting)));
        }
        Throwable refused = null;
        try {
          await(c.query("DELETE FROM events WHERE position = " + position).execute());
        } catch (Exception e) {
          refused = e;
        }
        assertThat(refused)
            .as("archive " + setting)
            .isNotNull()
            .hasMessageContaining("append-only");
        await(c.query("ROLLBACK").execute());
      } finally {
        await(c.close());
      }
    }
    assertThat(count("events WHERE position = " + position)).isOne();
    Throwable refused = null;
    try {
      server.query(
          "DELETE FROM archived_events WHERE position = (SELECT min(position) FROM archived_events)");
    } catch (Exception e) {
      refused = e;
    }
    assertThat(refused).isNotNull().hasMessageContaining("append-only");
  }

  @Test
  @Order(5)
  void anArchiveFileEditedShortenedExtendedReorderedOrReheadedFailsVerification() throws Exception {
    byte[] original = Files.readAllBytes(archive);
    List<String> lines = Files.readAllLines(archive);
    try {
      // Edited: a scope widened in the third event.
      JsonObject third = new JsonObject(lines.get(3));
      List<String> edited = new ArrayList<>(lines);
      edited.set(
          3,
          lines
              .get(3)
              .replace("\"api.read\"", "\"api.read api.write\"")
              .replace("api.read\"", "api.write\""));
      assertThat(edited.get(3)).isNotEqualTo(lines.get(3));
      expectFailure(edited, "FAILED at " + third.getString("commit_order") + ": edited");

      // Removed: the second event's line.
      JsonObject second = new JsonObject(lines.get(2));
      List<String> removed = new ArrayList<>(lines);
      removed.remove(2);
      expectFailure(removed, "FAILED at " + second.getString("commit_order") + ": removed");

      // Inserted: a forged event after the last one.
      JsonObject last = new JsonObject(lines.get(lines.size() - 1));
      long forgedPosition = last.getLong("position") + 1_000_000;
      JsonObject forged =
          last.copy()
              .put("position", forgedPosition)
              .put("event_id", UUID.randomUUID().toString())
              .put("commit_order", last.getLong("txid") + ":" + forgedPosition);
      List<String> inserted = new ArrayList<>(lines);
      inserted.add(forged.encode());
      expectFailure(
          inserted, "FAILED at " + last.getLong("txid") + ":" + forgedPosition + ": inserted");

      // Reordered: two lines swapped.
      List<String> swapped = new ArrayList<>(lines);
      swapped.set(1, lines.get(2));
      swapped.set(2, lines.get(1));
      expectFailure(
          swapped,
          "FAILED at " + new JsonObject(lines.get(1)).getString("commit_order") + ": reordered");

      // The header changed, every event intact: the file's SHA-256 no longer matches the manifest.
      List<String> header = new ArrayList<>(lines);
      header.set(
          0, new JsonObject(lines.get(0)).put("created_at", "2000-01-01T00:00:00Z").encode());
      expectFailure(header, "the file was altered");
    } finally {
      Files.write(archive, original);
    }
    assertThat(CliTest.run("audit", "verify", "--archives", dir.toString()).code()).isZero();
  }

  @Test
  @Order(6)
  void aSecondArchiveTakesWhatTheLastCheckpointNowCoversAndBothVerify() throws Exception {
    await(server.server.checkpoints().checkpoint());
    CliTest.Run r = CliTest.run("audit", "archive", "--older-than", "20", "--out", dir.toString());
    assertThat(r.code()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("Archived 1 events of 1 grants");
    assertThat(count("events WHERE stream_id = 'grant:" + lateGrant + "'")).isZero();
    await(server.server.checkpoints().checkpoint());
    CliTest.Run with = CliTest.run("audit", "verify", "--archives", dir.toString());
    assertThat(with.code()).as(with.out() + with.err()).isZero();
    assertThat(with.out())
        .contains(archivedEvents + " archived events checked against " + archive)
        .containsPattern("archive [^ ]+: 1 archived events checked against");
    CliTest.Run nothing =
        CliTest.run("audit", "archive", "--older-than", "20", "--out", dir.toString());
    assertThat(nothing.out()).contains("Nothing to archive");
  }

  @Test
  @Order(7)
  void aStubRemovedOrEditedInTheDatabaseFailsVerificationEvenWithoutTheArchive() throws Exception {
    Row first =
        server
            .query("SELECT txid, position FROM archived_events ORDER BY txid, position LIMIT 1")
            .get(0);
    String at = first.getLong(0) + ":" + first.getLong(1);
    asSuperuser(
        "UPDATE archived_events SET hash = sha256(hash) WHERE position = " + first.getLong(1));
    CliTest.Run edited = CliTest.run("audit", "verify");
    assertThat(edited.code()).as(edited.out()).isEqualTo(AuditCommand.TAMPERED);
    CliTest.Run editedWith = CliTest.run("audit", "verify", "--archives", dir.toString());
    assertThat(editedWith.code()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(editedWith.out()).contains("FAILED at " + at + ": edited");

    asSuperuser("DELETE FROM archived_events WHERE position = " + first.getLong(1));
    CliTest.Run removed = CliTest.run("audit", "verify");
    assertThat(removed.code()).as(removed.out()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(removed.out()).contains(": removed");
  }

  // ----------------------------------------------------------------

  private static void expectFailure(List<String> lines, String expected) throws Exception {
    Files.write(archive, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    CliTest.Run r = CliTest.run("audit", "verify", "--archives", dir.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(r.out()).as(expected).contains(expected);
  }

  private static void asSuperuser(String sql) throws Exception {
    await(
        server
            .server
            .resources()
            .pool()
            .withConnection(
                c ->
                    c.query("SET session_replication_role = replica")
                        .execute()
                        .compose(v -> c.query(sql).execute())
                        .compose(v -> c.query("SET session_replication_role = origin").execute())));
  }

  private static String machineToken() {
    HttpResponse<String> r =
        fx.token("svc", svc, Map.of("grant_type", "client_credentials", "scope", "api.read"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  private static String grantOfJwt(String jwt) throws Exception {
    String jti = OAuthFixtures.claims(jwt).getString("jti");
    return server
        .query("SELECT grant_id FROM access_tokens WHERE jti = $1", jti)
        .get(0)
        .getString(0);
  }

  private static long count(String from) throws Exception {
    return server.query("SELECT count(*) FROM " + from).get(0).getLong(0);
  }

  private static List<String> rows(String table) throws Exception {
    List<String> out = new ArrayList<>();
    for (Row r : server.query("SELECT row_to_json(t)::text FROM " + table + " t ORDER BY 1")) {
      out.add(r.getString(0));
    }
    return out;
  }

  private static String sha256(byte[] b) {
    return HexFormat.of().formatHex(EventHash.sha256().digest(b));
  }
}
