package io.grantry.server.aliases;

import static io.grantry.server.testing.OAuthFixtures.enc;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Browser;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RP-initiated logout at the documents' paths, {@code /connect/endsession} (IdentityServer) and
 * {@code /v1/logout} (Okta), as their examples send it: {@code id_token_hint}, a registered {@code
 * post_logout_redirect_uri} and {@code state}. The session ends on the server (a following {@code
 * prompt=none} through the same profile's authorize path is {@code login_required}); without a hint
 * the person confirms on the page, whose form posts to Grantry's own {@code /logout}.
 */
class EndSessionAliasesTest {
  static final String CB = "https://app.example.com/callback";
  static final String BACK = "https://app.example.com/signed-out";
  static final String PASSWORD = "a long enough password";
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_ENDPOINT_ALIASES", "duende,okta"));
    fx = new OAuthFixtures(server);
    secret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "web")
                    .put("client_name", "Web app")
                    .put("token_endpoint_auth_method", "client_secret_basic")
                    .put("redirect_uris", new JsonArray().add(CB))
                    .put("post_logout_redirect_uris", new JsonArray().add(BACK))
                    .put("grant_types", new JsonArray().add("authorization_code"))
                    .put("scope", "openid profile"))
            .getString("client_secret");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static boolean signedIn(Browser b, String authorizePath) {
    HttpResponse<String> r =
        b.get(
            authorizePath
                + "?response_type=code&client_id=web&redirect_uri="
                + enc(CB)
                + "&scope=openid&state=s&prompt=none");
    Map<String, String> q = OAuthFixtures.queryOf(r.headers().firstValue("Location").orElseThrow());
    if (!q.containsKey("code")) {
      assertThat(q).containsEntry("error", "login_required");
    }
    return q.containsKey("code");
  }

  @ParameterizedTest
  @CsvSource({"/connect/authorize, /connect/endsession", "/v1/authorize, /v1/logout"})
  void theDocumentsLogoutEndsTheSessionAndReturnsToTheApplication(
      String authorizePath, String logoutPath) {
    String user = "u" + logoutPath.replace('/', '-');
    fx.user(user, PASSWORD);
    Browser b = fx.browser();
    JsonObject tokens = fx.tokens(b, "web", secret, CB, "openid", user, PASSWORD);
    assertThat(signedIn(b, authorizePath)).isTrue();

    HttpResponse<String> r =
        b.get(
            logoutPath
                + "?id_token_hint="
                + enc(tokens.getString("id_token"))
                + "&post_logout_redirect_uri="
                + enc(BACK)
                + "&state=af0ifjsldkj");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue(BACK + "?state=af0ifjsldkj");
    assertThat(signedIn(b, authorizePath)).isFalse();
  }

  @ParameterizedTest
  @CsvSource({"/connect/authorize, /connect/endsession", "/v1/authorize, /v1/logout"})
  void withoutAHintThePersonConfirmsOnGrantrysPage(String authorizePath, String logoutPath) {
    String user = "c" + logoutPath.replace('/', '-');
    fx.user(user, PASSWORD);
    Browser b = fx.browser();
    fx.tokens(b, "web", secret, CB, "openid", user, PASSWORD);

    HttpResponse<String> page = b.get(logoutPath);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("action=\"/logout\"");
    assertThat(signedIn(b, authorizePath)).as("asking signs nobody out").isTrue();
    Map<String, String> form = new LinkedHashMap<>(OAuthFixtures.hidden(page.body()));
    form.put("confirm", "yes");
    assertThat(b.post("/logout", form).statusCode()).isEqualTo(200);
    assertThat(signedIn(b, authorizePath)).isFalse();
  }
}
