package io.grantry.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A form body is {@code application/x-www-form-urlencoded} exactly (parameters such as {@code
 * charset} allowed, the name in any case): a media type that only starts so, such as {@code
 * application/x-www-form-urlencodedXYZ}, is not a form and is refused with 400 {@code
 * invalid_request} at every endpoint that reads forms, before anything is decided from it.
 */
class FormContentTypeTest {
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("former", "https://app.example/cb", "api");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    String basic = "former:" + secret;
    return OAuthFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create(server.url(path)))
            .header("Content-Type", contentType)
            .header(
                "Authorization",
                "Basic "
                    + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "application/x-www-form-urlencodedXYZ",
        "application/x-www-form-urlencoded-evil; charset=utf-8",
        "application/x-www-form-urlencoded2",
        "multipart/form-data; boundary=xyz"
      })
  void aLookAlikeMediaTypeIsRefusedAtEveryFormEndpoint(String contentType) throws Exception {
    String body = "grant_type=client_credentials&scope=api&token=x&username=u&password=p&csrf=c";
    for (String path :
        new String[] {
          "/token",
          "/revoke",
          "/introspect",
          "/userinfo",
          "/authorize",
          "/login",
          "/consent",
          "/account/login",
          "/account/logout",
          "/account/apps/revoke"
        }) {
      HttpResponse<String> r = post(path, contentType, body);
      assertThat(r.statusCode()).as(path + " " + contentType + ": " + r.body()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error")).as(path).isEqualTo("invalid_request");
    }
  }

  @Test
  void theFormMediaTypeWithParametersOrInAnotherCaseIsAForm() throws Exception {
    for (String contentType :
        new String[] {
          "application/x-www-form-urlencoded",
          "application/x-www-form-urlencoded; charset=UTF-8",
          "Application/X-WWW-Form-Urlencoded;charset=utf-8",
          "application/x-www-form-urlencoded ;charset=utf-8"
        }) {
      HttpResponse<String> r =
          post("/token", contentType, "grant_type=client_credentials&scope=api");
      assertThat(r.statusCode()).as(contentType + ": " + r.body()).isEqualTo(200);
    }
  }
}
