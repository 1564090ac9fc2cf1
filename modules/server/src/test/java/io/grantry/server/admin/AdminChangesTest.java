package io.grantry.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.AdminHttp.Response;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Changing clients and users through the admin API: {@code PATCH} (a JSON merge patch) and {@code
 * PUT} of a client, re-enabling a disabled client or user, each as events of the aggregate's stream
 * that its history shows; and the attacks on them (a patch that removes the last redirect URI,
 * unknown fields, wrong types, ids that do not exist, racing patches).
 */
class AdminChangesTest {
  static TestServer server;
  static AdminHttp admin;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    admin = new AdminHttp(server);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static JsonObject webClient(String id) {
    return new JsonObject()
        .put("client_id", id)
        .put("client_name", "Web " + id)
        .put("redirect_uris", new JsonArray().add("https://app.example/callback"))
        .put("grant_types", new JsonArray().add("authorization_code").add("client_credentials"))
        .put("scope", "openid api");
  }

  static Response patch(String path, String body) {
    return admin.send("PATCH", path, body, TestServer.ADMIN_TOKEN);
  }

  static List<String> eventTypes(String streamId) throws Exception {
    List<String> types = new ArrayList<>();
    for (Row row :
        server.query("SELECT type FROM events WHERE stream_id = $1 ORDER BY version", streamId)) {
      types.add(row.getString(0));
    }
    return types;
  }

  static int clientCredentials(String clientId, String secret) throws Exception {
    String basic =
        Base64.getEncoder()
            .encodeToString((clientId + ":" + secret).getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(server.url("/token")))
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=api"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode();
  }

  @Test
  void aPatchChangesWhatItSendsAndNothingElse() throws Exception {
    Response created =
        admin.post(
            "/admin/clients", webClient("patched").put("logo_uri", "https://app.example/logo.png"));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonObject before = created.json();
    before.remove("client_secret");

    Response nothing = patch("/admin/clients/patched", "{}");
    assertThat(nothing.status()).as(nothing.body()).isEqualTo(200);
    assertThat(nothing.json()).isEqualTo(before);
    assertThat(eventTypes("client:patched")).containsExactly("client.registered.v1");

    Response changed =
        patch(
            "/admin/clients/patched",
            new JsonObject()
                .put("client_name", "Patched")
                .put("scope", "openid api profile")
                .putNull("logo_uri")
                .encode());
    assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    JsonObject after = changed.json();
    assertThat(after.getString("client_name")).isEqualTo("Patched");
    assertThat(after.getString("scope")).isEqualTo("api openid profile");
    assertThat(after.containsKey("logo_uri")).isFalse();
    JsonObject unchanged = after.copy();
    for (String f : List.of("client_name", "scope")) {
      unchanged.put(f, before.getValue(f));
    }
    unchanged.put("logo_uri", before.getValue("logo_uri"));
    assertThat(unchanged).isEqualTo(before);
    assertThat(eventTypes("client:patched"))
        .containsExactly("client.registered.v1", "client.updated.v1");

    // An auditor sees what changed, from and to.
    JsonObject history = admin.get("/admin/audit/clients/patched").json();
    JsonObject changes = history.getJsonArray("items").getJsonObject(1).getJsonObject("changes");
    assertThat(changes.getJsonObject("client_name").getString("from")).isEqualTo("Web patched");
    assertThat(changes.getJsonObject("client_name").getString("to")).isEqualTo("Patched");
    assertThat(changes.fieldNames()).doesNotContain("redirect_uris", "grant_types");

    // RFC 7396's own media type is accepted as well.
    HttpResponse<String> mergePatch =
        http.send(
            HttpRequest.newBuilder(URI.create(server.url("/admin/clients/patched")))
                .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                .header("Content-Type", "application/merge-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"skip_consent\":true}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(mergePatch.statusCode()).as(mergePatch.body()).isEqualTo(200);
    assertThat(new JsonObject(mergePatch.body()).getBoolean("skip_consent")).isTrue();
  }

  @Test
  void aPatchIsCheckedAsAWholeClientAndBadOnesWriteNothing() throws Exception {
    assertThat(admin.post("/admin/clients", webClient("guarded")).status()).isEqualTo(201);

    Response lastRedirect = patch("/admin/clients/guarded", "{\"redirect_uris\":[]}");
    assertThat(lastRedirect.status()).isEqualTo(400);
    assertThat(lastRedirect.json().getString("field")).isEqualTo("redirect_uris");

    Response removeRedirects = patch("/admin/clients/guarded", "{\"redirect_uris\":null}");
    assertThat(removeRedirects.status()).isEqualTo(400);
    assertThat(removeRedirects.json().getString("field")).isEqualTo("redirect_uris");

    Response unknownAndWrongType =
        patch(
            "/admin/clients/guarded",
            "{\"redirect_uri\":\"https://x.example/cb\",\"skip_consent\":\"yes\",\"scope\":7}");
    assertThat(unknownAndWrongType.status()).isEqualTo(400);
    assertThat(
            unknownAndWrongType.json().getJsonArray("errors").stream()
                .map(e -> ((JsonObject) e).getString("field")))
        .containsExactlyInAnyOrder("redirect_uri", "skip_consent", "scope");

    Response notAnObject = patch("/admin/clients/guarded", "[]");
    assertThat(notAnObject.status()).isEqualTo(400);
    Response typeChange =
        patch("/admin/clients/guarded", "{\"token_endpoint_auth_method\":\"none\"}");
    assertThat(typeChange.status()).isEqualTo(400);
    Response secret = patch("/admin/clients/guarded", "{\"client_secret\":\"mine\"}");
    assertThat(secret.status()).isEqualTo(400);
    Response id = patch("/admin/clients/guarded", "{\"client_id\":\"other\"}");
    assertThat(id.status()).isEqualTo(400);
    Response nameless = patch("/admin/clients/guarded", "{\"client_name\":null}");
    assertThat(nameless.status()).isEqualTo(400);
    assertThat(nameless.json().getString("field")).isEqualTo("client_name");

    assertThat(eventTypes("client:guarded")).containsExactly("client.registered.v1");

    Response missing = patch("/admin/clients/no-such-client", "{\"client_name\":\"X\"}");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(admin.post("/admin/clients/no-such-client/enable", null).status()).isEqualTo(404);
    assertThat(admin.post("/admin/users/no-such-user/enable", null).status()).isEqualTo(404);
    assertThat(eventTypes("client:no-such-client")).isEmpty();
    assertThat(eventTypes("user:no-such-user")).isEmpty();
  }

  @Test
  void aDisabledClientIsEnabledAgainAndAuthenticatesAgain() throws Exception {
    Response created = admin.post("/admin/clients", webClient("comeback"));
    String secret = created.json().getString("client_secret");
    assertThat(clientCredentials("comeback", secret)).isEqualTo(200);

    assertThat(admin.post("/admin/clients/comeback/disable", null).status()).isEqualTo(200);
    assertThat(clientCredentials("comeback", secret)).isEqualTo(401);
    Response whileDisabled = patch("/admin/clients/comeback", "{\"client_name\":\"Not yet\"}");
    assertThat(whileDisabled.status()).isEqualTo(409);
    assertThat(patch("/admin/clients/comeback", "{\"disabled\":true}").status()).isEqualTo(200);

    Response back =
        patch("/admin/clients/comeback", "{\"disabled\":false,\"client_name\":\"Back again\"}");
    assertThat(back.status()).as(back.body()).isEqualTo(200);
    assertThat(back.json().getBoolean("disabled")).isFalse();
    assertThat(back.json().getString("client_name")).isEqualTo("Back again");
    assertThat(clientCredentials("comeback", secret)).isEqualTo(200);
    assertThat(eventTypes("client:comeback"))
        .containsExactly(
            "client.registered.v1", "client.disabled.v1", "client.enabled.v1", "client.updated.v1");

    // The enable operation, and its repetition, which changes nothing.
    assertThat(admin.post("/admin/clients/comeback/disable", null).status()).isEqualTo(200);
    Response enabled = admin.post("/admin/clients/comeback/enable", null);
    assertThat(enabled.status()).isEqualTo(200);
    assertThat(enabled.json().getBoolean("disabled")).isFalse();
    assertThat(admin.post("/admin/clients/comeback/enable", null).status()).isEqualTo(200);
    assertThat(clientCredentials("comeback", secret)).isEqualTo(200);
    assertThat(eventTypes("client:comeback")).endsWith("client.disabled.v1", "client.enabled.v1");

    // PUT says disabled too: true disables after the replacement, false enables before it.
    JsonObject replacement = webClient("comeback").copy();
    replacement.remove("client_id");
    Response putAway =
        admin.put(
            "/admin/clients/comeback",
            replacement.copy().put("client_name", "Put away").put("disabled", true));
    assertThat(putAway.status()).as(putAway.body()).isEqualTo(200);
    assertThat(putAway.json().getBoolean("disabled")).isTrue();
    assertThat(putAway.json().getString("client_name")).isEqualTo("Put away");
    assertThat(clientCredentials("comeback", secret)).isEqualTo(401);
    Response putBack =
        admin.put(
            "/admin/clients/comeback",
            replacement.copy().put("client_name", "Put back").put("disabled", false));
    assertThat(putBack.status()).as(putBack.body()).isEqualTo(200);
    assertThat(putBack.json().getBoolean("disabled")).isFalse();
    assertThat(clientCredentials("comeback", secret)).isEqualTo(200);
  }

  /**
   * Each patch is merged into the client as its append finds it, so none undoes another; a lost
   * race is decided again (up to five times), and past that the answer is 409, never a 500.
   */
  @Test
  void racingPatchesOfDifferentFieldsAllApply() throws Exception {
    assertThat(admin.post("/admin/clients", webClient("raced")).status()).isEqualTo(201);
    List<JsonObject> patches =
        List.of(
            new JsonObject().put("client_name", "Raced"),
            new JsonObject().put("logo_uri", "https://app.example/logo.png"),
            new JsonObject().put("client_uri", "https://app.example/"),
            new JsonObject().put("skip_consent", true),
            new JsonObject().put("introspect", true),
            new JsonObject().put("access_token_format", "opaque"),
            new JsonObject().put("id_token_signed_response_alg", "ES256"),
            new JsonObject()
                .put("post_logout_redirect_uris", new JsonArray().add("https://app.example/bye")));
    ExecutorService pool = Executors.newFixedThreadPool(patches.size());
    try {
      List<CompletableFuture<Response>> sent = new ArrayList<>();
      for (JsonObject p : patches) {
        sent.add(
            CompletableFuture.supplyAsync(() -> patch("/admin/clients/raced", p.encode()), pool));
      }
      List<JsonObject> applied = new ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        Response r = sent.get(i).get();
        assertThat(r.status()).as(r.body()).isIn(200, 409);
        if (r.status() == 200) {
          applied.add(patches.get(i));
        } else {
          assertThat(r.json().getString("error")).isEqualTo("conflict");
        }
      }
      // Five racers always all get through: each round of retries has a winner.
      assertThat(applied.size()).isGreaterThanOrEqualTo(5);
      JsonObject shown = admin.get("/admin/clients/raced").json();
      for (JsonObject p : applied) {
        for (String f : p.fieldNames()) {
          assertThat(shown.getValue(f)).as(f).isEqualTo(p.getValue(f));
        }
      }
      assertThat(eventTypes("client:raced")).hasSize(1 + applied.size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aDisabledUserIsEnabledAgain() throws Exception {
    Response created =
        admin.post(
            "/admin/users",
            new JsonObject().put("username", "returner").put("password", "long enough pass 1"));
    String userId = created.json().getString("user_id");
    assertThat(admin.post("/admin/users/" + userId + "/disable", null).status()).isEqualTo(200);
    Response refused =
        admin.put(
            "/admin/users/" + userId + "/password",
            new JsonObject().put("password", "long enough pass 2"));
    assertThat(refused.status()).isEqualTo(409);

    Response enabled = admin.post("/admin/users/" + userId + "/enable", null);
    assertThat(enabled.status()).as(enabled.body()).isEqualTo(200);
    assertThat(enabled.json().getBoolean("disabled")).isFalse();
    assertThat(admin.get("/admin/users/" + userId).json().getBoolean("disabled")).isFalse();
    assertThat(admin.post("/admin/users/" + userId + "/enable", null).status()).isEqualTo(200);
    Response accepted =
        admin.put(
            "/admin/users/" + userId + "/password",
            new JsonObject().put("password", "long enough pass 2"));
    assertThat(accepted.status()).isEqualTo(200);
    assertThat(eventTypes("user:" + userId))
        .containsSubsequence("user.disabled.v1", "user.enabled.v1", "user.password_changed.v1");
    JsonObject history = admin.get("/admin/audit/users/" + userId).json();
    assertThat(
            history.getJsonArray("items").stream()
                .map(e -> ((JsonObject) e).getString("type"))
                .toList())
        .contains("user.enabled.v1");
  }
}
