package io.grantry.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.grantry.server.logging.LogOutput;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The logs as GRANTRY_LOG_FORMAT=json writes them (LogOutput's encoder on the root logger), with
 * the access log on for every request (GRANTRY_ACCESS_LOG_SAMPLE=1): each line is a JSON object
 * with an ISO-8601 time and its offset; a line about a request names its request id (the one the
 * response carried), the client it names and its route; a sign-in's success and failure are logged
 * and counted; and no secret of the exchanges (client secret, password, tokens, admin token)
 * appears in any line.
 */
class RequestLoggingTest {
  static final String CB = "https://app.example/cb";
  static final String PASSWORD = "Pa55-correct-horse-battery";
  static final String WRONG = "Wr0ng-staple-guess-4711";

  @Test
  void jsonLinesNameTheRequestTheClientAndTheRouteAndNoSecret() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    OutputStreamAppender<ILoggingEvent> appender =
        LogOutput.appender(LogOutput.jsonEncoder(context), out);
    root.addAppender(appender);
    List<String> secrets = new ArrayList<>(List.of(PASSWORD, WRONG, TestServer.ADMIN_TOKEN));
    String tokenRequestId;
    String metrics;
    try (TestServer server = TestServer.start(Map.of("GRANTRY_ACCESS_LOG_SAMPLE", "1"))) {
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret = fx.confidentialClient("log-web", CB, "openid api");
      secrets.add(secret);
      fx.user("logger", PASSWORD);
      assertThat(new AdminHttp(server).get("/admin/clients/log-web").status()).isEqualTo(200);

      HttpResponse<String> token =
          fx.token("log-web", secret, Map.of("grant_type", "client_credentials", "scope", "api"));
      assertThat(token.statusCode()).isEqualTo(200);
      tokenRequestId = token.headers().firstValue("X-Request-Id").orElseThrow();
      secrets.add(new JsonObject(token.body()).getString("access_token"));

      OAuthFixtures.Browser browser = fx.browser();
      OAuthFixtures.Pkce pkce = OAuthFixtures.Pkce.create();
      HttpResponse<String> page =
          browser.get(
              "/authorize?response_type=code&client_id=log-web&scope=openid&state=s1&redirect_uri="
                  + OAuthFixtures.enc(CB)
                  + "&code_challenge="
                  + pkce.challenge()
                  + "&code_challenge_method=S256");
      HttpResponse<String> again = browser.login(page, "logger", WRONG);
      assertThat(again.statusCode()).isEqualTo(401);
      Map<String, String> redirect =
          browser.answer(browser.login(again, "logger", PASSWORD), "logger", PASSWORD);
      assertThat(redirect).containsKey("code");
      secrets.add(redirect.get("code"));

      metrics =
          OAuthFixtures.HTTP
              .send(
                  HttpRequest.newBuilder(URI.create(server.url("/metrics"))).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
    } finally {
      root.detachAppender(appender);
      appender.stop();
    }

    List<JsonObject> lines = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(new JsonObject(line));
      }
    }
    assertThat(lines).isNotEmpty();
    for (JsonObject line : lines) {
      assertThat(line.getString("@timestamp"))
          .matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2})");
      assertThat(line.getString("level")).isNotBlank();
      assertThat(line.getString("logger_name")).isNotBlank();
    }
    String all = out.toString(StandardCharsets.UTF_8);
    for (String secret : secrets) {
      assertThat(all).as("a secret in the log").doesNotContain(secret);
    }

    JsonObject access =
        lines.stream()
            .filter(l -> "grantry.access".equals(l.getString("logger_name")))
            .filter(l -> tokenRequestId.equals(l.getString("request_id")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no access line for the token request: " + all));
    assertThat(access.getString("message")).startsWith("POST /token 200 ");
    assertThat(access.getString("client_id")).isEqualTo("log-web");
    assertThat(access.getString("route")).isEqualTo("/token");

    assertThat(
            lines.stream()
                .filter(l -> "grantry.access".equals(l.getString("logger_name")))
                .map(l -> l.getString("route")))
        .contains("/authorize", "/login", "/admin/clients");

    // The admin API's path parameter names the client the request is about, not its sender.
    JsonObject show =
        lines.stream()
            .filter(l -> "/admin/clients/:client_id".equals(l.getString("route")))
            .findFirst()
            .orElseThrow();
    assertThat(show.containsKey("client_id")).as(show.encode()).isFalse();

    JsonObject failed = signIn(lines, "Sign-in failed");
    assertThat(failed.getString("client_id")).isEqualTo("log-web");
    assertThat(failed.getString("route")).isEqualTo("/login");
    assertThat(failed.getString("message")).doesNotContain("logger");
    JsonObject succeeded = signIn(lines, "Sign-in succeeded");
    assertThat(succeeded.getString("client_id")).isEqualTo("log-web");
    assertThat(succeeded.getString("request_id")).isNotEqualTo(failed.getString("request_id"));

    assertThat(metrics)
        .containsPattern("(?m)^grantry_sign_ins_total\\{outcome=\"failure\",?\\} 1\\.0$")
        .containsPattern("(?m)^grantry_sign_ins_total\\{outcome=\"success\",?\\} 1\\.0$");
  }

  private static JsonObject signIn(List<JsonObject> lines, String message) {
    return lines.stream()
        .filter(l -> l.getString("message").startsWith(message))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line '" + message + "'"));
  }
}
