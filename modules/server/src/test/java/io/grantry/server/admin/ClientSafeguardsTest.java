package io.grantry.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What keeps operators from hurting a client by mistake, through the admin API of a real server:
 * every problem of a registration, replacement or patch named in one answer; the client's version
 * as its ETag, and changes made with If-Match only to that version (two racing updates: one wins,
 * the other is 412 and writes nothing); a client disabled as compromised enabled again only with
 * new credentials (the review's M2), so that the old secret or keys never work again.
 */
class ClientSafeguardsTest {
  static TestServer server;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  record Answer(int status, String body, HttpResponse<String> raw) {
    JsonObject json() {
      return new JsonObject(body);
    }

    String etag() {
      return raw.headers().firstValue("ETag").orElse(null);
    }

    String contentType() {
      return raw.headers().firstValue("Content-Type").orElse("");
    }

    List<String> pointers() {
      return json().getJsonArray("errors").stream()
          .map(e -> ((JsonObject) e).getString("pointer"))
          .collect(Collectors.toList());
    }
  }

  /** An admin request; {@code ifMatch} null sends none. */
  static Answer send(String method, String path, JsonObject body, String ifMatch) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url(path)))
            .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body(), r);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    }
  }

  static Answer send(String method, String path, JsonObject body) {
    return send(method, path, body, null);
  }

  static JsonObject webClient(String id) {
    return new JsonObject()
        .put("client_id", id)
        .put("client_name", "Web " + id)
        .put("redirect_uris", new JsonArray().add("https://app.example/callback"))
        .put("grant_types", new JsonArray().add("authorization_code").add("client_credentials"))
        .put("scope", "openid api");
  }

  /** A PUT body: the client's metadata without its id. */
  static JsonObject replacement(String id) {
    JsonObject body = webClient(id);
    body.remove("client_id");
    return body;
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
    return http.send(
            HttpRequest.newBuilder(URI.create(server.url("/token")))
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&scope=api"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  // ------------------------------------------------------------------ every problem at once

  @Test
  void aPatchThatMakesThreeProblemsIsAnsweredWithAllThree() throws Exception {
    JsonObject app =
        new JsonObject()
            .put("client_id", "three-problems")
            .put("client_name", "Phone")
            .put("token_endpoint_auth_method", "none")
            .put("redirect_uris", new JsonArray().add("http://127.0.0.1/cb"))
            .put("scope", "openid");
    assertThat(send("POST", "/admin/clients", app).status()).isEqualTo(201);

    Answer three =
        send(
            "PATCH",
            "/admin/clients/three-problems",
            new JsonObject()
                .put(
                    "redirect_uris",
                    new JsonArray()
                        .add("https://app.example/cb#fragment")
                        .add("http://127.0.0.1/ok")
                        .add("http://app.example/cb"))
                .put("skip_consent", true));
    assertThat(three.status()).as(three.body()).isEqualTo(400);
    assertThat(three.contentType()).startsWith("application/problem+json");
    assertThat(three.pointers())
        .containsExactly("/redirect_uris/0", "/redirect_uris/2", "/skip_consent");
    assertThat(three.json().getString("field")).isEqualTo("redirect_uris");
    assertThat(three.json().getString("detail"))
        .contains("fragment")
        .contains("skip consent")
        .isEqualTo(three.json().getString("error_description"));
    assertThat(eventTypes("client:three-problems")).containsExactly("client.registered.v1");

    // A registration and a replacement likewise.
    Answer registration =
        send(
            "POST",
            "/admin/clients",
            app.copy()
                .put("client_id", "several")
                .put("grant_types", new JsonArray().add("client_credentials"))
                .put("logo_uri", "ftp://app.example/logo.png")
                .put("introspect", true)
                .put("redirect_uris", new JsonArray()));
    assertThat(registration.status()).as(registration.body()).isEqualTo(400);
    assertThat(registration.pointers()).containsExactly("/grant_types", "/logo_uri", "/introspect");
    assertThat(eventTypes("client:several")).isEmpty();

    Answer replacement =
        send(
            "PUT",
            "/admin/clients/three-problems",
            new JsonObject()
                .put("client_name", " padded ")
                .put("token_endpoint_auth_method", "none")
                .put("grant_types", new JsonArray().add("authorization_code"))
                .put("redirect_uris", new JsonArray())
                .put("post_logout_redirect_uris", new JsonArray().add("javascript:alert(1)")));
    assertThat(replacement.status()).as(replacement.body()).isEqualTo(400);
    assertThat(replacement.pointers())
        .containsExactly("/client_name", "/redirect_uris", "/post_logout_redirect_uris/0");
  }

  // ------------------------------------------------------------------ ETag and If-Match

  @Test
  void aChangeWithIfMatchIsMadeOnlyToTheVersionItNames() throws Exception {
    assertThat(send("POST", "/admin/clients", webClient("tagged")).status()).isEqualTo(201);
    assertThat(send("POST", "/admin/clients", webClient("other-tagged")).status()).isEqualTo(201);
    Answer read = send("GET", "/admin/clients/tagged", null);
    String tag = read.etag();
    assertThat(tag).startsWith("\"").endsWith("\"");
    // Both clients are at their first version, and still their tags differ.
    String otherTag = send("GET", "/admin/clients/other-tagged", null).etag();
    assertThat(otherTag).isNotEqualTo(tag);

    // Another client's tag, a weak tag and garbage never match: 412 and nothing written.
    for (String wrong : List.of(otherTag, "W/" + tag, "\"1\"", "nonsense")) {
      Answer refused =
          send(
              "PATCH",
              "/admin/clients/tagged",
              new JsonObject().put("client_name", "Not me"),
              wrong);
      assertThat(refused.status()).as(wrong + ": " + refused.body()).isEqualTo(412);
      assertThat(refused.contentType()).startsWith("application/problem+json");
      assertThat(refused.json().getString("error")).isEqualTo("precondition_failed");
    }
    assertThat(eventTypes("client:tagged")).containsExactly("client.registered.v1");

    Answer changed =
        send("PATCH", "/admin/clients/tagged", new JsonObject().put("client_name", "First"), tag);
    assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    assertThat(changed.etag()).isNotNull().isNotEqualTo(tag);
    assertThat(send("GET", "/admin/clients/tagged", null).etag()).isEqualTo(changed.etag());

    // The tag read before the change is stale now: for PATCH, PUT, disable and enable alike.
    Answer stale =
        send("PATCH", "/admin/clients/tagged", new JsonObject().put("client_name", "Second"), tag);
    assertThat(stale.status()).isEqualTo(412);
    assertThat(send("PUT", "/admin/clients/tagged", replacement("tagged"), tag).status())
        .isEqualTo(412);
    assertThat(send("POST", "/admin/clients/tagged/disable", null, tag).status()).isEqualTo(412);
    assertThat(send("GET", "/admin/clients/tagged", null).json().getString("client_name"))
        .isEqualTo("First");

    // A list of tags matches if one does; * matches any version; no If-Match is no condition.
    Answer listed =
        send("POST", "/admin/clients/tagged/disable", null, otherTag + ", " + changed.etag());
    assertThat(listed.status()).as(listed.body()).isEqualTo(200);
    assertThat(send("POST", "/admin/clients/tagged/enable", null, changed.etag()).status())
        .isEqualTo(412);
    assertThat(send("POST", "/admin/clients/tagged/enable", null, "*").status()).isEqualTo(200);
    assertThat(
            send("PATCH", "/admin/clients/tagged", new JsonObject().put("client_name", "Third"))
                .status())
        .isEqualTo(200);
    assertThat(eventTypes("client:tagged"))
        .containsExactly(
            "client.registered.v1",
            "client.updated.v1",
            "client.disabled.v1",
            "client.enabled.v1",
            "client.updated.v1");
    // An unknown client is 404, whatever the If-Match.
    assertThat(send("POST", "/admin/clients/nobody-tagged/disable", null, tag).status())
        .isEqualTo(404);
  }

  @Test
  void ofTwoRacingUpdatesMadeFromTheSameReadOneWinsAndTheOtherIsRefused() throws Exception {
    assertThat(send("POST", "/admin/clients", webClient("contested")).status()).isEqualTo(201);
    String tag = send("GET", "/admin/clients/contested", null).etag();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 5; round++) {
        CountDownLatch go = new CountDownLatch(1);
        String read = tag;
        List<CompletableFuture<Answer>> racers = new ArrayList<>();
        for (String name : List.of("Alice's " + round, "Bob's " + round)) {
          racers.add(
              CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      go.await();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    return send(
                        "PUT",
                        "/admin/clients/contested",
                        replacement("contested").put("client_name", name),
                        read);
                  },
                  pool));
        }
        go.countDown();
        List<Answer> answers = racers.stream().map(CompletableFuture::join).toList();
        assertThat(answers.stream().map(Answer::status))
            .as("round " + round)
            .containsExactlyInAnyOrder(200, 412);
        Answer winner = answers.stream().filter(a -> a.status() == 200).findFirst().orElseThrow();
        Answer shown = send("GET", "/admin/clients/contested", null);
        assertThat(shown.json().getString("client_name"))
            .isEqualTo(winner.json().getString("client_name"));
        assertThat(shown.etag()).isEqualTo(winner.etag());
        tag = shown.etag();
      }
    } finally {
      pool.shutdownNow();
    }
    // One update per round: the loser wrote nothing.
    assertThat(eventTypes("client:contested")).hasSize(6);
  }

  // ------------------------------------------------------------------ compromised clients (M2)

  @Test
  void aClientDisabledAsCompromisedComesBackOnlyWithANewSecret() throws Exception {
    Answer created = send("POST", "/admin/clients", webClient("leaked"));
    String first = created.json().getString("client_secret");
    // A rotation with a grace: the first secret still works beside the second.
    String second =
        send(
                "POST",
                "/admin/clients/leaked/rotate-secret",
                new JsonObject().put("grace_seconds", 3600))
            .json()
            .getString("client_secret");
    assertThat(clientCredentials("leaked", first)).isEqualTo(200);

    Answer disabled =
        send(
            "POST", "/admin/clients/leaked/disable", new JsonObject().put("reason", "compromised"));
    assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
    assertThat(disabled.json().getString("disabled_reason")).isEqualTo("compromised");
    assertThat(send("GET", "/admin/clients/leaked", null).json().getString("disabled_reason"))
        .isEqualTo("compromised");
    List<Row> payload =
        server.query(
            "SELECT payload->>'reason' FROM events WHERE stream_id = $1 AND type ="
                + " 'client.disabled.v1'",
            "client:leaked");
    assertThat(payload)
        .singleElement()
        .satisfies(r -> assertThat(r.getString(0)).isEqualTo("compromised"));

    // Every way of enabling it with its old secrets is refused, and says what to do.
    for (Answer refused :
        List.of(
            send("POST", "/admin/clients/leaked/enable", null),
            send("POST", "/admin/clients/leaked/enable", new JsonObject()),
            send("PATCH", "/admin/clients/leaked", new JsonObject().put("disabled", false)),
            send(
                "PATCH",
                "/admin/clients/leaked",
                new JsonObject().put("disabled", false).put("client_name", "Fine now")),
            send("PUT", "/admin/clients/leaked", replacement("leaked").put("disabled", false)))) {
      assertThat(refused.status()).as(refused.body()).isEqualTo(409);
      assertThat(refused.contentType()).startsWith("application/problem+json");
      assertThat(refused.json().getString("detail"))
          .contains("compromised")
          .contains("rotate_secret");
    }
    // Marking it with a milder reason does not lift that.
    assertThat(
            send(
                    "POST",
                    "/admin/clients/leaked/disable",
                    new JsonObject().put("reason", "maintenance"))
                .json()
                .getString("disabled_reason"))
        .isEqualTo("compromised");
    assertThat(send("POST", "/admin/clients/leaked/enable", null).status()).isEqualTo(409);
    assertThat(clientCredentials("leaked", first)).isEqualTo(401);
    assertThat(clientCredentials("leaked", second)).isEqualTo(401);

    Answer back =
        send("POST", "/admin/clients/leaked/enable", new JsonObject().put("rotate_secret", true));
    assertThat(back.status()).as(back.body()).isEqualTo(200);
    assertThat(back.json().getBoolean("disabled")).isFalse();
    assertThat(back.json().containsKey("disabled_reason")).isFalse();
    assertThat(back.json().containsKey("previous_secret_valid_until")).isFalse();
    String third = back.json().getString("client_secret");
    assertThat(third).isNotBlank().isNotIn(first, second);
    assertThat(back.raw().headers().firstValue("Cache-Control")).contains("no-store");
    assertThat(clientCredentials("leaked", third)).isEqualTo(200);
    assertThat(clientCredentials("leaked", second)).isEqualTo(401);
    assertThat(clientCredentials("leaked", first)).isEqualTo(401);
    assertThat(eventTypes("client:leaked"))
        .containsExactly(
            "client.registered.v1",
            "client.secret_rotated.v1",
            "client.disabled.v1",
            "client.enabled.v1",
            "client.secret_rotated.v1");
  }

  @Test
  void aClientWithKeysDisabledAsCompromisedComesBackOnlyWithOtherKeys() throws Exception {
    ECKey old = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
    ECKey fresh = new ECKeyGenerator(Curve.P_256).keyID("k2").generate();
    JsonObject client =
        webClient("keyed")
            .put("token_endpoint_auth_method", "private_key_jwt")
            .put("jwks", jwks(old));
    assertThat(send("POST", "/admin/clients", client).status()).isEqualTo(201);
    assertThat(
            send(
                    "POST",
                    "/admin/clients/keyed/disable",
                    new JsonObject().put("reason", "compromised"))
                .status())
        .isEqualTo(200);

    Answer plain = send("PATCH", "/admin/clients/keyed", new JsonObject().put("disabled", false));
    assertThat(plain.status()).as(plain.body()).isEqualTo(409);
    assertThat(plain.json().getString("detail")).contains("jwks");
    assertThat(send("POST", "/admin/clients/keyed/enable", null).status()).isEqualTo(409);
    // A client with keys has no secret to rotate.
    assertThat(
            send("POST", "/admin/clients/keyed/enable", new JsonObject().put("rotate_secret", true))
                .status())
        .isEqualTo(400);
    // The same key under another kid, or beside a new one, is still the leaked key.
    JsonObject renamed = jwks(new ECKey.Builder(old.toPublicJWK()).keyID("k1-renamed").build());
    for (JsonObject keys : List.of(renamed, jwks(fresh, old))) {
      Answer kept =
          send(
              "PATCH",
              "/admin/clients/keyed",
              new JsonObject().put("disabled", false).put("jwks", keys));
      assertThat(kept.status()).as(kept.body()).isEqualTo(409);
    }
    assertThat(send("GET", "/admin/clients/keyed", null).json().getBoolean("disabled")).isTrue();

    Answer back =
        send(
            "PATCH",
            "/admin/clients/keyed",
            new JsonObject().put("disabled", false).put("jwks", jwks(fresh)));
    assertThat(back.status()).as(back.body()).isEqualTo(200);
    assertThat(back.json().getBoolean("disabled")).isFalse();
    assertThat(
            back.json()
                .getJsonObject("jwks")
                .getJsonArray("keys")
                .getJsonObject(0)
                .getString("kid"))
        .isEqualTo("k2");

    // A client disabled for maintenance comes back as it was.
    assertThat(
            send(
                    "POST",
                    "/admin/clients/keyed/disable",
                    new JsonObject().put("reason", "maintenance"))
                .json()
                .getString("disabled_reason"))
        .isEqualTo("maintenance");
    assertThat(send("POST", "/admin/clients/keyed/enable", null).status()).isEqualTo(200);
    // An unknown reason is refused by the contract.
    assertThat(
            send("POST", "/admin/clients/keyed/disable", new JsonObject().put("reason", "bored"))
                .status())
        .isEqualTo(400);
  }

  static JsonObject jwks(ECKey... keys) {
    JsonArray array = new JsonArray();
    for (ECKey k : keys) {
      array.add(new JsonObject(k.toPublicJWK().toJSONString()));
    }
    return new JsonObject().put("keys", array);
  }
}
