package io.grantry.server.users;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.claims.UserInfo;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code email_verified} claim says what the user's record says (registered verified, or marked
 * so later through the admin API), in ID tokens and at userinfo, for the email scope only.
 */
class EmailVerifiedTest {
  static final String CB = "http://127.0.0.1:9/cb";
  static final String PASSWORD = "a long enough password";
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("ev-app", CB, "openid profile email");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static UserInfo userinfo(String accessToken) throws Exception {
    UserInfoResponse r =
        UserInfoResponse.parse(
            new UserInfoRequest(
                    URI.create(server.url("/userinfo")), new BearerAccessToken(accessToken))
                .toHTTPRequest()
                .send());
    assertThat(r.indicatesSuccess()).isTrue();
    return r.toSuccessResponse().getUserInfo();
  }

  @Test
  void theClaimFollowsTheUsersRecord() throws Exception {
    JsonObject user =
        fx.admin(
            "POST",
            "/admin/users",
            new JsonObject()
                .put("username", "vera")
                .put("password", PASSWORD)
                .put("email", "vera@example.com")
                .put("email_verified", true));
    assertThat(user.getBoolean("email_verified")).isTrue();

    JsonObject tokens =
        fx.tokens(fx.browser(), "ev-app", secret, CB, "openid email", "vera", PASSWORD);
    JsonObject id = OAuthFixtures.claims(tokens.getString("id_token"));
    assertThat(id.getString("email")).isEqualTo("vera@example.com");
    assertThat(id.getBoolean("email_verified")).isTrue();
    assertThat(userinfo(tokens.getString("access_token")).getEmailVerified()).isTrue();

    // Marked unverified (say the address changed hands): userinfo says so at once, with the same
    // access token, and so do the next ID tokens.
    JsonObject updated =
        fx.admin(
            "PUT",
            "/admin/users/" + user.getString("user_id") + "/email-verified",
            new JsonObject().put("email_verified", false));
    assertThat(updated.getBoolean("email_verified")).isFalse();
    assertThat(userinfo(tokens.getString("access_token")).getEmailVerified()).isFalse();
    JsonObject again =
        fx.tokens(fx.browser(), "ev-app", secret, CB, "openid email", "vera", PASSWORD);
    assertThat(OAuthFixtures.claims(again.getString("id_token")).getBoolean("email_verified"))
        .isFalse();

    // Without the email scope, neither claim.
    JsonObject profileOnly =
        fx.tokens(fx.browser(), "ev-app", secret, CB, "openid profile", "vera", PASSWORD);
    JsonObject profileClaims = OAuthFixtures.claims(profileOnly.getString("id_token"));
    assertThat(profileClaims.containsKey("email")).isFalse();
    assertThat(profileClaims.containsKey("email_verified")).isFalse();
  }

  @Test
  void aUserWithoutAnEmailCannotHaveOneVerified() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(server.url("/admin/users")))
                    .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            new JsonObject()
                                .put("username", "noemail")
                                .put("password", PASSWORD)
                                .put("email_verified", true)
                                .encode()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("email_verified");

    String userId =
        fx.admin(
                "POST",
                "/admin/users",
                new JsonObject().put("username", "noemail2").put("password", PASSWORD))
            .getString("user_id");
    HttpResponse<String> put =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(server.url("/admin/users/" + userId + "/email-verified")))
                    .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"email_verified\":true}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).isEqualTo(400);
    assertThat(put.body()).contains("email_verified");
  }
}
