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
 * the other is 412 and writes nothing); a client disabled as compromised enabled again only with new
 * credentials (the review's M2), so that the old secret or keys never work again.
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

  static JsonObject jwks(ECKey... keys) {
    JsonArray array = new JsonArray();
    for (ECKey k : keys) {
      array.add(new JsonObject(k.toPublicJWK().toJSONString()));
    }
    return new JsonObject().put("keys", array);
  }
}
