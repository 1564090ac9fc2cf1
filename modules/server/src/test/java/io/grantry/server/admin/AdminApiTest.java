package io.grantry.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.client.GrantType;
import io.grantry.server.testing.AdminHttp;
import io.grantry.server.testing.AdminHttp.Response;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdminApiTest {
  static TestServer server;
  static AdminHttp admin;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    admin = new AdminHttp(server);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static JsonObject webClient(String id) {
    return new JsonObject()
        .put("client_id", id)
        .put("client_name", "Web " + id)
        .put("redirect_uris", new JsonArray().add("https://app.example/callback"))
        .put("grant_types", new JsonArray().add("authorization_code").add("refresh_token"))
        .put("scope", "openid profile offline_access");
  }

  // ---------------------------------------------------------------- authentication

  @Test
  void withoutATokenEveryAdminPathIs401WithABearerChallenge() {
    for (String path :
        List.of(
            "/admin/clients",
            "/admin/users",
            "/admin/keys",
            "/admin/openapi.json",
            "/admin/nothing-here")) {
      Response r = admin.send("GET", path, null, null);
      assertThat(r.status()).as(path).isEqualTo(401);
      assertThat(r.header("WWW-Authenticate"))
          .as(path)
          .startsWith("Bearer realm=")
          .doesNotContain("error=");
      assertThat(r.json().getString("error")).isEqualTo("unauthorized");
    }
  }

  @Test
  void aWrongTokenIs401InvalidTokenAndNothingIsWritten() {
    Response wrong =
        admin.send(
            "POST", "/admin/clients", webClient("sneaky").encode(), TestServer.ADMIN_TOKEN + "x");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.header("WWW-Authenticate"))
        .startsWith("Bearer ")
        .contains("error=\"invalid_token\"");
    String basicCredentials =
        Base64.getEncoder().encodeToString(("admin:" + TestServer.ADMIN_TOKEN).getBytes());
    Response basic =
        admin.sendWithAuthorization("GET", "/admin/clients", null, "Basic " + basicCredentials);
    assertThat(basic.status()).isEqualTo(401);
    Response lowerCase =
        admin.sendWithAuthorization(
            "GET", "/admin/clients", null, "bearer " + TestServer.ADMIN_TOKEN);
    assertThat(lowerCase.status()).isEqualTo(200);
    assertThat(admin.get("/admin/clients/sneaky").status()).isEqualTo(404);
  }

  @Test
  void theRightTokenIs200() {
    Response r = admin.get("/admin/clients");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    assertThat(r.header("X-Request-Id")).isNotBlank();
  }

  @Test
  void withNoAdminTokenConfiguredEveryRequestIs401() throws Exception {
    try (TestServer closed = TestServer.start(Map.of("GRANTRY_ADMIN_TOKEN", ""))) {
      AdminHttp other = new AdminHttp(closed);
      for (String token : new String[] {null, "", TestServer.ADMIN_TOKEN}) {
        Response r = other.send("GET", "/admin/clients", null, token);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
      }
    }
  }

  // ---------------------------------------------------------------- contract

  /**
   * What a client generator or a validator reads: the contract as written, with its {@code $ref}s,
   * not the library's resolved copy (which carried an {@code __absolute_uri__} key in every inlined
   * schema), and a document that the OpenAPI 3.1 JSON Schema accepts (vertx-openapi validates a
   * contract against the specification's published schema before it builds anything from it).
   */
  @Test
  void theServedContractIsTheFileAsWrittenAndAValidOpenApi31Document() throws Exception {
    String body = admin.get("/admin/openapi.json").body();
    assertThat(body).doesNotContain("__absolute_uri__").contains("\"$ref\":\"#/components/");
    JsonObject served = new JsonObject(body);
    JsonObject file = AdminApi.contractFile();
    assertThat(served.copy().put("servers", file.getValue("servers"))).isEqualTo(file);
    assertThat(
            served
                .getJsonObject("paths")
                .getJsonObject("/clients")
                .getJsonObject("post")
                .getJsonObject("responses")
                .fieldNames())
        .contains("201");

    // A comma inside an unquoted flow-mapping value ({description: a, b}) silently makes "b" a key
    // with no value: the schema validator allows unknown keywords, so look for them here.
    assertThat(keysWithoutValue(served, "")).isEmpty();

    OpenAPIContract parsed =
        OpenAPIContract.from(server.vertx, served)
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertThat(parsed.operation("createClient")).isNotNull();
  }

  /**
   * Every kind of grant the token-state tables hold (a grant type's wire name: codes,
   * client_credentials, device grants, token exchanges) is one the contract lets a grant, an as-of
   * grant and a token name: a generated client must not choke on a grant the server lists.
   */
  @Test
  void theContractNamesEveryKindOfGrantTheServerLists() throws Exception {
    JsonObject schemas =
        AdminApi.contractFile().getJsonObject("components").getJsonObject("schemas");
    List<String> kinds =
        List.of(
            GrantType.AUTHORIZATION_CODE.wire(),
            GrantType.CLIENT_CREDENTIALS.wire(),
            GrantType.DEVICE_CODE.wire(),
            GrantType.TOKEN_EXCHANGE.wire());
    JsonObject grant = schemas.getJsonObject("Grant").getJsonObject("properties");
    assertThat(grant.getJsonObject("grant_type").getJsonArray("enum").getList())
        .as("Grant.grant_type")
        .containsAll(kinds);
    JsonObject token = schemas.getJsonObject("Token").getJsonObject("properties");
    assertThat(token.getJsonObject("grant_type").getJsonArray("enum").getList())
        .as("Token.grant_type")
        .containsAll(kinds);
    JsonObject asOfGrant =
        schemas
            .getJsonObject("AsOf")
            .getJsonObject("properties")
            .getJsonObject("grants")
            .getJsonObject("items")
            .getJsonObject("properties");
    assertThat(asOfGrant.getJsonObject("kind").getJsonArray("enum").getList())
        .as("AsOf.grants[].kind")
        .containsAll(kinds);
  }

  static List<String> keysWithoutValue(Object node, String path) {
    List<String> found = new ArrayList<>();
    if (node instanceof JsonObject o) {
      for (String k : o.fieldNames()) {
        if (o.getValue(k) == null) {
          found.add(path + "/" + k);
        } else {
          found.addAll(keysWithoutValue(o.getValue(k), path + "/" + k));
        }
      }
    } else if (node instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        found.addAll(keysWithoutValue(a.getValue(i), path + "[" + i + "]"));
      }
    }
    return found;
  }

  @Test
  void theContractIsServedAsJsonNamingThisServer() {
    Response r = admin.get("/admin/openapi.json");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    JsonObject doc = r.json();
    assertThat(doc.getString("openapi")).isEqualTo("3.1.0");
    assertThat(doc.getJsonArray("servers").getJsonObject(0).getString("url"))
        .isEqualTo(server.server.config().issuer() + "/admin");
    assertThat(doc.getJsonObject("paths").fieldNames())
        .contains(
            "/clients",
            "/clients/{client_id}",
            "/clients/{client_id}/rotate-secret",
            "/users",
            "/keys/rotate");
  }

  @Test
  void aBodyThatViolatesTheSchemaIs400FromTheLibraryNamingTheField() {
    Response unknown =
        admin.post(
            "/admin/clients", webClient("typo").put("redirect_uri", "https://app.example/cb"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().getString("field")).isEqualTo("redirect_uri");
    assertThat(unknown.json().getString("error")).isEqualTo("invalid_request");

    Response wrongType =
        admin.post("/admin/clients", webClient("typed").put("skip_consent", "yes"));
    assertThat(wrongType.status()).isEqualTo(400);
    assertThat(wrongType.json().getString("field")).isEqualTo("skip_consent");

    Response missing =
        admin.post("/admin/clients", new JsonObject().put("redirect_uris", new JsonArray()));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().getString("field")).isEqualTo("client_name");

    Response badEnum =
        admin.post(
            "/admin/clients",
            webClient("enum").put("grant_types", new JsonArray().add("password")));
    assertThat(badEnum.status()).isEqualTo(400);
    assertThat(badEnum.json().getString("field")).isEqualTo("grant_types");

    Response notJson =
        admin.send("POST", "/admin/clients", "{\"client_name\": ", TestServer.ADMIN_TOKEN);
    assertThat(notJson.status()).isEqualTo(400);
    Response noBody = admin.send("POST", "/admin/users", null, TestServer.ADMIN_TOKEN);
    assertThat(noBody.status()).isEqualTo(400);

    Response badQuery = admin.get("/admin/clients?limit=1000");
    assertThat(badQuery.status()).isEqualTo(400);
    assertThat(badQuery.json().getString("field")).isEqualTo("limit");
    Response badPath = admin.get("/admin/clients/no%20spaces");
    assertThat(badPath.status()).isEqualTo(400);
    assertThat(badPath.json().getString("field")).isEqualTo("client_id");
    assertThat(admin.get("/admin/clients?cursor=bm9wZQ").status()).isEqualTo(200);
    assertThat(admin.get("/admin/clients?cursor=_w").json().getString("field")).isEqualTo("cursor");
  }

  @Test
  void badInputIsA4xxNeverA5xx() {
    List<Response> answers = new ArrayList<>();
    answers.add(admin.send("POST", "/admin/clients", "[1, 2]", TestServer.ADMIN_TOKEN));
    answers.add(admin.send("POST", "/admin/clients", "null", TestServer.ADMIN_TOKEN));
    answers.add(admin.send("POST", "/admin/clients", "\"text\"", TestServer.ADMIN_TOKEN));
    answers.add(
        admin.post("/admin/clients", webClient("big").put("client_name", "x".repeat(70_000))));
    answers.add(admin.post("/admin/clients", webClient("scope").put("scope", "openid  profile")));
    answers.add(admin.post("/admin/clients", webClient("scope2").put("scope", "a\"b")));
    answers.add(
        admin.post("/admin/clients", webClient("logo").put("logo_uri", "javascript:alert(1)")));
    answers.add(admin.post("/admin/clients", webClient("blank").put("client_name", "   ")));
    answers.add(admin.post("/admin/clients", webClient("ctl").put("client_name", "bad\u0000name")));
    answers.add(
        admin.post("/admin/clients", webClient("resp").put("response_types", new JsonArray())));
    answers.add(
        admin.post(
            "/admin/clients",
            webClient("cc").put("grant_types", new JsonArray().add("refresh_token"))));
    answers.add(
        admin.post(
            "/admin/clients",
            webClient("many")
                .put(
                    "redirect_uris",
                    new JsonArray(Collections.nCopies(21, "https://a.example/cb")))));
    answers.add(
        admin.post("/admin/clients/x/rotate-secret", new JsonObject().put("grace_seconds", 1.5)));
    answers.add(
        admin.post("/admin/clients/x/rotate-secret", new JsonObject().put("grace_seconds", -1)));
    answers.add(admin.get("/admin/clients?limit=99999999999999"));
    answers.add(admin.get("/admin/clients?cursor=" + "A".repeat(401)));
    answers.add(admin.get("/admin/users/" + "u".repeat(200)));
    answers.add(
        admin.post(
            "/admin/users",
            new JsonObject().put("username", "ok-name").put("password", "p".repeat(2000))));
    answers.add(
        admin.post(
            "/admin/users",
            new JsonObject()
                .put("username", "ok-name")
                .put("password", "long enough pw")
                .put("name", "tab\tname")));
    answers.add(
        admin.post(
            "/admin/keys/rotate",
            new JsonObject().put("alg", "ES256").put("overlap_seconds", 10_000_000_000L)));
    answers.add(
        admin.send(
            "PUT",
            "/admin/users/x/password",
            "{\"password\": \"unterminated",
            TestServer.ADMIN_TOKEN));
    for (String contentType : List.of("text/plain", "application/x-www-form-urlencoded")) {
      HttpResponse<String> raw = rawPost("/admin/clients", contentType, webClient("ct").encode());
      assertThat(raw.statusCode()).as(contentType + ": " + raw.body()).isEqualTo(400);
    }
    for (Response r : answers) {
      assertThat(r.status()).as(r.body()).isBetween(400, 499);
      assertThat(r.json().getString("error_description")).isNotBlank();
    }
    assertThat(answers.get(3).status()).isEqualTo(413);
    assertThat(answers.get(4).json().getString("field")).isEqualTo("scope");
    assertThat(answers.get(6).json().getString("field")).isEqualTo("logo_uri");
    assertThat(answers.get(9).json().getString("field")).isEqualTo("response_types");
  }

  private static HttpResponse<String> rawPost(String path, String contentType, String body) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create(server.url(path)))
                  .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                  .header("Content-Type", contentType)
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * RFC 9457 problem details, and a body with four mistakes gets all four named, each once, with
   * where it is and what is wrong, never what was sent.
   */
  @Test
  void everyInvalidFieldIsListedInAProblemDocument() {
    Response r =
        admin.post(
            "/admin/clients",
            webClient("many-wrongs")
                .put("redirect_uri", "https://secret-value.example/cb")
                .put("skip_consent", "sometimes")
                .put("client_name", "n".repeat(101))
                .put("grant_types", new JsonArray().add("authorization_code").add("password")));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    JsonObject problem = r.json();
    assertThat(problem.getString("type")).isEqualTo("about:blank");
    assertThat(problem.getString("title")).isEqualTo("Bad Request");
    assertThat(problem.getInteger("status")).isEqualTo(400);
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(problem.getString("error")).isEqualTo("invalid_request");
    List<String> fields = new ArrayList<>();
    Map<String, String> pointers = new java.util.HashMap<>();
    for (Object o : problem.getJsonArray("errors")) {
      JsonObject e = (JsonObject) o;
      fields.add(e.getString("field"));
      pointers.put(e.getString("field"), e.getString("pointer"));
      assertThat(e.getString("detail")).startsWith(e.getString("field") + " ");
    }
    assertThat(fields)
        .containsExactlyInAnyOrder("redirect_uri", "skip_consent", "client_name", "grant_types");
    assertThat(pointers.get("grant_types")).isEqualTo("/grant_types/1");
    assertThat(pointers.get("skip_consent")).isEqualTo("/skip_consent");
    assertThat(problem.getString("detail"))
        .contains("redirect_uri is not a known field")
        .contains("skip_consent must be of type boolean")
        .contains("client_name is too long");
    assertThat(r.body()).doesNotContain("secret-value").doesNotContain("sometimes");

    Response twoMissing = admin.post("/admin/users", new JsonObject());
    assertThat(twoMissing.status()).isEqualTo(400);
    assertThat(
            twoMissing.json().getJsonArray("errors").stream()
                .map(e -> ((JsonObject) e).getString("field")))
        .containsExactlyInAnyOrder("username", "password");

    Response domain =
        admin.post(
            "/admin/clients",
            webClient("domain-wrong")
                .put("redirect_uris", new JsonArray().add("http://a.example/cb")));
    assertThat(domain.status()).isEqualTo(400);
    assertThat(domain.header("Content-Type")).startsWith("application/problem+json");
    assertThat(domain.json().getJsonArray("errors").getJsonObject(0).getString("field"))
        .isEqualTo("redirect_uris");

    Response missing = admin.get("/admin/clients/nobody-at-all");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.header("Content-Type")).startsWith("application/problem+json");
    assertThat(missing.json().getString("title")).isEqualTo("Not Found");
    assertThat(missing.json().getString("request_id")).isEqualTo(missing.header("X-Request-Id"));
  }

  @Test
  void aMethodAPathDoesNotHaveIs405WithAllow() {
    Map<String, String> expected =
        Map.of(
            "DELETE /admin/clients", "GET, POST",
            "DELETE /admin/clients/demo-web", "GET, PATCH, PUT",
            "GET /admin/clients/demo-web/disable", "POST",
            "POST /admin/keys", "GET",
            "PUT /admin/users/anyone", "GET");
    expected.forEach(
        (request, allow) -> {
          String[] parts = request.split(" ");
          Response r = admin.send(parts[0], parts[1], null, TestServer.ADMIN_TOKEN);
          assertThat(r.status()).as(request + ": " + r.body()).isEqualTo(405);
          assertThat(r.header("Allow")).as(request).isEqualTo(allow);
          assertThat(r.header("Content-Type")).startsWith("application/problem+json");
          assertThat(r.json().getInteger("status")).isEqualTo(405);
        });
    Response unknown = admin.send("DELETE", "/admin/nothing-here", null, TestServer.ADMIN_TOKEN);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.header("Allow")).isNull();
    // Without the token nothing is said about which methods exist.
    Response anonymous = admin.send("DELETE", "/admin/clients", null, null);
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.header("Allow")).isNull();
  }

  @Test
  void aValidationMessageNeverRepeatsThePassword() {
    Response r =
        admin.post(
            "/admin/users", new JsonObject().put("username", "echo").put("password", "short7!"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getString("field")).isEqualTo("password");
    assertThat(r.body()).doesNotContain("short7!");
    Response extra =
        admin.post(
            "/admin/users",
            new JsonObject()
                .put("username", "echo")
                .put("password", "long enough 1")
                .put("pasword", "long enough 2"));
    assertThat(extra.status()).isEqualTo(400);
    assertThat(extra.body()).doesNotContain("long enough");
  }

  // ---------------------------------------------------------------- clients

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://app.example/cb#fragment",
        "https://*.example.com/cb",
        "https://app.example/*",
        "http://app.example/cb",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/relative/cb",
        "cb",
        "https://user@app.example/cb",
      })
  void eachBadRedirectUriClassIsRefusedNamingRedirectUris(String uri) {
    Response r =
        admin.post(
            "/admin/clients",
            webClient("bad-" + Integer.toHexString(uri.hashCode()))
                .put("redirect_uris", new JsonArray().add("https://app.example/ok").add(uri)));
    assertThat(r.status()).as(uri).isEqualTo(400);
    assertThat(r.json().getString("field")).as(uri).isEqualTo("redirect_uris");
    assertThat(r.json().getString("error_description")).as(uri).isNotBlank();
  }

  @Test
  void loopbackAndReverseDomainRedirectUrisAreAccepted() {
    Response r =
        admin.post(
            "/admin/clients",
            new JsonObject()
                .put("client_id", "native-ok")
                .put("client_name", "Native")
                .put("token_endpoint_auth_method", "none")
                .put(
                    "redirect_uris",
                    new JsonArray()
                        .add("http://127.0.0.1/callback")
                        .add("http://localhost:8081/cb")
                        .add("com.example.app:/oauth2redirect")));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().getString("client_type")).isEqualTo("public");
    assertThat(r.json().containsKey("client_secret")).isFalse();
  }

  @Test
  void aPublicClientWithASecretAuthMethodIsRefused() {
    Response r =
        admin.post(
            "/admin/clients",
            webClient("public-basic")
                .put("client_type", "public")
                .put("token_endpoint_auth_method", "client_secret_basic"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getString("field")).isEqualTo("token_endpoint_auth_method");
    Response confidentialNone =
        admin.post(
            "/admin/clients",
            webClient("conf-none")
                .put("client_type", "confidential")
                .put("token_endpoint_auth_method", "none"));
    assertThat(confidentialNone.status()).isEqualTo(400);
    assertThat(confidentialNone.json().getString("field")).isEqualTo("token_endpoint_auth_method");
  }

  @Test
  void aDuplicateClientIdIs409() {
    assertThat(admin.post("/admin/clients", webClient("twice")).status()).isEqualTo(201);
    Response again = admin.post("/admin/clients", webClient("twice").put("client_name", "Other"));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().getString("field")).isEqualTo("client_id");
    assertThat(admin.get("/admin/clients/twice").json().getString("client_name"))
        .isEqualTo("Web twice");
  }

  @Test
  void aClientIdIsTakenRegardlessOfCase() {
    assertThat(admin.post("/admin/clients", webClient("Mixed-Case")).status()).isEqualTo(201);
    for (String id : List.of("mixed-case", "MIXED-CASE", "Mixed-Case")) {
      Response r = admin.post("/admin/clients", webClient(id));
      assertThat(r.status()).as(id).isEqualTo(409);
      assertThat(r.json().getString("field")).isEqualTo("client_id");
      assertThat(r.json().getString("error_description")).contains("taken");
      assertThat(admin.get("/admin/clients/" + id).status())
          .as(id)
          .isEqualTo(id.equals("Mixed-Case") ? 200 : 404);
    }
  }

  @Test
  void aConfidentialClientGetsItsSecretOnceAndAGeneratedIdWhenNoneIsGiven() {
    JsonObject body = webClient("x");
    body.remove("client_id");
    Response generated = admin.post("/admin/clients", body);
    assertThat(generated.status()).isEqualTo(201);
    String id = generated.json().getString("client_id");
    assertThat(id).matches("[a-z0-9]{20}");
    assertThat(generated.json().getString("client_secret")).hasSizeGreaterThanOrEqualTo(43);
    assertThat(generated.json().getString("client_type")).isEqualTo("confidential");
    assertThat(generated.json().getString("token_endpoint_auth_method"))
        .isEqualTo("client_secret_basic");
    assertThat(generated.json().getJsonArray("response_types")).containsExactly("code");
    Response shown = admin.get("/admin/clients/" + id);
    assertThat(shown.status()).isEqualTo(200);
    assertThat(shown.json().containsKey("client_secret")).isFalse();
    assertThat(shown.body()).doesNotContain("hmac-sha256").doesNotContain("secret_hash");
  }

  @Test
  void updateRotateAndDisableAClient() throws Exception {
    JsonObject created = admin.post("/admin/clients", webClient("lifecycle")).json();
    String firstSecret = created.getString("client_secret");

    Response updated =
        admin.put(
            "/admin/clients/lifecycle",
            new JsonObject()
                .put("client_name", "Renamed")
                .put("redirect_uris", new JsonArray().add("https://app.example/new"))
                .put("scope", "openid email")
                .put("skip_consent", true));
    assertThat(updated.status()).as(updated.body()).isEqualTo(200);
    assertThat(updated.json().getString("client_name")).isEqualTo("Renamed");
    assertThat(updated.json().getJsonArray("redirect_uris"))
        .containsExactly("https://app.example/new");
    assertThat(updated.json().getString("scope")).isEqualTo("email openid");
    assertThat(updated.json().getBoolean("skip_consent")).isTrue();
    Response typeChange =
        admin.put(
            "/admin/clients/lifecycle",
            new JsonObject()
                .put("client_name", "Public now")
                .put("token_endpoint_auth_method", "none")
                .put("redirect_uris", new JsonArray().add("https://app.example/new")));
    assertThat(typeChange.status()).isEqualTo(400);
    assertThat(typeChange.json().getString("field")).isEqualTo("client_type");

    Response rotated =
        admin.post(
            "/admin/clients/lifecycle/rotate-secret", new JsonObject().put("grace_seconds", 600));
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    assertThat(rotated.json().getString("client_secret"))
        .isNotEqualTo(firstSecret)
        .hasSizeGreaterThanOrEqualTo(43);
    assertThat(rotated.json().getString("previous_secret_valid_until")).isNotBlank();
    Response noBody = admin.post("/admin/clients/lifecycle/rotate-secret", null);
    assertThat(noBody.status()).isEqualTo(200);

    Response disabled = admin.post("/admin/clients/lifecycle/disable", null);
    assertThat(disabled.status()).isEqualTo(200);
    assertThat(disabled.json().getBoolean("disabled")).isTrue();
    assertThat(admin.post("/admin/clients/lifecycle/disable", null).status()).isEqualTo(200);
    assertThat(admin.get("/admin/clients/lifecycle").json().getBoolean("disabled")).isTrue();
    Response rotateDisabled = admin.post("/admin/clients/lifecycle/rotate-secret", null);
    assertThat(rotateDisabled.status()).isEqualTo(409);

    Response publicRotate =
        admin.post(
            "/admin/clients",
            new JsonObject()
                .put("client_id", "pub-rot")
                .put("client_name", "P")
                .put("token_endpoint_auth_method", "none")
                .put("redirect_uris", new JsonArray().add("http://127.0.0.1/cb")));
    assertThat(publicRotate.status()).isEqualTo(201);
    assertThat(admin.post("/admin/clients/pub-rot/rotate-secret", null).status()).isEqualTo(400);

    assertThat(admin.post("/admin/clients/nobody/disable", null).status()).isEqualTo(404);
    assertThat(
            admin
                .put(
                    "/admin/clients/nobody",
                    new JsonObject()
                        .put("client_name", "N")
                        .put("redirect_uris", new JsonArray().add("https://a.example/cb")))
                .status())
        .isEqualTo(404);
  }

  @Test
  void everyAdminEventRecordsTheAdminAndTheRequestId() throws Exception {
    Response r = admin.post("/admin/clients", webClient("audited"));
    String requestId = r.header("X-Request-Id");
    Pool pool =
        PgBuilder.pool().connectingTo(server.db.connectOptions()).using(server.vertx).build();
    try {
      List<Row> rows = new ArrayList<>();
      TestServer.await(
              pool.preparedQuery("SELECT metadata FROM events WHERE stream_id = $1")
                  .execute(Tuple.of("client:audited")))
          .forEach(rows::add);
      assertThat(rows).hasSize(1);
      JsonObject metadata = rows.get(0).getJsonObject(0);
      assertThat(metadata.getString("actor")).isEqualTo("admin");
      assertThat(metadata.getString("request_id")).isEqualTo(requestId);
    } finally {
      TestServer.await(pool.close());
    }
  }

  @Test
  void listsArePaginatedWithACursorThatSkipsAndRepeatsNothing() {
    for (int i = 0; i < 7; i++) {
      assertThat(admin.post("/admin/clients", webClient("page-" + i)).status()).isEqualTo(201);
    }
    List<String> all = new ArrayList<>();
    admin
        .get("/admin/clients?limit=200")
        .items()
        .forEach(o -> all.add(((JsonObject) o).getString("client_id")));
    List<String> paged = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Response r =
          admin.get("/admin/clients?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.items().size()).isLessThanOrEqualTo(2);
      r.items().forEach(o -> paged.add(((JsonObject) o).getString("client_id")));
      cursor = r.json().getString("next_cursor");
      pages++;
    } while (cursor != null && pages < 100);
    assertThat(paged).isEqualTo(all);
    assertThat(new HashSet<>(paged)).hasSize(paged.size());
    assertThat(paged).contains("page-0", "page-6").isSorted();
    assertThat(pages).isGreaterThanOrEqualTo(4);
  }

  // ---------------------------------------------------------------- users

  @Test
  void usersAreCreatedShownListedAndNeverShowAHash() {
    Response created =
        admin.post(
            "/admin/users",
            new JsonObject()
                .put("username", "Carol")
                .put("password", "carol's long password")
                .put("email", "carol@example.com")
                .put("name", "Carol C."));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = created.json().getString("user_id");
    assertThat(created.json().getString("username")).isEqualTo("Carol");
    assertThat(created.body()).doesNotContain("password").doesNotContain("argon2");
    Response shown = admin.get("/admin/users/" + id);
    assertThat(shown.json().getString("email")).isEqualTo("carol@example.com");
    Response byName = admin.get("/admin/users?username=CAROL");
    assertThat(byName.items()).hasSize(1);
    assertThat(byName.items().getJsonObject(0).getString("user_id")).isEqualTo(id);
    assertThat(admin.get("/admin/users?username=nobody").items()).isEmpty();
    assertThat(admin.get("/admin/users/no-such-user").status()).isEqualTo(404);
  }

  @Test
  void aDuplicateUsernameIs409RegardlessOfCase() {
    assertThat(
            admin
                .post(
                    "/admin/users",
                    new JsonObject().put("username", "Dave").put("password", "dave password 1"))
                .status())
        .isEqualTo(201);
    for (String name : List.of("Dave", "dave", "DAVE")) {
      Response r =
          admin.post(
              "/admin/users",
              new JsonObject().put("username", name).put("password", "another password"));
      assertThat(r.status()).as(name).isEqualTo(409);
      assertThat(r.json().getString("error_description")).isEqualTo("username is taken");
      assertThat(r.json().getString("field")).isEqualTo("username");
    }
  }

  @Test
  void usersDomainRulesAre400NamingTheField() {
    Response name =
        admin.post(
            "/admin/users",
            new JsonObject().put("username", "bad name").put("password", "long enough pw"));
    assertThat(name.status()).isEqualTo(400);
    assertThat(name.json().getString("field")).isEqualTo("username");
    Response email =
        admin.post(
            "/admin/users",
            new JsonObject()
                .put("username", "erin")
                .put("password", "long enough pw")
                .put("email", "not-an-email"));
    assertThat(email.status()).isEqualTo(400);
    assertThat(email.json().getString("field")).isEqualTo("email");
    // The invalid request took no name: erin is still free.
    assertThat(
            admin
                .post(
                    "/admin/users",
                    new JsonObject().put("username", "erin").put("password", "long enough pw"))
                .status())
        .isEqualTo(201);
  }

  @Test
  void setPasswordAndDisableAUser() {
    String id =
        admin
            .post(
                "/admin/users",
                new JsonObject().put("username", "frank").put("password", "frank password 1"))
            .json()
            .getString("user_id");
    assertThat(
            admin
                .put(
                    "/admin/users/" + id + "/password",
                    new JsonObject().put("password", "frank password 2"))
                .status())
        .isEqualTo(200);
    Response weak =
        admin.put("/admin/users/" + id + "/password", new JsonObject().put("password", "short"));
    assertThat(weak.status()).isEqualTo(400);
    assertThat(weak.json().getString("field")).isEqualTo("password");
    Response disabled = admin.post("/admin/users/" + id + "/disable", null);
    assertThat(disabled.status()).isEqualTo(200);
    assertThat(disabled.json().getBoolean("disabled")).isTrue();
    assertThat(
            admin
                .put(
                    "/admin/users/" + id + "/password",
                    new JsonObject().put("password", "frank password 3"))
                .status())
        .isEqualTo(409);
    assertThat(admin.post("/admin/users/nobody/disable", null).status()).isEqualTo(404);
    assertThat(
            admin
                .put(
                    "/admin/users/nobody/password",
                    new JsonObject().put("password", "some password"))
                .status())
        .isEqualTo(404);
  }

  @Test
  void usersArePaginatedByUsername() {
    for (String n : List.of("page-b", "Page-A", "page-c")) {
      assertThat(
              admin
                  .post(
                      "/admin/users",
                      new JsonObject().put("username", n).put("password", "long enough pw"))
                  .status())
          .isEqualTo(201);
    }
    Set<String> seen = new HashSet<>();
    List<String> order = new ArrayList<>();
    String cursor = null;
    do {
      Response r = admin.get("/admin/users?limit=1" + (cursor == null ? "" : "&cursor=" + cursor));
      r.items().forEach(o -> order.add(((JsonObject) o).getString("username")));
      cursor = r.json().getString("next_cursor");
    } while (cursor != null && order.size() < 100);
    seen.addAll(order);
    assertThat(seen).hasSize(order.size());
    assertThat(order).containsSubsequence("Page-A", "page-b", "page-c");
  }

  // ---------------------------------------------------------------- keys

  @Test
  void keysAreListedAndRotated() {
    Response before = admin.get("/admin/keys");
    assertThat(before.status()).isEqualTo(200);
    String activeEs = activeKid(before.items(), "ES256");
    assertThat(activeEs).isNotNull();
    assertThat(before.body()).doesNotContain("encrypted").doesNotContain("\"d\"");

    Response rotated =
        admin.post(
            "/admin/keys/rotate",
            new JsonObject().put("alg", "ES256").put("overlap_seconds", 7200));
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    String newKid = rotated.json().getString("kid");
    assertThat(newKid).isNotEqualTo(activeEs);
    assertThat(rotated.json().getString("status")).isEqualTo("active");

    JsonArray after = admin.get("/admin/keys").items();
    assertThat(activeKid(after, "ES256")).isEqualTo(newKid);
    JsonObject old = find(after, activeEs);
    assertThat(old.getString("status")).isEqualTo("retired");
    assertThat(old.getBoolean("published")).isTrue();
    assertThat(old.getString("retire_after")).isNotBlank();

    Response bad = admin.post("/admin/keys/rotate", new JsonObject().put("alg", "HS256"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getString("field")).isEqualTo("alg");
  }

  private static String activeKid(JsonArray keys, String alg) {
    for (Object o : keys) {
      JsonObject k = (JsonObject) o;
      if (k.getString("alg").equals(alg) && k.getString("status").equals("active")) {
        return k.getString("kid");
      }
    }
    return null;
  }

  private static JsonObject find(JsonArray keys, String kid) {
    for (Object o : keys) {
      if (((JsonObject) o).getString("kid").equals(kid)) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError("no key " + kid);
  }
}
