package io.grantry.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The server's admin API over HTTP, for the {@code clients}, {@code users} and {@code keys}
 * commands: JSON in and out, {@code Authorization: Bearer <token>}, and an error the operator can
 * act on (one line, the server's own description) when the answer is not 2xx.
 */
final class AdminApi {
  static final String DEFAULT_URL = "http://localhost:8080";

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String base;
  private final String token;

  /** The If-Match of the next request (null: none); it is sent once. */
  private String ifMatch;

  /** The ETag of the last answer, if it had one. */
  private String etag;

  private AdminApi(String base, String token) {
    this.base = base;
    this.token = token;
  }

  /**
   * From {@code --url}/{@code --token}, else GRANTRY_ADMIN_URL/GRANTRY_ADMIN_TOKEN (read through
   * {@link CliSupport#env}).
   */
  static AdminApi connect(String url, String token) {
    String u =
        url != null && !url.isBlank() ? url : CliSupport.env.getOrDefault("GRANTRY_ADMIN_URL", "");
    if (u.isBlank()) {
      u = DEFAULT_URL;
    }
    u = u.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    if (!u.startsWith("http://") && !u.startsWith("https://")) {
      throw new CliFailure(
          2, "--url (or GRANTRY_ADMIN_URL) must be an http(s) URL such as " + DEFAULT_URL);
    }
    String t =
        token != null && !token.isBlank() ? token : CliSupport.env.get("GRANTRY_ADMIN_TOKEN");
    if (t == null || t.isBlank()) {
      throw new CliFailure(
          2,
          "no admin token: set GRANTRY_ADMIN_TOKEN or pass --token"
              + " (a development server prints its token at start)");
    }
    return new AdminApi(u, t.strip());
  }

  JsonObject get(String path) {
    return send("GET", path, null);
  }

  JsonObject post(String path, JsonObject body) {
    return send("POST", path, body);
  }

  JsonObject delete(String path) {
    return send("DELETE", path, null);
  }

  /** A JSON merge patch (RFC 7396). */
  JsonObject patch(String path, JsonObject body) {
    return send("PATCH", path, body);
  }

  JsonObject put(String path, JsonObject body) {
    return send("PUT", path, body);
  }

  /**
   * Sends {@code tag} as the next request's If-Match (RFC 9110 §13.1.1): the change is made only if
   * what it changes is still at that version; null sends none.
   */
  AdminApi ifMatch(String tag) {
    this.ifMatch = tag;
    return this;
  }

  /** The {@code ETag} of the last answer (a client's version), or null. */
  String etag() {
    return etag;
  }

  /** One path segment, percent-encoded (ids and usernames may hold '@' or '+'). */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonObject send(String method, String path, JsonObject body) {
    String url = base + "/admin" + path;
    HttpRequest.Builder b;
    try {
      b = HttpRequest.newBuilder(URI.create(url));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, "not a valid admin URL: " + base);
    }
    b.timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json");
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
      ifMatch = null;
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new CliFailure(
          CliFailure.UNREACHABLE,
          "cannot reach the admin API at "
              + base
              + " (is the server running? set --url or GRANTRY_ADMIN_URL)");
    } catch (HttpTimeoutException e) {
      throw new CliFailure(
          CliFailure.UNREACHABLE, "the admin API at " + base + " did not answer in time");
    } catch (IOException e) {
      throw new CliFailure(
          CliFailure.UNREACHABLE,
          "cannot talk to the admin API at " + base + ": " + CliSupport.oneLine(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(1, "interrupted");
    }
    JsonObject json = parse(r.body());
    int status = r.statusCode();
    etag = r.headers().firstValue("ETag").orElse(null);
    if (status >= 200 && status < 300) {
      if (json == null) {
        throw new CliFailure(1, "the admin API answered " + status + " without a JSON body");
      }
      return json;
    }
    String description =
        json != null && json.getString("error_description") != null
            ? json.getString("error_description")
            : "HTTP " + status;
    if (status == 401) {
      throw new CliFailure(
          CliFailure.UNAUTHORIZED,
          "the admin API refused the token (check --token or GRANTRY_ADMIN_TOKEN)");
    }
    throw new CliFailure(exitCode(status), description);
  }

  /** The exit code of an admin API refusal (ops/cli.md, exit codes). */
  static int exitCode(int status) {
    return switch (status) {
      case 400, 413 -> CliFailure.INVALID;
      case 401 -> CliFailure.UNAUTHORIZED;
      case 404 -> CliFailure.NOT_FOUND;
      case 409, 412 -> CliFailure.CONFLICT;
      default -> CliFailure.FAILED;
    };
  }

  private static JsonObject parse(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }
}
