package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 6749 §5.2 and RFC 7235 §3.1: every 401 {@code invalid_client} from the client-authenticating
 * endpoints carries a {@code WWW-Authenticate} challenge naming the scheme the server accepts,
 * whatever the client sent: no credentials, form credentials, a Basic header that is wrong or
 * malformed, or another scheme altogether.
 */
class ClientAuthChallengeTest {
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("challenged", "https://app.example/cb", "api");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** The failing ways of authenticating, each an Authorization header (or none) and a form. */
  static Map<String, Object[]> attempts() {
    String wrongBasic = basic("challenged", "wrong");
    Map<String, Object[]> out = new LinkedHashMap<>();
    out.put("another scheme", new Object[] {"Bearer abc.def.ghi", Map.of()});
    out.put("Basic, not base64", new Object[] {"Basic !!!not-base64!!!", Map.of()});
    out.put(
        "Basic without a colon",
        new Object[] {
          "Basic " + Base64.getEncoder().encodeToString("challenged".getBytes()), Map.of()
        });
    out.put("Basic with nothing after it", new Object[] {"Basic", Map.of()});
    out.put("Basic, wrong secret", new Object[] {wrongBasic, Map.of()});
    out.put("Basic, unknown client", new Object[] {basic("nobody", "x"), Map.of()});
    out.put(
        "form, wrong secret",
        new Object[] {null, Map.of("client_id", "challenged", "client_secret", "wrong")});
    out.put("form, client id only", new Object[] {null, Map.of("client_id", "challenged")});
    out.put("nothing at all", new Object[] {null, Map.of()});
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"/token", "/revoke", "/introspect"})
  void everyFailedClientAuthenticationIsA401WithAChallenge(String path) throws Exception {
    for (var attempt : attempts().entrySet()) {
      String authorization = (String) attempt.getValue()[0];
      @SuppressWarnings("unchecked")
      Map<String, String> credentials = (Map<String, String>) attempt.getValue()[1];
      Map<String, String> form = new LinkedHashMap<>(credentials);
      form.put("grant_type", "client_credentials");
      form.put("token", "some-token");
      HttpRequest.Builder req =
          HttpRequest.newBuilder(URI.create(server.url(path)))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(OAuthFixtures.formBody(form)));
      if (authorization != null) {
        req.header("Authorization", authorization);
      }
      HttpResponse<String> r =
          OAuthFixtures.HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode())
          .as(path + ", " + attempt.getKey() + ": " + r.body())
          .isEqualTo(401);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_client");
      assertThat(r.headers().firstValue("WWW-Authenticate"))
          .as(path + ", " + attempt.getKey())
          .hasValueSatisfying(h -> assertThat(h).startsWith("Basic realm="));
    }
    // The right credentials still pass (the checks above fail for the reason they name).
    HttpResponse<String> ok =
        fx.postForm(
            path,
            "challenged",
            secret,
            Map.of("grant_type", "client_credentials", "token", "some-token"));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
  }

  static String basic(String id, String secret) {
    return "Basic "
        + Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }
}
