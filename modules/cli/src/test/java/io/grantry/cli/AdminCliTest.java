package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The clients, users and keys commands against a running server, over its admin API. */
class AdminCliTest {
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    CliSupport.env =
        Map.of("GRANTRY_ADMIN_URL", server.url(""), "GRANTRY_ADMIN_TOKEN", TestServer.ADMIN_TOKEN);
  }

  @AfterAll
  static void stop() throws Exception {
    CliSupport.env = System.getenv();
    server.close();
  }

  record Run(int code, String out, String err) {
    JsonObject json() {
      return new JsonObject(out);
    }
  }

  static Run run(String... args) {
    return runWithInput(null, args);
  }

  static synchronized Run runWithInput(String stdin, String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    InputStream in = System.in;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      if (stdin != null) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      }
      int code = Grantry.run(args);
      return new Run(code, withoutLogLines(o), withoutLogLines(e));
    } finally {
      System.setOut(out);
      System.setErr(err);
      System.setIn(in);
    }
  }

  /**
   * What the command printed. The server runs in this JVM and its log lines go to the same console
   * streams; a real CLI talks to another process.
   */
  private static String withoutLogLines(ByteArrayOutputStream captured) {
    StringBuilder out = new StringBuilder();
    for (String line : captured.toString(StandardCharsets.UTF_8).split("(?<=\n)")) {
      if (!LOG_LINE.matcher(line).lookingAt()) {
        out.append(line);
      }
    }
    return out.toString();
  }

  private static final Pattern LOG_LINE =
      Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO |WARN |ERROR)");

  @Test
  void clientsCreateListRotateSecretAndDisable() {
    Run created =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-web",
            "--name",
            "CLI web",
            "--redirect-uri",
            "https://cli.example/cb",
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            "--scope",
            "openid profile offline_access");
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.out())
        .contains("client_id")
        .contains("cli-web")
        .contains("client_secret")
        .contains("shown only now");
    String secret = lineValue(created.out(), "client_secret");
    assertThat(secret).hasSizeGreaterThanOrEqualTo(43);

    Run list = run("clients", "list");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out())
        .startsWith("CLIENT_ID")
        .contains("cli-web")
        .contains("CLI web")
        .contains("authorization_code refresh_token")
        .doesNotContain(secret);

    Run shown = run("clients", "show", "cli-web", "--json");
    assertThat(shown.code()).isZero();
    assertThat(shown.json().getString("scope")).isEqualTo("offline_access openid profile");
    assertThat(shown.json().containsKey("client_secret")).isFalse();

    Run rotated = run("clients", "rotate-secret", "cli-web", "--grace", "15m");
    assertThat(rotated.code()).as(rotated.err()).isZero();
    String newSecret = lineValue(rotated.out(), "client_secret");
    assertThat(newSecret).isNotEqualTo(secret).hasSizeGreaterThanOrEqualTo(43);
    assertThat(rotated.out()).contains("valid until");

    Run rotatedJson = run("clients", "rotate-secret", "cli-web", "--grace", "0", "--json");
    assertThat(rotatedJson.code()).isZero();
    assertThat(rotatedJson.json().getString("client_secret")).isNotEqualTo(newSecret);
    assertThat(rotatedJson.json().containsKey("previous_secret_valid_until")).isFalse();

    Run disabled = run("clients", "disable", "cli-web");
    assertThat(disabled.code()).as(disabled.err()).isZero();
    assertThat(disabled.out()).contains("cli-web is disabled");
    assertThat(run("clients", "show", "cli-web", "--json").json().getBoolean("disabled")).isTrue();
  }

  /**
   * {@code clients show} prints the client's version, {@code clients update --if-match} changes
   * only that version (a stale one is exit code 6 and changes nothing); a client disabled as
   * compromised comes back only with {@code --rotate-secret}, and its old secret stays dead.
   */
  @Test
  void clientsChangeOnlyTheVersionShownAndACompromisedClientNeedsANewSecret() throws Exception {
    Run created =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-guarded",
            "--name",
            "Guarded",
            "--grant",
            "client_credentials",
            "--scope",
            "api");
    assertThat(created.code()).as(created.err()).isZero();
    String secret = lineValue(created.out(), "client_secret");

    String etag = lineValue(run("clients", "show", "cli-guarded").out(), "etag");
    assertThat(etag).startsWith("\"");
    Run first = run("clients", "update", "cli-guarded", "--name", "Guarded 2", "--if-match", etag);
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(lineValue(first.out(), "etag")).isNotEqualTo(etag);
    Run stale = run("clients", "update", "cli-guarded", "--name", "Guarded 3", "--if-match", etag);
    assertThat(stale.code()).isEqualTo(CliFailure.CONFLICT);
    assertThat(stale.err()).contains("has changed since");
    assertThat(run("clients", "show", "cli-guarded", "--json").json().getString("client_name"))
        .isEqualTo("Guarded 2");

    Run disabled = run("clients", "disable", "cli-guarded", "--reason", "compromised");
    assertThat(disabled.code()).as(disabled.err()).isZero();
    assertThat(disabled.out()).contains("cli-guarded is disabled (compromised)");
    Run plain = run("clients", "enable", "cli-guarded");
    assertThat(plain.code()).isEqualTo(CliFailure.CONFLICT);
    assertThat(plain.err()).contains("compromised").contains("rotate_secret");
    Run back = run("clients", "enable", "cli-guarded", "--rotate-secret");
    assertThat(back.code()).as(back.err()).isZero();
    String fresh = lineValue(back.out(), "client_secret");
    assertThat(fresh).isNotEqualTo(secret).hasSizeGreaterThanOrEqualTo(43);
    assertThat(back.out()).contains("shown only now");
    assertThat(
            new OAuthFixtures(server)
                .postForm(
                    "/token",
                    "cli-guarded",
                    secret,
                    Map.of("grant_type", "client_credentials", "scope", "api"))
                .statusCode())
        .isEqualTo(401);
    assertThat(
            new OAuthFixtures(server)
                .postForm(
                    "/token",
                    "cli-guarded",
                    fresh,
                    Map.of("grant_type", "client_credentials", "scope", "api"))
                .statusCode())
        .isEqualTo(200);
  }

  @Test
  void clientsCreateRegistersLogoutMetadata() {
    Run created =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-logout",
            "--name",
            "CLI logout",
            "--redirect-uri",
            "https://cli.example/cb",
            "--grant",
            "authorization_code",
            "--scope",
            "openid",
            "--post-logout-redirect-uri",
            "https://cli.example/bye",
            "--post-logout-redirect-uri",
            "https://cli.example/bye2",
            "--backchannel-logout-uri",
            "https://cli.example/backchannel",
            "--backchannel-logout-session-required",
            "--json");
    assertThat(created.code()).as(created.err()).isZero();
    JsonObject shown = run("clients", "show", "cli-logout", "--json").json();
    assertThat(shown.getJsonArray("post_logout_redirect_uris").getList())
        .containsExactly("https://cli.example/bye", "https://cli.example/bye2");
    assertThat(shown.getString("backchannel_logout_uri"))
        .isEqualTo("https://cli.example/backchannel");
    assertThat(shown.getBoolean("backchannel_logout_session_required")).isTrue();

    Run bad =
        run(
            "clients",
            "create",
            "--name",
            "Bad logout",
            "--redirect-uri",
            "https://cli.example/cb",
            "--backchannel-logout-uri",
            "https://cli.example/bc#fragment");
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("backchannel_logout_uri");
  }

  @Test
  void usersEmailVerifiedSetsTheClaim() {
    Run created =
        runWithInput(
            "a long enough password\n",
            "users",
            "create",
            "vivian",
            "--email",
            "vivian@example.com",
            "--email-verified",
            "--password-stdin",
            "--json");
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.json().getBoolean("email_verified")).isTrue();
    Run unverified = run("users", "email-verified", "vivian", "false");
    assertThat(unverified.code()).as(unverified.err()).isZero();
    assertThat(unverified.out()).contains("The email of vivian is not verified.");
    Run verified = run("users", "email-verified", "vivian", "--json");
    assertThat(verified.json().getBoolean("email_verified")).isTrue();

    runWithInput("a long enough password\n", "users", "create", "walt", "--password-stdin");
    Run none = run("users", "email-verified", "walt");
    assertThat(none.code()).isNotZero();
    assertThat(none.err()).contains("email_verified");
  }

  @Test
  void aPublicClientHasNoSecretAndErrorsAreOneLine() {
    Run pub =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-native",
            "--name",
            "Native",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--json");
    assertThat(pub.code()).as(pub.err()).isZero();
    assertThat(pub.json().getString("token_endpoint_auth_method")).isEqualTo("none");
    assertThat(pub.json().containsKey("client_secret")).isFalse();

    // The per-client access token choices: set at registration, shown by show (default jwt /
    // ES256).
    Run svc =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-svc",
            "--name",
            "Service",
            "--grant",
            "client_credentials",
            "--scope",
            "api",
            "--access-token-format",
            "opaque",
            "--access-token-signing-alg",
            "RS256",
            "--json");
    assertThat(svc.code()).as(svc.err()).isZero();
    Run svcShown = run("clients", "show", "cli-svc");
    assertThat(lineValue(svcShown.out(), "access_token_format")).isEqualTo("opaque");
    assertThat(lineValue(svcShown.out(), "access_token_signing_alg")).isEqualTo("RS256");
    Run pubShown = run("clients", "show", "cli-native", "--json");
    assertThat(pubShown.json().getString("access_token_format")).isEqualTo("jwt");
    assertThat(pubShown.json().getString("access_token_signing_alg")).isEqualTo("ES256");
    // The device authorization grant by its short name: a TV needs no redirect URI.
    Run tv =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-tv",
            "--name",
            "TV",
            "--public",
            "--grant",
            "device_code",
            "--grant",
            "refresh_token",
            "--scope",
            "openid offline_access",
            "--json");
    assertThat(tv.code()).as(tv.err()).isZero();
    assertThat(run("clients", "show", "cli-tv", "--json").json().getJsonArray("grant_types"))
        .containsExactlyInAnyOrder("urn:ietf:params:oauth:grant-type:device_code", "refresh_token");
    Run badFormat =
        run(
            "clients",
            "create",
            "--name",
            "Bad format",
            "--grant",
            "client_credentials",
            "--access-token-format",
            "paper");
    assertThat(badFormat.code()).isEqualTo(CliFailure.INVALID);
    assertThat(badFormat.err()).contains("access_token_format");

    Run bad = run("clients", "create", "--name", "Bad", "--redirect-uri", "http://evil.example/cb");
    assertThat(bad.code()).isEqualTo(CliFailure.INVALID);
    assertThat(bad.err().strip())
        .startsWith("grantry: redirect URI 'http://evil.example/cb' must use https")
        .doesNotContain("\n");

    Run duplicate =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-native",
            "--name",
            "Again",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/callback");
    assertThat(duplicate.code()).isEqualTo(CliFailure.CONFLICT);
    assertThat(duplicate.err()).contains("client_id is taken");
    // Client ids are unique regardless of case: the same conflict, the same exit code.
    Run shouting =
        run(
            "clients",
            "create",
            "--client-id",
            "CLI-NATIVE",
            "--name",
            "Look-alike",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/callback");
    assertThat(shouting.code()).isEqualTo(CliFailure.CONFLICT);
    assertThat(shouting.err().strip())
        .isEqualTo("grantry: client_id is taken (client ids are unique regardless of case)");

    Run missing = run("clients", "show", "no-such-client");
    assertThat(missing.code()).isEqualTo(3);
    assertThat(missing.err().strip()).isEqualTo("grantry: client 'no-such-client' does not exist");
  }

  @Test
  void aPrivateKeyJwtClientRegistersItsPublicKeysFromAFileAndGetsNoSecret() throws Exception {
    java.nio.file.Path keys = java.nio.file.Files.createTempFile("jwks", ".json");
    java.nio.file.Files.writeString(
        keys,
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\","
            + "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
            + "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}");
    Run pkj =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-keys",
            "--name",
            "Signs",
            "--grant",
            "client_credentials",
            "--scope",
            "api",
            "--auth-method",
            "private_key_jwt",
            "--jwks",
            keys.toString(),
            "--token-endpoint-auth-signing-alg",
            "ES256",
            "--json");
    assertThat(pkj.code()).as(pkj.err()).isZero();
    assertThat(pkj.json().containsKey("client_secret")).isFalse();
    assertThat(pkj.json().getJsonObject("jwks").getJsonArray("keys")).hasSize(1);
    assertThat(pkj.json().getString("token_endpoint_auth_signing_alg")).isEqualTo("ES256");
    Run noKeys =
        run(
            "clients",
            "create",
            "--name",
            "No keys",
            "--grant",
            "client_credentials",
            "--auth-method",
            "private_key_jwt");
    assertThat(noKeys.code()).isEqualTo(CliFailure.INVALID);
    assertThat(noKeys.err()).contains("jwks");
    Run unreadable =
        run("clients", "create", "--name", "x", "--jwks", keys.toString() + ".missing");
    assertThat(unreadable.code()).isEqualTo(2);
    assertThat(unreadable.err()).contains("--jwks");
    // The FAPI 2.0 profile and DPoP-bound tokens (issue 18).
    Run fapi =
        run(
            "clients",
            "create",
            "--client-id",
            "cli-bank",
            "--name",
            "Bank",
            "--grant",
            "authorization_code",
            "--redirect-uri",
            "https://bank.example.com/cb",
            "--scope",
            "openid",
            "--auth-method",
            "private_key_jwt",
            "--jwks",
            keys.toString(),
            "--dpop-bound",
            "--profile",
            "fapi2",
            "--json");
    assertThat(fapi.code()).as(fapi.err()).isZero();
    assertThat(fapi.json().getString("profile")).isEqualTo("fapi2");
    assertThat(fapi.json().getBoolean("dpop_bound_access_tokens")).isTrue();
    Run fapiWithSecret =
        run(
            "clients",
            "create",
            "--name",
            "Bank with a secret",
            "--grant",
            "authorization_code",
            "--redirect-uri",
            "https://bank.example.com/cb",
            "--profile",
            "fapi2");
    assertThat(fapiWithSecret.code()).isEqualTo(CliFailure.INVALID);
    assertThat(fapiWithSecret.err()).contains("private_key_jwt");
  }

  @Test
  void usersCreateListSetPasswordAndDisable() {
    Run created =
        runWithInput(
            "first password 1\n",
            "users",
            "create",
            "Olivia",
            "--email",
            "olivia@example.com",
            "--password-stdin");
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.out())
        .contains("Olivia")
        .contains("olivia@example.com")
        .doesNotContain("first password");
    String userId = lineValue(created.out(), "user_id");

    Run generated = run("users", "create", "peggy", "--generate-password", "--json");
    assertThat(generated.code()).as(generated.err()).isZero();
    assertThat(generated.json().getString("password")).hasSizeGreaterThanOrEqualTo(20);

    Run taken = runWithInput("another password\n", "users", "create", "OLIVIA", "--password-stdin");
    assertThat(taken.code()).isEqualTo(CliFailure.CONFLICT);
    assertThat(taken.err().strip()).isEqualTo("grantry: username is taken");

    Run list = run("users", "list");
    assertThat(list.code()).isZero();
    assertThat(list.out())
        .startsWith("USER_ID")
        .contains("Olivia")
        .contains(userId)
        .contains("peggy");

    Run page = run("users", "list", "--limit", "1", "--json");
    assertThat(page.json().getJsonArray("items")).hasSize(1);
    assertThat(page.json().getString("next_cursor")).isNotNull();

    Run byName =
        runWithInput("second password 2\n", "users", "set-password", "olivia", "--password-stdin");
    assertThat(byName.code()).as(byName.err()).isZero();
    assertThat(byName.out()).contains("Password of Olivia set");
    Run weak = runWithInput("short\n", "users", "set-password", userId, "--password-stdin");
    assertThat(weak.code()).isEqualTo(CliFailure.INVALID);
    assertThat(weak.err())
        .contains("password must be at least 8 characters")
        .doesNotContain("short\n");

    Run disabled = run("users", "disable", userId);
    assertThat(disabled.code()).as(disabled.err()).isZero();
    assertThat(disabled.out()).contains("Olivia").contains("is disabled");
    Run users = run("users", "list", "--json");
    JsonArray items = users.json().getJsonArray("items");
    JsonObject olivia =
        items.stream()
            .map(o -> (JsonObject) o)
            .filter(u -> u.getString("user_id").equals(userId))
            .findFirst()
            .orElseThrow();
    assertThat(olivia.getBoolean("disabled")).isTrue();

    Run nobody = run("users", "disable", "nobody-at-all");
    assertThat(nobody.code()).isEqualTo(3);
    Run noPassword = run("users", "create", "quentin");
    assertThat(noPassword.code()).isEqualTo(2);
    assertThat(noPassword.err()).contains("--password-stdin");
  }

  @Test
  void usersSessionsListsAndEndSessionsEndsThem() {
    OAuthFixtures fx = new OAuthFixtures(server);
    fx.confidentialClient("cli-sessions", "https://app.example.test/cb", "openid");
    fx.user("sia", "correct horse battery");
    String query =
        "response_type=code&client_id=cli-sessions&redirect_uri="
            + OAuthFixtures.enc("https://app.example.test/cb")
            + "&scope=openid&state=s";
    OAuthFixtures.Browser one = fx.browser();
    OAuthFixtures.Browser two = fx.browser();
    assertThat(one.authorize(query, "sia", "correct horse battery")).containsKey("code");
    assertThat(two.authorize(query, "sia", "correct horse battery")).containsKey("code");

    Run listed = run("users", "sessions", "sia", "--json");
    assertThat(listed.code()).as(listed.err()).isZero();
    JsonArray items = listed.json().getJsonArray("items");
    assertThat(items).hasSize(2);
    String newest = items.getJsonObject(0).getString("session_id");
    Run table = run("users", "sessions", "sia");
    assertThat(table.out()).contains("SESSION_ID", newest, "127.0.0.1");

    Run one1 = run("users", "end-sessions", "sia", "--session", newest);
    assertThat(one1.code()).as(one1.err()).isZero();
    assertThat(one1.out()).contains("Session " + newest + " ended.");
    assertThat(run("users", "sessions", "sia", "--json").json().getJsonArray("items")).hasSize(1);
    Run all = run("users", "end-sessions", "sia");
    assertThat(all.out()).contains("Ended 1 session(s).");
    assertThat(run("users", "sessions", "sia").out()).contains("None.");
    // The browsers are signed out on the server: a silent authorization needs a sign-in.
    String silent =
        one.get("/authorize?" + query + "&prompt=none")
            .headers()
            .firstValue("Location")
            .orElseThrow();
    assertThat(silent).contains("error=login_required");
    assertThat(run("users", "sessions", "nobody-at-all").code()).isEqualTo(3);
  }

  @Test
  void keysListAndRotate() {
    Run before = run("keys", "list", "--json");
    assertThat(before.code()).as(before.err()).isZero();
    JsonArray keys = before.json().getJsonArray("items");
    assertThat(keys.stream().map(o -> ((JsonObject) o).getString("alg")))
        .contains("ES256", "RS256");

    Run table = run("keys", "list");
    assertThat(table.out()).startsWith("KID").contains("active");

    Run rotated = run("keys", "rotate", "--alg", "RS256", "--overlap", "2h", "--json");
    assertThat(rotated.code()).as(rotated.err()).isZero();
    String kid = rotated.json().getString("kid");
    assertThat(rotated.json().getString("status")).isEqualTo("active");
    Run after = run("keys", "list");
    assertThat(after.out()).contains(kid).contains("retired");

    Run bad = run("keys", "rotate", "--alg", "RS256", "--overlap", "soon");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--overlap must be a duration");
  }

  @Test
  void aWrongTokenOrNoServerIsSaidPlainly() {
    Run wrong = run("clients", "list", "--token", "not-the-token");
    assertThat(wrong.code()).isEqualTo(CliFailure.UNAUTHORIZED);
    assertThat(wrong.err().strip())
        .isEqualTo(
            "grantry: the admin API refused the token (check --token or GRANTRY_ADMIN_TOKEN)");

    Map<String, String> saved = CliSupport.env;
    try {
      CliSupport.env = Map.of("GRANTRY_ADMIN_URL", "http://127.0.0.1:" + freePort());
      Run noToken = run("clients", "list");
      assertThat(noToken.code()).isEqualTo(2);
      assertThat(noToken.err()).contains("no admin token");
      Run noServer = run("clients", "list", "--token", "x");
      assertThat(noServer.code()).isEqualTo(CliFailure.UNREACHABLE);
      assertThat(noServer.err()).contains("cannot reach the admin API");
    } finally {
      CliSupport.env = saved;
    }
  }

  private static int freePort() {
    try {
      return TestServer.freePort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The value of a {@code field value} line of the human output. */
  private static String lineValue(String out, String field) {
    for (String line : out.split("\n")) {
      String[] parts = line.strip().split("\\s+", 2);
      if (parts.length == 2 && parts[0].equals(field)) {
        return parts[1].strip();
      }
    }
    throw new AssertionError("no line '" + field + "' in:\n" + out);
  }
}
