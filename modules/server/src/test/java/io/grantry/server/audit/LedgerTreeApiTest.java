package io.grantry.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.audit.EventJson;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.Rfc9162Reference;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger's Merkle tree through HTTP: the signed tree head at {@code /ledger/checkpoint} (a C2SP
 * tlog-checkpoint note that verifies with the key of {@code /ledger/key}), published to a directory
 * too, the inclusion proof of a token's events from the admin API and the consistency proof between
 * two heads from {@code /ledger/consistency}; every proof checked with the second, independent RFC
 * 9162 verifier against the root of the signed note. Bad inputs are 4xx.
 */
class LedgerTreeApiTest {
  @TempDir static Path published;
  static TestServer server;
  static OAuthFixtures oauth;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server =
        TestServer.start(
            Map.of(
                "GRANTRY_CHECKPOINT_INTERVAL_MS",
                "0",
                "GRANTRY_LEDGER_PUBLISH_DIR",
                published.toString()));
    oauth = new OAuthFixtures(server);
    secret = oauth.confidentialClient("tree-client", "http://127.0.0.1/cb", "api");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void aTokensEventsAreProvenInTheSignedTreeHeadAndTheHeadsAreConsistent() throws Exception {
    // Before any checkpoint there is no tree head.
    assertThat(get("/ledger/checkpoint").statusCode()).isIn(200, 404);
    String token = token();
    HttpResponse<String> revoked =
        oauth.postForm("/revoke", "tree-client", secret, Map.of("token", token));
    assertThat(revoked.statusCode()).isEqualTo(200);
    assertThat(await(server.server.checkpoints().checkpoint())).isPresent();

    HttpResponse<String> cp = get("/ledger/checkpoint");
    assertThat(cp.statusCode()).isEqualTo(200);
    assertThat(cp.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(cp.headers().firstValue("Cache-Control").orElse("")).contains("public");
    HttpResponse<String> key = get("/ledger/key");
    assertThat(key.statusCode()).isEqualTo(200);
    NoteKey vkey = NoteKey.verifier(key.body().strip());
    assertThat(vkey.name()).isEqualTo("127.0.0.1:" + server.port + "/ledger");
    SignedNote note = SignedNote.parse(cp.body());
    assertThat(NoteKey.open(note, List.of(vkey))).hasSize(1);
    TreeHead head = TreeHead.parse(note.text());
    assertThat(head.origin()).isEqualTo(vkey.name());
    // Published to the directory as well.
    assertThat(Files.readString(published.resolve("checkpoint"))).isEqualTo(cp.body());
    assertThat(Files.readString(published.resolve("heads").resolve(Long.toString(head.size()))))
        .isEqualTo(cp.body());
    // The token signing keys are unchanged: the note key is not a JWS key.
    JsonArray jwks = new JsonObject(get("/jwks").body()).getJsonArray("keys");
    jwks.forEach(k -> assertThat(((JsonObject) k).getString("kty")).isNotEqualTo("OKP"));

    // The token's issue and its revocation, each proven in that head.
    List<Row> grant =
        server.query(
            "SELECT position, type FROM events WHERE stream_id = (SELECT stream_id FROM events"
                + " WHERE type = 'grant.client_credentials_issued.v1' ORDER BY position LIMIT 1)"
                + " ORDER BY version");
    assertThat(grant).hasSize(2);
    assertThat(grant.get(1).getString(1)).contains("revoked");
    for (Row row : grant) {
      long position = row.getLong(0);
      String type = row.getString(1);
      JsonObject proof = admin("/admin/audit/proofs/inclusion?position=" + position).json();
      JsonObject event = proof.getJsonObject("event");
      assertThat(event.getString("type")).isEqualTo(type);
      assertThat(proof.getLong("tree_size")).isEqualTo(head.size());
      assertThat(proof.getString("checkpoint")).isEqualTo(cp.body());
      // The leaf hash is recomputed from the event's content, not taken from the proof.
      byte[] leaf = Rfc9162Reference.leaf(EventHash.of(EventJson.fromJson(event)));
      assertThat(Base64.getDecoder().decode(proof.getString("leaf_hash"))).isEqualTo(leaf);
      assertThat(
              Rfc9162Reference.verifyInclusion(
                  proof.getInteger("leaf_index"),
                  (int) head.size(),
                  leaf,
                  hashes(proof.getJsonArray("inclusion_path")),
                  head.root()))
          .isTrue();
    }

    // More tokens, a second head; it extends the first.
    token();
    token();
    assertThat(await(server.server.checkpoints().checkpoint())).isPresent();
    TreeHead second = TreeHead.parse(SignedNote.parse(get("/ledger/checkpoint").body()).text());
    assertThat(second.size()).isGreaterThan(head.size());
    HttpResponse<String> c =
        get("/ledger/consistency?first=" + head.size() + "&second=" + second.size());
    assertThat(c.statusCode()).isEqualTo(200);
    assertThat(c.headers().firstValue("Cache-Control").orElse("")).contains("immutable");
    JsonObject consistency = new JsonObject(c.body());
    assertThat(consistency.getString("first_checkpoint")).isEqualTo(cp.body());
    assertThat(
            Rfc9162Reference.verifyConsistency(
                (int) head.size(),
                (int) second.size(),
                head.root(),
                second.root(),
                hashes(consistency.getJsonArray("consistency_path"))))
        .isTrue();
    // The admin API answers the same proof.
    assertThat(
            admin(
                    "/admin/audit/proofs/consistency?first="
                        + head.size()
                        + "&second="
                        + second.size())
                .json()
                .getJsonArray("consistency_path"))
        .isEqualTo(consistency.getJsonArray("consistency_path"));
    // Against the older head, by size.
    long firstPosition = server.query("SELECT min(position) FROM events").get(0).getLong(0);
    JsonObject older =
        admin(
                "/admin/audit/proofs/inclusion?position="
                    + firstPosition
                    + "&tree_size="
                    + head.size())
            .json();
    assertThat(older.getLong("leaf_index")).isZero();
    assertThat(
            Rfc9162Reference.verifyInclusion(
                0,
                (int) head.size(),
                Base64.getDecoder().decode(older.getString("leaf_hash")),
                hashes(older.getJsonArray("inclusion_path")),
                head.root()))
        .isTrue();
  }

  @Test
  void badRequestsForProofsAre4xxWithAReason() throws Exception {
    token();
    assertThat(await(server.server.checkpoints().checkpoint())).isPresent();
    long size = TreeHead.parse(SignedNote.parse(get("/ledger/checkpoint").body()).text()).size();
    assertThat(get("/ledger/consistency?first=1").statusCode()).isEqualTo(400);
    assertThat(get("/ledger/consistency?first=x&second=2").statusCode()).isEqualTo(400);
    assertThat(get("/ledger/consistency?first=3&second=2").statusCode()).isEqualTo(400);
    assertThat(get("/ledger/consistency?first=1&second=99999999999999999999").statusCode())
        .isEqualTo(400);
    HttpResponse<String> noHead = get("/ledger/consistency?first=1&second=" + (size + 12345));
    assertThat(noHead.statusCode()).isEqualTo(404);
    assertThat(noHead.body()).contains("no signed tree head of size");

    assertThat(admin("/admin/audit/proofs/inclusion?position=abc").status()).isEqualTo(400);
    assertThat(admin("/admin/audit/proofs/inclusion").status()).isEqualTo(400);
    assertThat(admin("/admin/audit/proofs/inclusion?position=0").status()).isEqualTo(400);
    AdminResponse none = admin("/admin/audit/proofs/inclusion?position=987654321");
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.json().getString("error_description")).contains("no event at position");
    assertThat(admin("/admin/audit/proofs/inclusion?position=1&tree_size=987654321").status())
        .isEqualTo(404);
    // An event newer than the newest head is not in it yet.
    token();
    long late = server.query("SELECT max(position) FROM events").get(0).getLong(0);
    AdminResponse notYet = admin("/admin/audit/proofs/inclusion?position=" + late);
    assertThat(notYet.status()).isEqualTo(404);
    assertThat(notYet.json().getString("error_description")).contains("after the next checkpoint");
    // Proofs are the admin's: without the token, 401.
    assertThat(
            OAuthFixtures.HTTP
                .send(
                    HttpRequest.newBuilder(
                            URI.create(server.url("/admin/audit/proofs/inclusion?position=1")))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(401);
  }

  // ------------------------------------------------------------ helpers

  private static String token() {
    HttpResponse<String> r =
        oauth.token(
            "tree-client", secret, Map.of("grant_type", "client_credentials", "scope", "api"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  record AdminResponse(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private static AdminResponse admin(String path) throws Exception {
    HttpResponse<String> r =
        OAuthFixtures.HTTP.send(
            HttpRequest.newBuilder(URI.create(server.url(path)))
                .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new AdminResponse(r.statusCode(), r.body());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create(server.url(path))).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<byte[]> hashes(JsonArray a) {
    List<byte[]> out = new ArrayList<>();
    a.forEach(h -> out.add(Base64.getDecoder().decode((String) h)));
    return out;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
