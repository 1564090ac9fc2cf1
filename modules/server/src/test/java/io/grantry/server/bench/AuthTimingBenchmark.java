package io.grantry.server.bench;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Not a test (surefire does not pick it up; {@code ops/bench/auth-timing.sh} runs it): does the
 * time a failed authentication takes reveal whether the account exists? Over HTTP, one request at a
 * time, the cases interleaved request by request so machine noise hits them alike:
 *
 * <ul>
 *   <li>sign-in (POST /login): right password, wrong password, unknown username (which pays a dummy
 *       Argon2id verification);
 *   <li>client authentication (POST /introspect, which appends nothing): right secret, wrong secret
 *       of a known client id, an unknown client id repeated, a new unknown client id every time
 *       (every presented secret costs one HMAC).
 * </ul>
 *
 * The throttles are set out of the way. Prints medians per round and in all, in milliseconds, and
 * writes them to {@code target/auth-timing.txt}. Settings: {@code -Dgrantry.bench.rounds} (3),
 * {@code -Dgrantry.bench.logins} (30 per case per round), {@code -Dgrantry.bench.clients} (300).
 */
class AuthTimingBenchmark {
  static final String CB = "https://app.example.test/cb";
  static final String PASSWORD = "the right password, long enough";

  @Test
  void run() throws Exception {
    int rounds = Integer.getInteger("grantry.bench.rounds", 3);
    int logins = Integer.getInteger("grantry.bench.logins", 30);
    int clientRequests = Integer.getInteger("grantry.bench.clients", 300);
    StringBuilder out = new StringBuilder();
    try (TestServer server =
        TestServer.start(
            Map.of(
                "GRANTRY_LOGIN_FREE_PER_ACCOUNT",
                "1000000",
                "GRANTRY_LOGIN_FREE_PER_ADDRESS",
                "1000000"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("bench-app", CB, "openid");
      fx.user("alice", PASSWORD);
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .followRedirects(HttpClient.Redirect.NEVER)
              .build();

      // The sign-in form of one pending authorization request; it is signed, so it can be posted
      // again and again.
      OAuthFixtures.Browser browser = fx.browser();
      HttpResponse<String> page =
          browser.get(
              "/authorize?response_type=code&client_id=bench-app&redirect_uri="
                  + OAuthFixtures.enc(CB)
                  + "&scope=openid&state=s&code_challenge="
                  + OAuthFixtures.Pkce.create().challenge()
                  + "&code_challenge_method=S256");
      Map<String, String> hidden = OAuthFixtures.hidden(page.body());

      Map<String, Supplier<Long>> loginCases = new LinkedHashMap<>();
      HttpClient web = browser.http; // the sign-in form's CSRF cookie
      loginCases.put(
          "login: right password", () -> login(web, server, hidden, "alice", PASSWORD, 0));
      loginCases.put(
          "login: wrong password",
          () -> login(web, server, hidden, "alice", "a wrong password, long enough", 401));
      loginCases.put(
          "login: unknown username",
          () ->
              login(
                  web,
                  server,
                  hidden,
                  "nobody-" + UUID.randomUUID(),
                  "a wrong password, long enough",
                  401));
      Map<String, Supplier<Long>> clientCases = new LinkedHashMap<>();
      clientCases.put(
          "client: right secret", () -> introspect(http, server, "bench-app", secret, 200));
      clientCases.put(
          "client: known id, wrong secret",
          () -> introspect(http, server, "bench-app", secret + "x", 401));
      clientCases.put(
          "client: unknown id (same)",
          () -> introspect(http, server, "no-such-client", secret, 401));
      clientCases.put(
          "client: unknown id (new each time)",
          () -> introspect(http, server, "nc-" + UUID.randomUUID(), secret, 401));

      // Warm-up: JIT, connection, caches.
      measure(loginCases, 5);
      measure(clientCases, 100);
      Map<String, List<Double>> all = new LinkedHashMap<>();
      for (int r = 1; r <= rounds; r++) {
        Map<String, List<Double>> round = new LinkedHashMap<>(measure(loginCases, logins));
        round.putAll(measure(clientCases, clientRequests));
        out.append("round ").append(r).append('\n');
        round.forEach(
            (k, v) -> {
              out.append(
                  String.format("  %-38s median %7.3f ms  (n=%d)%n", k, median(v), v.size()));
              all.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v);
            });
      }
      out.append("all rounds\n");
      all.forEach(
          (k, v) ->
              out.append(
                  String.format(
                      "  %-38s median %7.3f ms  p90 %7.3f ms  (n=%d)%n",
                      k, median(v), percentile(v, 0.9), v.size())));
    }
    System.out.print(out);
    Files.writeString(
        Path.of(System.getProperty("grantry.test.dir", "target"), "auth-timing.txt"), out);
  }

  /** Runs each case {@code n} times, interleaved: a, b, c, a, b, c... */
  static Map<String, List<Double>> measure(Map<String, Supplier<Long>> cases, int n) {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    cases.keySet().forEach(k -> times.put(k, new ArrayList<>()));
    for (int i = 0; i < n; i++) {
      cases.forEach((k, c) -> times.get(k).add(c.get() / 1e6));
    }
    return times;
  }

  static long login(
      HttpClient http,
      TestServer server,
      Map<String, String> hidden,
      String user,
      String password,
      int expected) {
    Map<String, String> form = new LinkedHashMap<>(hidden);
    form.put("username", user);
    form.put("password", password);
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(server.url("/login")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)))
            .build();
    return timed(http, req, expected);
  }

  static long introspect(
      HttpClient http, TestServer server, String clientId, String secret, int expected) {
    String basic =
        Base64.getEncoder()
            .encodeToString((clientId + ":" + secret).getBytes(StandardCharsets.UTF_8));
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(server.url("/introspect")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", "Basic " + basic)
            .POST(HttpRequest.BodyPublishers.ofString("token=not-a-token"))
            .build();
    return timed(http, req, expected);
  }

  /** {@code expected} 0: a success, 200 (the consent page) or 303. */
  static long timed(HttpClient http, HttpRequest req, int expected) {
    try {
      long t0 = System.nanoTime();
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      long t = System.nanoTime() - t0;
      if (expected == 0
          ? r.statusCode() != 200 && r.statusCode() != 303
          : r.statusCode() != expected) {
        throw new IllegalStateException(
            req.uri() + " answered " + r.statusCode() + ", expected " + expected + ": " + r.body());
      }
      return t;
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  static double median(List<Double> v) {
    return percentile(v, 0.5);
  }

  static double percentile(List<Double> v, double p) {
    List<Double> s = new ArrayList<>(v);
    s.sort(Double::compare);
    return s.get(Math.min(s.size() - 1, (int) Math.floor(p * (s.size() - 1) + 0.5)));
  }
}
