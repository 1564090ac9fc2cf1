package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each request." A
 * token in the Authorization header and in the form body, or in the query, or the body's parameter
 * twice, is refused at /userinfo with 400 and {@code error="invalid_request"} (§3.1), whichever of
 * them holds a valid token.
 */
class UserinfoBearerTest {
  static final String CB = "https://app.example/cb";
  static TestServer server;
  static OAuthFixtures fx;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    String secret = fx.confidentialClient("reader", CB, "openid profile");
    fx.user("ursula", "correct horse battery");
    token =
        fx.tokens(
                fx.browser(),
                "reader",
                secret,
                CB,
                "openid profile",
                "ursula",
                "correct horse battery")
            .getString("access_token");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> send(String query, String header, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
            URI.create(server.url("/userinfo" + (query == null ? "" : "?" + query))));
    if (header != null) {
      b.header("Authorization", "Bearer " + header);
    }
    if (body != null) {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.GET();
    }
    return OAuthFixtures.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static void assertInvalidRequest(HttpResponse<String> r, String what) {
    assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(400);
    assertThat(r.headers().firstValue("WWW-Authenticate"))
        .as(what)
        .hasValueSatisfying(
            h -> assertThat(h).startsWith("Bearer").contains("error=\"invalid_request\""));
    assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
  }

  @Test
  void oneMethodAtATimeIsServed() throws Exception {
    assertThat(send(null, token, null).statusCode()).isEqualTo(200);
    assertThat(send(null, null, "access_token=" + token).statusCode()).isEqualTo(200);
  }

  @Test
  void aTokenInTheHeaderAndTheBodyIsRefused() throws Exception {
    assertInvalidRequest(send(null, token, "access_token=" + token), "header and body");
    assertInvalidRequest(send(null, token, "access_token=other"), "header and another body token");
  }

  @Test
  void aTokenInTheQueryBesidesAnotherMethodIsRefused() throws Exception {
    assertInvalidRequest(send("access_token=" + token, token, null), "header and query");
    assertInvalidRequest(
        send("access_token=" + token, null, "access_token=" + token), "body and query");
  }

  @Test
  void aBodyTokenTwiceIsRefused() throws Exception {
    assertInvalidRequest(
        send(null, null, "access_token=" + token + "&access_token=" + token), "body twice");
  }

  @Test
  void anEmptyBodyParameterBesideTheHeaderIsStillTwoMethods() throws Exception {
    assertInvalidRequest(send(null, token, "access_token="), "header and empty body parameter");
  }
}
