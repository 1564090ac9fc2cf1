package io.grantry.server.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.CookieManager;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile input, generated: every OAuth endpoint and the admin API get random and boundary values,
 * repeated parameters, huge values, invalid UTF-8 and broken percent-encodings, wrong content
 * types, JSON where a form is expected and bad Authorization headers, sent as raw bytes over a
 * socket. Whatever comes in, the answer is a 2xx/303 (the input happened to be valid) or a 4xx that
 * is an OAuth error JSON or an HTML page; never a 5xx, a stack trace, input echoed raw into HTML,
 * or a redirect anywhere but a registered redirect URI.
 *
 * <p>Each property runs {@code jqwik.tries.default} tries
 * (src/test/resources/junit-platform.properties: 1,250) of a batch of {@value #BATCH} requests,
 * sent over {@value #CONNECTIONS} keep-alive connections at once: 10,000 requests per endpoint
 * (/authorize twice: GET and POST), 80,000 in all, in about 150 s on two cores shared with a dozen
 * other busy processes (load average 15). Every 303 from /authorize goes to a registered redirect
 * URI and carries {@code iss} (RFC 9207).
 */
class HostileInputTest {
  static final String CB = "https://app.example.test/cb";
  static final String NATIVE_CB = "http://127.0.0.1/callback";
  static final String PASSWORD = "correct horse battery";
  static final String[] MARKERS = {"<script>x</script>", "<b id=hostile>"};
  static final Pattern NATIVE_LOCATION =
      Pattern.compile("^http://127\\.0\\.0\\.1(:\\d+)?/callback\\?.*");

  static TestServer server;
  static String secret;
  static String accessToken;
  static String refreshToken;
  static String sessionCookie;
  static String challenge;

  @BeforeContainer
  static void start() throws Exception {
    server = TestServer.start();
    OAuthFixtures fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("web", CB, "openid profile email offline_access");
    fx.publicClient("native", NATIVE_CB, "openid profile");
    fx.user("ann", PASSWORD);
    OAuthFixtures.Browser browser = fx.browser();
    JsonObject tokens =
        fx.tokens(browser, "web", secret, CB, "openid profile offline_access", "ann", PASSWORD);
    accessToken = tokens.getString("access_token");
    refreshToken = tokens.getString("refresh_token");
    sessionCookie =
        String.join(
            "; ",
            ((CookieManager) browser.http.cookieHandler().orElseThrow())
                .getCookieStore().getCookies().stream()
                    .map(c -> c.getName() + "=" + c.getValue())
                    .toList());
    challenge = OAuthFixtures.Pkce.create().challenge();
  }

  @AfterContainer
  static void stop() throws Exception {
    // The senders end with the class (their keep-alive connections close with the server).
    SENDERS.shutdownNow();
    server.close();
  }

  // ------------------------------------------------------------------ the properties

  @Property
  void authorizeGet(@ForAll("authorizeGetBatch") List<AuthorizeGet> batch) throws Exception {
    run(batch, AuthorizeGet::send, HostileInputTest::checkAuthorize);
  }

  @Property
  void authorizePost(@ForAll("authorizePostBatch") List<Req> batch) throws Exception {
    run(batch, Req::send, HostileInputTest::checkAuthorize);
  }

  @Property
  void token(@ForAll("tokenBatch") List<Req> batch) throws Exception {
    run(batch, Req::send, HostileInputTest::checkOAuthJson);
  }

  @Property
  void revoke(@ForAll("revokeBatch") List<Req> batch) throws Exception {
    run(batch, Req::send, HostileInputTest::checkOAuthJson);
  }

  @Property
  void introspect(@ForAll("introspectBatch") List<Req> batch) throws Exception {
    run(
        batch,
        Req::send,
        (r, req) -> {
          checkOAuthJson(r, req);
          if (r.status() == 200 && !"HEAD".equals(req.method())) {
            assertThat(new JsonObject(r.body()).getValue("active"))
                .as(describe(r, req))
                .isInstanceOf(Boolean.class);
          }
        });
  }

  @Property
  void userinfo(@ForAll("userinfoBatch") List<Req> batch) throws Exception {
    run(
        batch,
        Req::send,
        (r, req) -> {
          checkCommon(r, req);
          assertThat(r.status())
              .as(describe(r, req))
              .isIn(200, 400, 401, 403, 404, 405, 413, 414, 431);
          if (r.status() == 401) {
            assertThat(r.header("WWW-Authenticate")).as(describe(r, req)).startsWith("Bearer");
          }
        });
  }

  @Property
  void admin(@ForAll("adminBatch") List<Req> batch) throws Exception {
    run(
        batch,
        Req::send,
        (r, req) -> {
          checkCommon(r, req);
          if (r.status() >= 400 && !r.body().isEmpty()) {
            assertThat(r.header("Content-Type")).as(describe(r, req)).contains("json");
          }
        });
  }

  // ------------------------------------------------------------------ sending in parallel

  /**
   * Requests per try: each try sends a batch over {@link #CONNECTIONS} keep-alive connections at
   * once.
   */
  static final int BATCH = 8;

  static final int CONNECTIONS = 4;
  static final ExecutorService SENDERS =
      Executors.newFixedThreadPool(
          CONNECTIONS,
          r -> {
            Thread t = new Thread(r, "hostile-sender");
            t.setDaemon(true);
            return t;
          });

  interface Send<T> {
    RawHttp.Response send(T input) throws Exception;
  }

  /**
   * Sends the batch, {@link #CONNECTIONS} requests at a time on the senders' keep-alive
   * connections, then checks every answer against its request on the test thread.
   */
  static <T> void run(List<T> batch, Send<T> send, BiConsumer<RawHttp.Response, T> check)
      throws Exception {
    List<Future<RawHttp.Response>> answers = new ArrayList<>();
    for (T input : batch) {
      answers.add(SENDERS.submit(() -> send.send(input)));
    }
    for (int i = 0; i < batch.size(); i++) {
      RawHttp.Response r;
      try {
        r = answers.get(i).get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError(
            "no answer to " + RawHttp.abbreviate(String.valueOf(batch.get(i))), e.getCause());
      }
      check.accept(r, batch.get(i));
    }
  }

  record AuthorizeGet(Params params, boolean withSession) {
    RawHttp.Response send() throws IOException {
      List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
      if (withSession) {
        headers.add(Map.entry("Cookie", sessionCookie.getBytes(StandardCharsets.US_ASCII)));
      }
      return RawHttp.sendKeepAlive(
          server.port, "GET", concat("/authorize?", params.encoded()), headers, null);
    }

    @Override
    public String toString() {
      return "GET /authorize?" + params + (withSession ? " (signed in)" : "");
    }
  }

  static <T> Arbitrary<List<T>> batches(Arbitrary<T> one) {
    return one.list().ofSize(BATCH);
  }

  @Provide
  Arbitrary<List<AuthorizeGet>> authorizeGetBatch() {
    return batches(
        Combinators.combine(authorizeQuery(), Arbitraries.of(true, false)).as(AuthorizeGet::new));
  }

  @Provide
  Arbitrary<List<Req>> authorizePostBatch() {
    return batches(authorizePostRequest());
  }

  @Provide
  Arbitrary<List<Req>> tokenBatch() {
    return batches(tokenRequest());
  }

  @Provide
  Arbitrary<List<Req>> revokeBatch() {
    return batches(revokeRequest());
  }

  @Provide
  Arbitrary<List<Req>> introspectBatch() {
    return batches(introspectRequest());
  }

  @Provide
  Arbitrary<List<Req>> userinfoBatch() {
    return batches(userinfoRequest());
  }

  @Provide
  Arbitrary<List<Req>> adminBatch() {
    return batches(adminRequest());
  }

  // ------------------------------------------------------------------ limits

  @Example
  void anOversizedTokenIsInactiveAtIntrospection() throws Exception {
    RawHttp.Response r = post("/introspect", basic("web", secret), "token=" + "A".repeat(9_000));
    assertThat(r.status()).as(describe(r, "9 KB token")).isEqualTo(200);
    assertThat(new JsonObject(r.body())).isEqualTo(new JsonObject().put("active", false));
  }

  @Example
  void tooManyFormFieldsAreInvalidRequest() throws Exception {
    StringBuilder form = new StringBuilder("grant_type=client_credentials");
    for (int i = 0; i < 1_000; i++) {
      form.append("&f").append(i).append("=x");
    }
    RawHttp.Response r = post("/token", basic("web", secret), form.toString());
    assertThat(r.status()).as(describe(r, "1,000 fields")).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_request");
  }

  @Example
  void aBodyOverTheLimitIs413() throws Exception {
    RawHttp.Response r =
        post(
            "/token",
            basic("web", secret),
            "grant_type=client_credentials&scope=" + "a".repeat(20_000));
    assertThat(r.status()).as(describe(r, "20 KB body")).isEqualTo(413);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_request");
  }

  @Example
  void headersOverTheLimitAre431() throws Exception {
    RawHttp.Response r =
        RawHttp.send(
            server.port,
            "GET",
            "/health/live".getBytes(StandardCharsets.US_ASCII),
            List.of(Map.entry("X-Big", "a".repeat(20_000).getBytes(StandardCharsets.US_ASCII))),
            null);
    assertThat(r.status()).isEqualTo(431);
  }

  @Example
  void aRequestLineOverTheLimitIs414() throws Exception {
    RawHttp.Response r =
        RawHttp.send(
            server.port,
            "GET",
            ("/authorize?state=" + "a".repeat(9_000)).getBytes(StandardCharsets.US_ASCII),
            List.of(),
            null);
    assertThat(r.status()).isEqualTo(414);
  }

  @Example
  void aBadlyEncodedFormIsInvalidRequest() throws Exception {
    for (String body :
        List.of(
            "grant_type=client_credentials&scope=%zz", "grant_type=%", "grant_type=%C3%28&x=%FF")) {
      RawHttp.Response r = post("/token", basic("web", secret), body);
      assertThat(r.status()).as(describe(r, body)).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_request");
    }
  }

  @Example
  void aRepeatedParameterIsInvalidRequest() throws Exception {
    // RFC 6749 §3.1: request parameters MUST NOT be included more than once.
    for (String[] req :
        List.of(
            new String[] {"/token", "grant_type=client_credentials&grant_type=client_credentials"},
            new String[] {"/token", "grant_type=client_credentials&scope=api&scope=api"},
            new String[] {"/introspect", "token=abc&token=abc"},
            new String[] {"/revoke", "token=abc&token=def"})) {
      RawHttp.Response r = post(req[0], basic("web", secret), req[1]);
      assertThat(r.status()).as(describe(r, req[1])).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error"))
          .as(req[1])
          .isEqualTo("invalid_request");
    }
  }

  @Example
  void aChunkedBodyOverTheLimitIs413() throws Exception {
    // No Content-Length: the limit must hold while the body is read.
    byte[] big =
        ("grant_type=client_credentials&scope=" + "a".repeat(20_000))
            .getBytes(StandardCharsets.US_ASCII);
    RawHttp.Response r =
        RawHttp.sendChunked(
            server.port,
            "POST",
            "/token".getBytes(StandardCharsets.US_ASCII),
            List.of(
                Map.entry("Authorization", basic("web", secret)),
                Map.entry(
                    "Content-Type",
                    "application/x-www-form-urlencoded".getBytes(StandardCharsets.US_ASCII))),
            chunked(big));
    assertThat(r.status()).as(describe(r, "20 KB chunked body")).isEqualTo(413);
  }

  private static byte[] chunked(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.length; i += 4096) {
      int n = Math.min(4096, body.length - i);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, i, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  static RawHttp.Response post(String path, byte[] authorization, String form) throws IOException {
    return RawHttp.send(
        server.port,
        "POST",
        path.getBytes(StandardCharsets.US_ASCII),
        List.of(
            Map.entry("Authorization", authorization),
            Map.entry(
                "Content-Type",
                "application/x-www-form-urlencoded".getBytes(StandardCharsets.US_ASCII))),
        form.getBytes(StandardCharsets.ISO_8859_1));
  }

  // ------------------------------------------------------------------ checks

  /** Token, revocation, introspection: 200 JSON, or a 4xx that is an RFC 6749 §5.2 error. */
  static void checkOAuthJson(RawHttp.Response r, Object input) {
    checkCommon(r, input);
    String d = describe(r, input);
    assertThat(r.status()).as(d).isIn(200, 400, 401, 404, 405, 413, 414, 431);
    assertThat(r.header("Cache-Control")).as(d).isIn("no-store", "");
    if (input instanceof Req req && "HEAD".equals(req.method())) {
      // A response to HEAD carries the headers of the answer but never its body (RFC 9110 §9.3.2).
      assertThat(r.body()).as(d).isEmpty();
      return;
    }
    if (r.status() == 200 || r.status() == 400 || r.status() == 401) {
      assertThat(r.header("Content-Type")).as(d).startsWith("application/json");
      JsonObject body = new JsonObject(r.body());
      if (r.status() != 200) {
        assertThat(body.getString("error")).as(d).matches("[a-z_]+");
      }
    }
  }

  static void checkAuthorize(RawHttp.Response r, Object input) {
    checkCommon(r, input);
    assertThat(r.status()).as(describe(r, input)).isIn(200, 303, 400, 404, 405, 413, 414, 431);
    String location = r.header("Location");
    if (r.status() == 303 || !location.isEmpty()) {
      assertThat(location.startsWith(CB + "?") || NATIVE_LOCATION.matcher(location).matches())
          .as("open redirect: " + describe(r, input))
          .isTrue();
      // Mix-up defence (RFC 9207): every authorization response, success or error, names the
      // issuer.
      assertThat(OAuthFixtures.queryOf(location))
          .as("iss: " + describe(r, input))
          .containsEntry("iss", "http://127.0.0.1:" + server.port);
    }
  }

  static void checkCommon(RawHttp.Response r, Object input) {
    String d = describe(r, input);
    assertThat(r.status()).as(d).isLessThan(500);
    assertThat(r.status() < 300 || r.status() == 303 || (r.status() >= 400 && r.status() < 500))
        .as(d)
        .isTrue();
    assertThat(r.body())
        .as(d)
        .doesNotContain("Exception")
        .doesNotContain("\tat ")
        .doesNotContain("at io.");
    String type = r.header("Content-Type").toLowerCase();
    if (type.contains("html")) {
      for (String m : MARKERS) {
        assertThat(r.body()).as("unescaped: " + d).doesNotContain(m);
      }
    }
    if (type.contains("json") && !r.body().isEmpty()) {
      Object json =
          r.body().trim().startsWith("[") ? new JsonArray(r.body()) : new JsonObject(r.body());
      if (r.status() >= 400 && json instanceof JsonObject o && !type.contains("problem")) {
        assertThat(o.getValue("error")).as(d).isInstanceOf(String.class);
      }
    }
  }

  static String describe(RawHttp.Response r, Object input) {
    return r.status()
        + " "
        + r.headers()
        + " "
        + RawHttp.abbreviate(r.body())
        + " for "
        + RawHttp.abbreviate(String.valueOf(input));
  }

  // ------------------------------------------------------------------ generators

  /** One name=value pair and how it is put on the wire. */
  record Param(String name, String value, Wire wire) {
    byte[] bytes() {
      return concat(wire.apply(name), "=".getBytes(StandardCharsets.US_ASCII), wire.apply(value));
    }
  }

  enum Wire {
    ENCODED,
    RAW_UTF8,
    BAD_PERCENT,
    INVALID_UTF8,
    OVERLONG;

    byte[] apply(String s) {
      byte[] enc = URLEncoder.encode(s, StandardCharsets.UTF_8).getBytes(StandardCharsets.US_ASCII);
      return switch (this) {
        case ENCODED -> enc;
        // Raw UTF-8, but never what ends the request target or the line: a space, a tab or any
        // other whitespace or control character there makes a malformed request line, which the
        // HTTP decoder answers with a bare 400 before any endpoint sees it (a TAB did so in CI).
        case RAW_UTF8 ->
            s.replace('&', '_')
                .replace(' ', '+')
                .replace('#', '_')
                .chars()
                .map(c -> Character.isWhitespace(c) || Character.isISOControl(c) ? '_' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString()
                .getBytes(StandardCharsets.UTF_8);
        case BAD_PERCENT ->
            concat(
                enc,
                "%".getBytes(StandardCharsets.US_ASCII),
                enc,
                "%G1%2".getBytes(StandardCharsets.US_ASCII));
        case INVALID_UTF8 ->
            concat(
                enc,
                new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF},
                "%FF%FE%C3%28".getBytes(StandardCharsets.US_ASCII));
        case OVERLONG ->
            concat(enc, "%C0%AF%E0%80%AF%ED%A0%80".getBytes(StandardCharsets.US_ASCII));
      };
    }
  }

  record Params(List<Param> params, int padding) {
    byte[] encoded() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (Param p : params) {
        if (out.size() > 0) {
          out.write('&');
        }
        out.writeBytes(p.bytes());
      }
      for (int i = 0; i < padding; i++) {
        out.writeBytes(("&p" + i + "=x").getBytes(StandardCharsets.US_ASCII));
      }
      return out.toByteArray();
    }

    JsonObject json() {
      JsonObject o = new JsonObject();
      params.forEach(p -> o.put(p.name(), p.value()));
      return o;
    }

    @Override
    public String toString() {
      return new String(encoded(), StandardCharsets.ISO_8859_1);
    }
  }

  static Arbitrary<String> values(String... known) {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.of(known)),
        Tuple.of(3, Arbitraries.strings().ofMaxLength(24)),
        Tuple.of(2, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(24)),
        Tuple.of(
            3,
            Arbitraries.of(
                "",
                " ",
                "<script>x</script>",
                "\"><b id=hostile>",
                "'><b id=hostile>",
                "javascript:alert(1)",
                "https://evil.example/cb",
                CB + "/../x",
                CB + "?a=1",
                CB + "#f",
                "//evil.example",
                "https://app.example.test@evil.example/cb",
                "%",
                "%zz",
                "%C0%AF",
                "\u0000",
                "\r\nSet-Cookie: x=1",
                "\uD800",
                "😀",
                "a b+c",
                "null",
                "[]",
                "{}",
                "-1",
                "99999999999999999999")),
        Tuple.of(1, Arbitraries.integers().between(1_000, 70_000).map(n -> "A".repeat(n))));
  }

  static Arbitrary<Params> params(String[] names, String[] known) {
    Arbitrary<String> name =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.of(names)),
            Tuple.of(1, Arbitraries.strings().ofMaxLength(12)),
            Tuple.of(1, Arbitraries.of("", "<script>x</script>", "a[b]", "__proto__")));
    Arbitrary<Wire> wire =
        Arbitraries.frequencyOf(
            Tuple.of(12, Arbitraries.just(Wire.ENCODED)),
            Tuple.of(1, Arbitraries.of(Wire.values())));
    Arbitrary<Param> param = Combinators.combine(name, values(known), wire).as(Param::new);
    Arbitrary<Integer> padding =
        Arbitraries.frequencyOf(
            Tuple.of(30, Arbitraries.just(0)),
            Tuple.of(1, Arbitraries.integers().between(100, 5_000)));
    return Combinators.combine(param.list().ofMaxSize(14), padding).as(Params::new);
  }

  static final String[] AUTHORIZE_NAMES = {
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "response_mode",
    "request",
    "request_uri",
    "ui_locales",
    "claims",
    "id_token_hint"
  };

  @Provide
  Arbitrary<Params> authorizeQuery() {
    return params(
        AUTHORIZE_NAMES,
        new String[] {
          "code",
          "token",
          "id_token",
          "web",
          "native",
          "nobody",
          CB,
          NATIVE_CB,
          "http://127.0.0.1:4000/callback",
          "http://localhost/callback",
          "openid",
          "openid profile",
          "offline_access",
          "S256",
          "plain",
          challenge,
          "none",
          "login",
          "consent",
          "0",
          "3600",
          "form_post",
          "query",
          "fragment",
          "s"
        });
  }

  /**
   * A whole request: method, path, parameters in the query or the body, content type,
   * Authorization.
   */
  record Req(
      String method,
      String path,
      Params params,
      Body body,
      String contentType,
      List<byte[]> authorization,
      byte[] extraQuery) {
    RawHttp.Response send() throws IOException {
      List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
      authorization.forEach(a -> headers.add(Map.entry("Authorization", a)));
      if (contentType != null) {
        headers.add(Map.entry("Content-Type", contentType.getBytes(StandardCharsets.ISO_8859_1)));
      }
      byte[] payload =
          switch (body) {
            case FORM -> params.encoded();
            case JSON -> params.json().encode().getBytes(StandardCharsets.UTF_8);
            case JSON_ARRAY ->
                new JsonArray().add(params.json()).encode().getBytes(StandardCharsets.UTF_8);
            case GARBAGE ->
                concat(params.encoded(), new byte[] {0, (byte) 0xFF, (byte) 0xFE, '\r', '\n', '%'});
            case EMPTY -> new byte[0];
            case NONE -> null;
          };
      byte[] target =
          extraQuery.length == 0
              ? path.getBytes(StandardCharsets.US_ASCII)
              : concat(path, "?", extraQuery);
      return RawHttp.sendKeepAlive(server.port, method, target, headers, payload);
    }

    @Override
    public String toString() {
      return method
          + " "
          + path
          + (extraQuery.length == 0
              ? ""
              : "?" + new String(extraQuery, StandardCharsets.ISO_8859_1))
          + " "
          + contentType
          + " auth="
          + authorization.stream().map(a -> new String(a, StandardCharsets.ISO_8859_1)).toList()
          + " "
          + body
          + ": "
          + params;
    }
  }

  enum Body {
    FORM,
    JSON,
    JSON_ARRAY,
    GARBAGE,
    EMPTY,
    NONE
  }

  static Arbitrary<Body> bodies() {
    return Arbitraries.frequencyOf(
        Tuple.of(10, Arbitraries.just(Body.FORM)), Tuple.of(3, Arbitraries.of(Body.values())));
  }

  static Arbitrary<String> contentTypes(String usual) {
    return Arbitraries.frequencyOf(
        Tuple.of(10, Arbitraries.just(usual)),
        Tuple.of(
            4,
            Arbitraries.of(
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=UTF-8",
                "application/x-www-form-urlencoded; charset=ISO-8859-1",
                "APPLICATION/X-WWW-FORM-URLENCODED",
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "multipart/form-data; boundary=xyz",
                "multipart/form-data",
                "application/xml",
                "*/*",
                "",
                ";;;",
                "application/x-www-form-urlencoded\u00ff")),
        Tuple.of(1, Arbitraries.just((String) null)));
  }

  static Arbitrary<List<byte[]>> clientAuthorization() {
    Arbitrary<byte[]> one =
        Arbitraries.frequencyOf(
            Tuple.of(4, Arbitraries.just(basic("web", secret))),
            Tuple.of(
                2,
                Combinators.combine(values("web", "native", "nobody", ""), values(secret, "", "x"))
                    .as(HostileInputTest::basic)),
            Tuple.of(
                2,
                Arbitraries.of(
                        "Basic",
                        "Basic ",
                        "Basic !!!!",
                        "Basic ====",
                        "basic d2ViOg==",
                        "Basic "
                            + Base64.getEncoder()
                                .encodeToString("web".getBytes(StandardCharsets.US_ASCII)),
                        "Basic "
                            + Base64.getEncoder()
                                .encodeToString(":".getBytes(StandardCharsets.US_ASCII)),
                        "Basic "
                            + Base64.getEncoder()
                                .encodeToString("%zz:%".getBytes(StandardCharsets.US_ASCII)),
                        "Bearer " + accessToken,
                        "Bearer",
                        "Digest username=web",
                        "Negotiate",
                        "<script>x</script>")
                    .map(s -> s.getBytes(StandardCharsets.UTF_8))),
            Tuple.of(
                1,
                Arbitraries.integers()
                    .between(100, 20_000)
                    .map(n -> ("Basic " + "A".repeat(n)).getBytes(StandardCharsets.US_ASCII))),
            Tuple.of(
                1,
                Arbitraries.just(
                    new byte[] {'B', 'a', 's', 'i', 'c', ' ', (byte) 0xFF, (byte) 0xC3})));
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.just(List.<byte[]>of())),
        Tuple.of(6, one.map(List::of)),
        Tuple.of(1, one.list().ofSize(2)));
  }

  static Arbitrary<byte[]> extraQueries(Arbitrary<Params> params) {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.just(new byte[0])), Tuple.of(1, params.map(Params::encoded)));
  }

  static Arbitrary<Req> formRequests(
      String path, Arbitrary<Params> params, Arbitrary<List<byte[]>> auth) {
    Arbitrary<String> method =
        Arbitraries.frequencyOf(
            Tuple.of(20, Arbitraries.just("POST")),
            Tuple.of(
                1, Arbitraries.of("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE")));
    return Combinators.combine(
            method,
            params,
            bodies(),
            contentTypes("application/x-www-form-urlencoded"),
            auth,
            extraQueries(params))
        .as((m, p, b, ct, a, q) -> new Req(m, path, p, b, ct, a, q));
  }

  @Provide
  Arbitrary<Req> authorizePostRequest() {
    Arbitrary<List<byte[]>> cookie = Arbitraries.just(List.of());
    Arbitrary<Params> params = authorizeQuery();
    return Combinators.combine(
            params,
            bodies(),
            contentTypes("application/x-www-form-urlencoded"),
            cookie,
            extraQueries(params))
        .as((p, b, ct, a, q) -> new Req("POST", "/authorize", p, b, ct, a, q));
  }

  @Provide
  Arbitrary<Req> tokenRequest() {
    return formRequests(
        "/token",
        params(
            new String[] {
              "grant_type",
              "code",
              "redirect_uri",
              "code_verifier",
              "refresh_token",
              "scope",
              "client_id",
              "client_secret",
              "resource",
              "audience"
            },
            new String[] {
              "authorization_code",
              "refresh_token",
              "client_credentials",
              "password",
              "urn:x",
              "web",
              "native",
              secret,
              CB,
              refreshToken,
              "openid",
              "profile",
              "offline_access",
              "abc",
              challenge
            }),
        clientAuthorization());
  }

  @Provide
  Arbitrary<Req> revokeRequest() {
    // Never the real refresh token: revoking it would end the grant the other properties use.
    return formRequests(
        "/revoke",
        params(
            new String[] {"token", "token_type_hint", "client_id", "client_secret"},
            new String[] {
              "access_token", "refresh_token", "web", "native", secret, "a.b.c", "rt_x.y", "x"
            }),
        clientAuthorization());
  }

  @Provide
  Arbitrary<Req> introspectRequest() {
    return formRequests(
        "/introspect",
        params(
            new String[] {"token", "token_type_hint", "client_id", "client_secret"},
            new String[] {
              accessToken,
              refreshToken,
              "access_token",
              "refresh_token",
              "web",
              "native",
              secret,
              "a.b.c",
              accessToken + "x",
              accessToken.replace('.', ','),
              "x"
            }),
        clientAuthorization());
  }

  @Provide
  Arbitrary<Req> userinfoRequest() {
    Arbitrary<List<byte[]>> auth =
        Arbitraries.frequencyOf(
            Tuple.of(
                3,
                Arbitraries.just(
                    List.of(("Bearer " + accessToken).getBytes(StandardCharsets.US_ASCII)))),
            Tuple.of(
                3,
                values(accessToken, accessToken + "x", "a.b.c", "")
                    .map(t -> List.of(("Bearer " + t).getBytes(StandardCharsets.UTF_8)))),
            Tuple.of(3, clientAuthorization()));
    Arbitrary<Params> params =
        params(
            new String[] {"access_token", "scope", "claims"},
            new String[] {accessToken, "a.b.c", "openid"});
    return Combinators.combine(
            Arbitraries.of("GET", "POST", "POST", "PUT"),
            params,
            bodies(),
            contentTypes("application/x-www-form-urlencoded"),
            auth,
            extraQueries(params))
        .as((m, p, b, ct, a, q) -> new Req(m, "/userinfo", p, b, ct, a, q));
  }

  @Provide
  Arbitrary<Req> adminRequest() {
    Arbitrary<String> path =
        Arbitraries.of(
            "/admin/clients",
            "/admin/users",
            "/admin/clients/web",
            "/admin/users/x",
            "/admin/clients/web/secret",
            "/admin/clients/%zz",
            "/admin/users/%C0%AF",
            "/admin/keys",
            "/admin/keys/rotate",
            "/admin/openapi.json",
            "/admin/clients/web/grants",
            "/admin/users/x/consents",
            "/admin/clients/<script>x</script>",
            "/admin/audit/grants/x",
            "/admin/audit/users/x?limit=0&cursor=%ff",
            "/admin/audit/clients/web?cursor=AAAA",
            "/admin/audit/as-of?time=2026-13-01T00:00:00Z&user=x",
            "/admin/audit/as-of?time=%zz&client=web&user=x",
            "/admin/users?limit=-1",
            "/admin/clients?limit=99999999999&cursor=%ff",
            "/admin/../token");
    Arbitrary<String> method = Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH");
    Arbitrary<List<byte[]>> auth =
        Arbitraries.frequencyOf(
            Tuple.of(
                6,
                Arbitraries.just(
                    List.of(
                        ("Bearer " + TestServer.ADMIN_TOKEN).getBytes(StandardCharsets.US_ASCII)))),
            Tuple.of(2, clientAuthorization()),
            Tuple.of(
                1,
                values(TestServer.ADMIN_TOKEN + "x", "")
                    .map(t -> List.of(("Bearer " + t).getBytes(StandardCharsets.UTF_8)))));
    Arbitrary<Params> params =
        params(
            new String[] {
              "client_id",
              "client_name",
              "redirect_uris",
              "grant_types",
              "scope",
              "token_endpoint_auth_method",
              "username",
              "password",
              "email",
              "name",
              "disabled",
              "grace_seconds"
            },
            new String[] {
              "web",
              "x",
              CB,
              "openid",
              "client_secret_basic",
              "none",
              "ann",
              PASSWORD,
              "a@example.com"
            });
    Arbitrary<Body> body =
        Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.just(Body.JSON)), Tuple.of(3, Arbitraries.of(Body.values())));
    return Combinators.combine(method, path, params, body, contentTypes("application/json"), auth)
        .as((m, pa, p, b, ct, a) -> new Req(m, pa, p, b, ct, a, new byte[0]));
  }

  // ------------------------------------------------------------------ bytes

  static byte[] concat(Object... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object p : parts) {
      out.writeBytes(
          p instanceof byte[] b ? b : String.valueOf(p).getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  static byte[] basic(String id, String secret) {
    return ("Basic "
            + Base64.getEncoder()
                .encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8)))
        .getBytes(StandardCharsets.US_ASCII);
  }
}
