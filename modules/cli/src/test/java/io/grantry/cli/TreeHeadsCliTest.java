package io.grantry.cli;

import static io.grantry.server.testing.TestServer.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.audit.EventJson;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed tree heads, proofs and pinning end to end, as an auditor meets them: a real server signs
 * tree heads; {@code grantry audit prove} gives the proof that a token was issued and revoked;
 * {@code grantry audit verify-proof} checks it offline from files with the key of {@code
 * /ledger/key}, and refuses every altered copy; {@code grantry audit verify --expect} catches the
 * ledger whose newest part was cut off (which plain verification cannot see) and the ledger
 * rewritten and signed again.
 */
class TreeHeadsCliTest {
  @TempDir Path dir;
  TestServer server;
  OAuthFixtures fx;
  String secret;
  Path keyFile;

  @BeforeEach
  void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_CHECKPOINT_INTERVAL_MS", "0"));
    CliSupport.env =
        Map.of(
            "GRANTRY_DB_URL",
            server.db.jdbcUrl().replaceFirst("^jdbc:", ""),
            "GRANTRY_DB_USER",
            "postgres",
            "GRANTRY_DB_PASSWORD",
            TestDatabase.server().password());
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("svc", "http://127.0.0.1/cb", "api", "client_credentials");
    keyFile = dir.resolve("ledger.vkey");
  }

  @AfterEach
  void stop() throws Exception {
    CliSupport.env = System.getenv();
    server.close();
  }

  @Test
  void aProofThatATokenWasIssuedAndRevokedVerifiesOfflineAndNoAlteredCopyDoes() throws Exception {
    String token = token();
    assertThat(fx.postForm("/revoke", "svc", secret, Map.of("token", token)).statusCode())
        .isEqualTo(200);
    checkpoint();
    Path head1 = saveHead("head1.txt");
    Files.writeString(keyFile, get("/ledger/key").body());
    List<Row> grant = grantEvents();
    assertThat(grant).hasSize(2);

    for (Row e : grant) {
      Path proof = dir.resolve("proof-" + e.getLong(0) + ".json");
      CliTest.Run prove =
          CliTest.run("audit", "prove", "--event", e.getLong(0).toString(), "-o", proof.toString());
      assertThat(prove.code()).as(prove.err()).isZero();
      assertThat(prove.out()).contains("is leaf").contains(e.getString(1));
      CliTest.Run ok =
          CliTest.run("audit", "verify-proof", proof.toString(), "--key-file", keyFile.toString());
      assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
      assertThat(ok.out())
          .containsPattern("(?m)^OK: event ")
          .contains(e.getString(1))
          .contains("signed by");
    }

    // Every altered copy of the proof of the revocation fails, with exit code 4.
    Path proof = dir.resolve("proof-" + grant.get(1).getLong(0) + ".json");
    JsonObject p = new JsonObject(Files.readString(proof));
    assertAltered(
        p,
        j -> {
          j.getJsonObject("event").getJsonObject("payload").put("reason", "x");
          return j;
        },
        "does not match its hash");
    assertAltered(p, j -> j.put("leaf_index", j.getLong("leaf_index") - 1), "does not lead");
    // An event that is not in the tree, made consistent with itself (its hash and leaf hash
    // recomputed from the altered content), has no path to the signed root.
    assertAltered(
        p,
        j -> {
          JsonObject e = j.getJsonObject("event");
          e.getJsonObject("payload").put("reason", "x");
          byte[] hash = EventHash.of(EventJson.fromJson(e));
          e.put("hash", HexFormat.of().formatHex(hash));
          return j.put(
              "leaf_hash",
              Base64.getEncoder().encodeToString(MerkleTree.leafHash(EventHash.sha256(), hash)));
        },
        "does not lead");
    // Another event of the ledger presented as this one's leaf: the path leads elsewhere.
    JsonObject issued =
        new JsonObject(Files.readString(dir.resolve("proof-" + grant.get(0).getLong(0) + ".json")));
    assertAltered(
        p,
        j ->
            j.put("event", issued.getJsonObject("event"))
                .put("leaf_hash", issued.getString("leaf_hash")),
        "does not lead");

    assertAltered(
        p,
        j -> j.put("inclusion_path", dropFirst(j.getJsonArray("inclusion_path"))),
        "does not lead");
    assertAltered(
        p,
        j -> j.put("checkpoint", j.getString("checkpoint").replaceFirst("\n[0-9]+\n", "\n1\n")),
        "signature");
    NoteKey stranger =
        NoteKey.generate(
            TreeHead.parse(SignedNote.parse(p.getString("checkpoint")).text()).origin(),
            NoteKey.ED25519);
    assertAltered(
        p,
        j -> {
          String text = SignedNote.parse(j.getString("checkpoint")).text();
          return j.put("checkpoint", new SignedNote(text, List.of(stranger.sign(text))).encode());
        },
        "not signed by a trusted key");

    // Later: a second head, and the proof that it extends the first.
    token();
    token();
    checkpoint();
    Path head2 = saveHead("head2.txt");
    long size1 = headOf(head1).size();
    long size2 = headOf(head2).size();
    Path consistency = dir.resolve("consistency.json");
    CliTest.Run prove =
        CliTest.run(
            "audit",
            "prove",
            "--consistency",
            Long.toString(size1),
            Long.toString(size2),
            "-o",
            consistency.toString());
    assertThat(prove.code()).as(prove.err()).isZero();
    CliTest.Run ok =
        CliTest.run(
            "audit",
            "verify-proof",
            consistency.toString(),
            "--key-file",
            keyFile.toString(),
            "--first",
            head1.toString());
    assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("extends the tree head of size " + size1);

    // The database extends both pinned heads; so does an export, offline.
    CliTest.Run verify =
        CliTest.run("audit", "verify", "--expect", head1.toString(), "--expect", head2.toString());
    assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
    assertThat(verify.out()).contains("extends the 2 pinned tree head(s)").contains("Merkle tree");
    Path export = dir.resolve("ledger.jsonl");
    assertThat(CliTest.run("audit", "export", "-o", export.toString()).code()).isZero();
    JsonObject header = new JsonObject(Files.readAllLines(export).get(0));
    assertThat(
            header.getJsonObject("jwks").getJsonArray("keys").stream()
                .map(k -> ((JsonObject) k).getString("kty")))
        .contains("OKP");
    CliSupport.env = Map.of("GRANTRY_DB_URL", "postgresql://127.0.0.1:1/nothing");
    CliTest.Run offline =
        CliTest.run("audit", "verify", "--file", export.toString(), "--expect", head2.toString());
    assertThat(offline.code()).as(offline.out() + offline.err()).isZero();
    assertThat(offline.out()).contains("extends the 1 pinned");
  }

  @Test
  void aLedgerWhoseNewestPartWasCutOffPassesVerifyButNotVerifyExpect() throws Exception {
    token();
    checkpoint();
    Row cp1 = lastCheckpoint();
    token();
    token();
    checkpoint();
    Path head2 = saveHead("head2.txt");
    token();

    // Whoever controls the database removes the newest checkpoint and everything after the one
    // before it (and the tree heads the server keeps).
    asSuperuser(
        "DELETE FROM events WHERE (txid, position) > ("
            + cp1.getLong(0)
            + ", "
            + cp1.getLong(1)
            + "); DELETE FROM ledger_tree_heads WHERE tree_size > "
            + cp1.getLong(2));

    CliTest.Run plain = CliTest.run("audit", "verify");
    assertThat(plain.code()).as(plain.out() + plain.err()).isZero(); // what issue 20 found
    CliTest.Run pinned = CliTest.run("audit", "verify", "--expect", head2.toString());
    assertThat(pinned.code()).as(pinned.out() + pinned.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(pinned.out())
        .contains(": truncated: the ledger holds ")
        .contains("fewer than the " + headOf(head2).size() + " the pinned tree head");
  }

  @Test
  void aHistoryRewrittenAndSignedAgainIsAForkThatThePinCatches() throws Exception {
    token();
    checkpoint();
    Row cp1 = lastCheckpoint();
    token();
    token();
    checkpoint();
    Path head2 = saveHead("head2.txt");

    rewriteAfter(cp1);
    for (int i = 0; i < 5; i++) {
      token();
    }
    checkpoint();
    Path forked = saveHead("forked.txt");
    assertThat(headOf(forked).size()).isGreaterThan(headOf(head2).size());

    CliTest.Run plain = CliTest.run("audit", "verify");
    assertThat(plain.code()).as(plain.out() + plain.err()).isZero();
    CliTest.Run pinned = CliTest.run("audit", "verify", "--expect", head2.toString());
    assertThat(pinned.code()).as(pinned.out() + pinned.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(pinned.out())
        .contains(": forked: the first " + headOf(head2).size() + " events are not those");
    // No consistency proof from the old head to the new one can be made: the one the log gives
    // does not verify against the head the auditor kept.
    Path c = dir.resolve("c.json");
    CliTest.Run prove =
        CliTest.run(
            "audit",
            "prove",
            "--consistency",
            Long.toString(headOf(head2).size()),
            Long.toString(headOf(forked).size()),
            "-o",
            c.toString());
    assertThat(prove.code()).as(prove.err()).isZero();
    Files.writeString(keyFile, get("/ledger/key").body());
    CliTest.Run check =
        CliTest.run(
            "audit",
            "verify-proof",
            c.toString(),
            "--key-file",
            keyFile.toString(),
            "--first",
            head2.toString());
    assertThat(check.code()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(check.err()).contains("does not extend");
  }

  @Test
  void aForkedHistoryPresentedToTwoWitnessesIsCaught() throws Exception {
    token();
    checkpoint();
    Row cp1 = lastCheckpoint();
    String vkey = get("/ledger/key").body().strip();
    Path w1 = dir.resolve("w1");
    Path w2 = dir.resolve("w2");
    assertThat(witness(w1, vkey).out()).contains("cosigned size");
    token();
    token();
    checkpoint();
    CliTest.Run extended = witness(w1, vkey);
    assertThat(extended.code()).as(extended.out() + extended.err()).isZero();
    assertThat(extended.out()).contains("cosigned size " + lastCheckpoint().getLong(2));
    Path w1Head = witnessHead(w1);
    // The witness holds the log's note with its own cosignature after the log's signature.
    SignedNote held = SignedNote.parse(Files.readString(w1Head));
    assertThat(held.signatures()).hasSize(2);
    NoteKey w1Key = witnessKey(w1);
    assertThat(NoteKey.open(held, List.of(w1Key, NoteKey.verifier(vkey)))).hasSize(2);

    // The log rewrites its history after cp1 and shows the new one to a second witness.
    rewriteAfter(cp1);
    for (int i = 0; i < 5; i++) {
      token();
    }
    checkpoint();
    CliTest.Run second = witness(w2, vkey);
    assertThat(second.code()).as(second.err()).isZero(); // it has seen nothing else
    // The first witness is shown the same history: it does not extend what it cosigned.
    CliTest.Run first = witness(w1, vkey);
    assertThat(first.code()).as(first.out() + first.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(first.out()).contains("inconsistent: fork");
    assertThat(Files.readString(w1Head)).isEqualTo(held.encode()); // it kept the old head
    // An auditor holding the first witness's head finds the fork in the ledger too; the two
    // witnesses' heads cannot both be right.
    CliTest.Run audit = CliTest.run("audit", "verify", "--expect", w1Head.toString());
    assertThat(audit.code()).as(audit.out()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(audit.out()).contains(": forked: ");
    assertThat(CliTest.run("audit", "verify", "--expect", witnessHead(w2).toString()).code())
        .isZero();

    // Rolled back to cp1 (the newest part cut off): the second witness refuses it too.
    asSuperuser(
        "DELETE FROM events WHERE (txid, position) > ("
            + cp1.getLong(0)
            + ", "
            + cp1.getLong(1)
            + "); DELETE FROM ledger_tree_heads WHERE tree_size > "
            + cp1.getLong(2));
    CliTest.Run rollback = witness(w2, vkey);
    assertThat(rollback.code()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(rollback.out()).contains("inconsistent: rollback");
  }

  @Test
  void theServerSubmitsEachTreeHeadToAWitnessAndServesItsCosignature() throws Exception {
    server.close();
    List<NoteKey> logKeys = new CopyOnWriteArrayList<>();
    Witness w = Witness.open(dir.resolve("w"), "witness.test/w", logKeys);
    int port = TestServer.freePort();
    try (WitnessCommand.Listener l = WitnessCommand.listen(w, "127.0.0.1:" + port)) {
      server =
          TestServer.start(
              Map.of(
                  "GRANTRY_CHECKPOINT_INTERVAL_MS",
                  "0",
                  "GRANTRY_LEDGER_WITNESS_URL",
                  "http://127.0.0.1:" + port,
                  "GRANTRY_LEDGER_WITNESS_KEY",
                  w.key().verifierKey()));
      CliSupport.env =
          Map.of(
              "GRANTRY_DB_URL",
              server.db.jdbcUrl().replaceFirst("^jdbc:", ""),
              "GRANTRY_DB_USER",
              "postgres",
              "GRANTRY_DB_PASSWORD",
              TestDatabase.server().password());
      fx = new OAuthFixtures(server);
      secret = fx.confidentialClient("svc", "http://127.0.0.1/cb", "api", "client_credentials");
      String vkey = get("/ledger/key").body().strip();
      logKeys.add(NoteKey.verifier(vkey));
      Files.writeString(keyFile, vkey + "\n");
      NoteKey witnessKey = NoteKey.verifier(w.key().verifierKey());
      for (int round = 0; round < 2; round++) {
        token();
        checkpoint();
        SignedNote served = SignedNote.parse(get("/ledger/checkpoint").body());
        assertThat(served.signatures()).hasSize(2);
        assertThat(NoteKey.open(served, List.of(witnessKey))).containsExactly(witnessKey);
        assertThat(w.latest(TreeHead.parse(served.text()).origin()).orElseThrow().size())
            .isEqualTo(TreeHead.parse(served.text()).size());
      }
      // A proof carries the cosigned head: verify-proof can require the witness's cosignature.
      Row e = grantEvents().get(0);
      Path proof = dir.resolve("proof.json");
      assertThat(
              CliTest.run(
                      "audit", "prove", "--event", e.getLong(0).toString(), "-o", proof.toString())
                  .code())
          .isZero();
      CliTest.Run ok =
          CliTest.run(
              "audit",
              "verify-proof",
              proof.toString(),
              "--key-file",
              keyFile.toString(),
              "--witness-key",
              w.key().verifierKey());
      assertThat(ok.code()).as(ok.out() + ok.err()).isZero();
      assertThat(ok.out()).contains("cosigned by witness.test/w");
    }
  }

  private CliTest.Run witness(Path state, String vkey) {
    return CliTest.run(
        "witness",
        "--follow",
        server.url("/ledger/checkpoint"),
        "--state",
        state.toString(),
        "--log-key",
        vkey,
        "--once");
  }

  private static Path witnessHead(Path state) throws Exception {
    try (var dirs = Files.list(state.resolve("logs"))) {
      return dirs.findFirst().orElseThrow().resolve("checkpoint");
    }
  }

  private static NoteKey witnessKey(Path state) throws Exception {
    return NoteKey.verifier(
        new JsonObject(Files.readString(state.resolve("witness.json"))).getString("verifier_key"));
  }

  // ------------------------------------------------------------ helpers

  private interface Change {
    JsonObject apply(JsonObject proof);
  }

  private static JsonArray dropFirst(JsonArray a) {
    JsonArray b = a.copy();
    b.remove(0);
    return b;
  }

  private void assertAltered(JsonObject proof, Change change, String reason) throws Exception {
    Path f = dir.resolve("altered.json");
    Files.writeString(f, change.apply(proof.copy()).encode());
    CliTest.Run r =
        CliTest.run("audit", "verify-proof", f.toString(), "--key-file", keyFile.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(AuditCommand.TAMPERED);
    assertThat(r.err()).contains(reason);
  }

  /** Rewrites history after a checkpoint as someone holding the database (and the keys) could. */
  private void rewriteAfter(Row cp) throws Exception {
    String after = "(txid, position) > (" + cp.getLong(0) + ", " + cp.getLong(1) + ")";
    asSuperuser(
        "CREATE TEMP TABLE gone AS SELECT DISTINCT stream_id FROM events WHERE "
            + after
            + "; DELETE FROM events WHERE "
            + after
            + "; DELETE FROM streams s USING gone g WHERE s.stream_id = g.stream_id"
            + " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s.stream_id)"
            + "; UPDATE streams s SET version = e.version, last_hash = e.hash FROM gone g,"
            + " LATERAL (SELECT version, hash FROM events WHERE stream_id = g.stream_id ORDER BY version"
            + " DESC LIMIT 1) e WHERE s.stream_id = g.stream_id"
            + "; DELETE FROM ledger_tree_heads WHERE tree_size > "
            + cp.getLong(2));
  }

  private void asSuperuser(String sql) throws Exception {
    Pool pool =
        PgBuilder.pool().connectingTo(server.db.connectOptions()).using(server.vertx).build();
    try {
      await(
          pool.query(
                  "SET session_replication_role = replica; "
                      + sql
                      + "; SET session_replication_role = origin")
              .execute());
    } finally {
      await(pool.close());
    }
  }

  /** The newest checkpoint event's commit order and the tree size it signs. */
  private Row lastCheckpoint() throws Exception {
    return server
        .query(
            "SELECT txid, position, (payload->>'count')::bigint FROM events"
                + " WHERE stream_id = 'checkpoints' ORDER BY version DESC LIMIT 1")
        .get(0);
  }

  private List<Row> grantEvents() throws Exception {
    return server.query(
        "SELECT position, type FROM events WHERE stream_id = (SELECT stream_id FROM events"
            + " WHERE type = 'grant.client_credentials_issued.v1' ORDER BY position LIMIT 1)"
            + " ORDER BY version");
  }

  private void checkpoint() throws Exception {
    assertThat(await(server.server.checkpoints().checkpoint())).isPresent();
  }

  private Path saveHead(String name) throws Exception {
    HttpResponse<String> r = get("/ledger/checkpoint");
    assertThat(r.statusCode()).isEqualTo(200);
    Path f = dir.resolve(name);
    Files.writeString(f, r.body(), StandardCharsets.UTF_8);
    return f;
  }

  private static TreeHead headOf(Path file) throws Exception {
    return TreeHead.parse(SignedNote.parse(Files.readString(file)).text());
  }

  private String token() {
    HttpResponse<String> r =
        fx.token("svc", secret, Map.of("grant_type", "client_credentials", "scope", "api"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create(server.url(path))).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
