package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The newcomer's first minutes in development mode: the printed lines hold the export line the CLI
 * needs, and the printed "try the flow" URL ends on {@code /dev/callback}, which shows the code and
 * redeems it as demo-web (tokens and the ID token's claims on the page); the page exists only in
 * development mode.
 */
class DevCallbackTest {

  @Test
  void thePrintedFlowEndsOnTheDevelopmentCallbackWhichRedeemsTheCode() throws Exception {
    Path dataDir = EmbeddedDatabaseAuthTest.newDataDir("dev-callback");
    int port = TestServer.freePort();
    String issuer = "http://localhost:" + port;
    try (EmbeddedDatabaseAuthTest.Running dev =
        EmbeddedDatabaseAuthTest.start(EmbeddedDatabaseAuthTest.env(dataDir, port))) {
      String notes = String.join("\n", dev.server().devNotes());
      String adminToken =
          new JsonObject(Files.readString(dataDir.resolve("secrets.json")))
              .getString("admin_token");
      assertThat(notes)
          .contains(
              "    export GRANTRY_ADMIN_URL=" + issuer + " GRANTRY_ADMIN_TOKEN=" + adminToken);
      Matcher url = Pattern.compile("try the flow: +(\\S+)").matcher(notes);
      assertThat(url.find()).isTrue();
      assertThat(url.group(1))
          .startsWith(issuer + "/authorize?")
          .contains("redirect_uri=" + OAuthFixtures.enc(issuer + "/dev/callback"));

      String password =
          new JsonObject(Files.readString(dataDir.resolve("demo.json"))).getString("password");
      OAuthFixtures fx = new OAuthFixtures(issuer);
      OAuthFixtures.Browser browser = fx.browser();
      HttpResponse<String> signIn = browser.get(url.group(1));
      HttpResponse<String> consent = browser.login(signIn, "demo", password);
      HttpResponse<String> back = browser.consent(consent, "allow");
      assertThat(back.statusCode()).isEqualTo(303);
      String location = back.headers().firstValue("Location").orElseThrow();
      assertThat(location).startsWith(issuer + "/dev/callback?code=");
      String code = OAuthFixtures.queryOf(location).get("code");

      HttpResponse<String> page = browser.get(location);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body())
          .contains("<pre id=\"code\">" + code + "</pre>")
          .contains("id=\"tokens\"")
          .contains("access_token", "id_token")
          .contains("id=\"id-token\"")
          .contains("\"azp\" : \"demo-web\"", "\"preferred_username\" : \"demo\"");

      // A code is redeemed once: the page shows what the token endpoint says the second time.
      HttpResponse<String> again = browser.get(location);
      assertThat(again.statusCode()).isEqualTo(200);
      assertThat(again.body()).contains("invalid_grant").doesNotContain("id=\"id-token\"");

      // A flow the page did not start: the code and how to redeem it, nothing redeemed.
      HttpResponse<String> other = browser.get(issuer + "/dev/callback?code=abc&state=other");
      assertThat(other.body()).contains("id=\"redeem\"").doesNotContain("id=\"tokens\"");
    }

    // With a configured database (production), there is no such page.
    try (TestServer server = TestServer.start()) {
      HttpResponse<String> none =
          new OAuthFixtures(server).browser().get("/dev/callback?code=abc&state=x");
      assertThat(none.statusCode()).isEqualTo(404);
    }
  }
}
