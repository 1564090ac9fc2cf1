package io.grantry.server.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The admin API over real HTTP with the JDK's client, for tests. */
public final class AdminHttp {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final TestServer server;

  public AdminHttp(TestServer server) {
    this.server = server;
  }

  /** A response: status, body text, and the body as JSON when it is an object. */
  public record Response(int status, String body, HttpResponse<String> raw) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public JsonArray items() {
      return json().getJsonArray("items");
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  public Response get(String path) {
    return send("GET", path, null, TestServer.ADMIN_TOKEN);
  }

  public Response post(String path, JsonObject body) {
    return send("POST", path, body == null ? null : body.encode(), TestServer.ADMIN_TOKEN);
  }

  public Response put(String path, JsonObject body) {
    return send("PUT", path, body.encode(), TestServer.ADMIN_TOKEN);
  }

  /** Any request; {@code token} null sends no Authorization header. */
  public Response send(String method, String path, String body, String token) {
    return sendWithAuthorization(method, path, body, token == null ? null : "Bearer " + token);
  }

  /** Any request with this Authorization header (none when null). */
  public Response sendWithAuthorization(
      String method, String path, String body, String authorization) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.url(path))).timeout(Duration.ofSeconds(30));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r);
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    }
  }
}
