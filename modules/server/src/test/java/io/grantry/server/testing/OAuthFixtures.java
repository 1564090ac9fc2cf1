package io.grantry.server.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Registers clients and users through the admin API, and plays a browser without a browser: a
 * cookie-keeping HTTP client that follows the sign-in and consent forms. The real browser test uses
 * Chromium; these helpers serve the many protocol tests that need a code quickly.
 */
public final class OAuthFixtures {
  public static final HttpClient HTTP =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String base;

  public OAuthFixtures(TestServer server) {
    this("http://127.0.0.1:" + server.port);
  }

  /**
   * Against a server this JVM did not start (e.g. a child process): {@code http://127.0.0.1:PORT}.
   */
  public OAuthFixtures(String baseUrl) {
    this.base = baseUrl;
  }

  /**
   * A confidential client (client_secret_basic) with the given id and redirect URI; returns its
   * secret.
   */
  public String confidentialClient(
      String clientId, String redirectUri, String scope, String... grants) {
    JsonObject body =
        new JsonObject()
            .put("client_id", clientId)
            .put("client_name", "Test " + clientId)
            .put("token_endpoint_auth_method", "client_secret_basic")
            .put("redirect_uris", new JsonArray().add(redirectUri))
            .put(
                "grant_types",
                new JsonArray(
                    List.of(
                        (Object[])
                            (grants.length == 0
                                ? new String[] {
                                  "authorization_code", "refresh_token", "client_credentials"
                                }
                                : grants))))
            .put("scope", scope);
    return admin("POST", "/admin/clients", body).getString("client_secret");
  }

  /**
   * A resource server: a confidential client (client_secret_basic, client_credentials, {@code
   * api.read}) with the {@code introspect} permission, which sees every token's introspection;
   * returns its secret.
   */
  public String resourceServer(String clientId) {
    return admin(
            "POST",
            "/admin/clients",
            new JsonObject()
                .put("client_id", clientId)
                .put("client_name", "Resource server")
                .put("token_endpoint_auth_method", "client_secret_basic")
                .put("grant_types", new JsonArray().add("client_credentials"))
                .put("scope", "api.read")
                .put("introspect", true))
        .getString("client_secret");
  }

  /** A public client (auth method none, PKCE required). */
  public void publicClient(String clientId, String redirectUri, String scope) {
    admin(
        "POST",
        "/admin/clients",
        new JsonObject()
            .put("client_id", clientId)
            .put("client_name", "Test " + clientId)
            .put("token_endpoint_auth_method", "none")
            .put("redirect_uris", new JsonArray().add(redirectUri))
            .put("grant_types", new JsonArray().add("authorization_code").add("refresh_token"))
            .put("scope", scope));
  }

  /** A user; returns its user id. */
  public String user(String username, String password) {
    return admin(
            "POST",
            "/admin/users",
            new JsonObject()
                .put("username", username)
                .put("password", password)
                .put("email", username + "@example.com")
                .put("name", "User " + username))
        .getString("user_id");
  }

  public JsonObject admin(String method, String path, JsonObject body) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create((base + path)))
              .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
              .header("Content-Type", "application/json")
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body.encode()));
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 300) {
        throw new AssertionError(
            "admin " + method + " " + path + " answered " + r.statusCode() + ": " + r.body());
      }
      return r.body().isEmpty() ? new JsonObject() : new JsonObject(r.body());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** A PKCE pair (RFC 7636): a random verifier and its S256 challenge. */
  public record Pkce(String verifier, String challenge) {
    public static Pkce create() {
      byte[] b = new byte[32];
      RANDOM.nextBytes(b);
      String v = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
      try {
        byte[] h =
            MessageDigest.getInstance("SHA-256").digest(v.getBytes(StandardCharsets.US_ASCII));
        return new Pkce(v, Base64.getUrlEncoder().withoutPadding().encodeToString(h));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A browser's cookies and the forms it fills in. */
  public final class Browser {
    public final CookieManager cookies = new CookieManager();
    public final HttpClient http =
        HttpClient.newBuilder()
            .cookieHandler(cookies)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    /**
     * Another browser holding a copy of this one's cookies as they are now: what a thief who copied
     * them, or an old backup of the profile, would present later.
     */
    public Browser copy() {
      Browser other = new Browser();
      URI at = URI.create(base);
      for (HttpCookie c : cookies.getCookieStore().getCookies()) {
        other.cookies.getCookieStore().add(at, (HttpCookie) c.clone());
      }
      return other;
    }

    /** The value of this browser's cookie {@code name}, or null. */
    public String cookie(String name) {
      for (HttpCookie c : cookies.getCookieStore().getCookies()) {
        if (c.getName().equals(name)) {
          return c.getValue();
        }
      }
      return null;
    }

    public HttpResponse<String> get(String pathOrUrl) {
      return send(HttpRequest.newBuilder(uri(pathOrUrl)).GET().build());
    }

    public HttpResponse<String> post(String path, Map<String, String> form) {
      return send(
          HttpRequest.newBuilder(uri(path))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(formBody(form)))
              .build());
    }

    private HttpResponse<String> send(HttpRequest r) {
      try {
        return http.send(r, HttpResponse.BodyHandlers.ofString());
      } catch (IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
    }

    /** Submits the sign-in form found in {@code page}. */
    public HttpResponse<String> login(HttpResponse<String> page, String username, String password) {
      Map<String, String> form = hidden(page.body());
      form.put("username", username);
      form.put("password", password);
      return post("/login", form);
    }

    /** Submits the consent form found in {@code page} with {@code decision} allow or deny. */
    public HttpResponse<String> consent(HttpResponse<String> page, String decision) {
      Map<String, String> form = hidden(page.body());
      form.put("decision", decision);
      return post("/consent", form);
    }

    /**
     * Runs /authorize and answers whatever pages come (sign-in, consent: allow) until the redirect
     * to the client; returns the redirect's query parameters.
     */
    public Map<String, String> authorize(String query, String username, String password) {
      return authorizeAt("/authorize", query, username, password);
    }

    /** {@link #authorize} at another path of the authorization endpoint (an endpoint alias). */
    public Map<String, String> authorizeAt(
        String path, String query, String username, String password) {
      return answer(get(path + "?" + query), username, password);
    }

    /**
     * Answers the pages of {@code r} (sign-in, consent: allow) until the redirect to the client;
     * returns the redirect's query parameters.
     */
    public Map<String, String> answer(HttpResponse<String> r, String username, String password) {
      for (int i = 0; i < 3 && r.statusCode() != 303; i++) {
        if (r.body().contains("action=\"/login\"")) {
          r = login(r, username, password);
        } else if (r.body().contains("action=\"/consent\"")) {
          r = consent(r, "allow");
        } else {
          throw new AssertionError("unexpected page " + r.statusCode() + ": " + r.body());
        }
      }
      if (r.statusCode() != 303) {
        throw new AssertionError("no redirect: " + r.statusCode() + " " + r.body());
      }
      return queryOf(r.headers().firstValue("Location").orElseThrow());
    }
  }

  public Browser browser() {
    return new Browser();
  }

  private URI uri(String pathOrUrl) {
    return URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : (base + pathOrUrl));
  }

  /** The hidden inputs of the first form in {@code html}. */
  public static Map<String, String> hidden(String html) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m =
        Pattern.compile("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")
            .matcher(html);
    while (m.find()) {
      out.put(m.group(1), unescape(m.group(2)));
    }
    return out;
  }

  private static String unescape(String s) {
    return s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
  }

  public static Map<String, String> queryOf(String location) {
    Map<String, String> out = new LinkedHashMap<>();
    int q = location.indexOf('?');
    if (q < 0) {
      return out;
    }
    for (String pair : location.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      out.put(
          URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  public static String formBody(Map<String, String> form) {
    StringBuilder sb = new StringBuilder();
    form.forEach(
        (k, v) -> {
          if (sb.length() > 0) {
            sb.append('&');
          }
          sb.append(URLEncoder.encode(k, StandardCharsets.UTF_8))
              .append('=')
              .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
    return sb.toString();
  }

  /** POST /token (or another form endpoint) with Basic client authentication. */
  public HttpResponse<String> postForm(
      String path, String clientId, String secret, Map<String, String> form) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/x-www-form-urlencoded");
    if (secret != null) {
      String basic =
          URLEncoder.encode(clientId, StandardCharsets.UTF_8)
              + ":"
              + URLEncoder.encode(secret, StandardCharsets.UTF_8);
      b.header(
          "Authorization",
          "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
    }
    try {
      return HTTP.send(
          b.POST(HttpRequest.BodyPublishers.ofString(formBody(form))).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** GET /userinfo with {@code accessToken} as a bearer token (RFC 6750 §2.1). */
  public HttpResponse<String> userinfo(String accessToken) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(uri("/userinfo"))
              .header("Authorization", "Bearer " + accessToken)
              .GET()
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** POST /token with Basic authentication (or, with a null secret, none). */
  public HttpResponse<String> token(String clientId, String secret, Map<String, String> form) {
    return postForm("/token", clientId, secret, form);
  }

  /**
   * Runs /authorize in {@code browser} (signing in and allowing as needed) with PKCE and returns
   * the code; the pair's verifier is needed to redeem it.
   */
  public String code(
      Browser browser,
      String clientId,
      String redirectUri,
      String scope,
      Pkce pkce,
      String username,
      String password) {
    Map<String, String> q =
        browser.authorize(
            "response_type=code&client_id="
                + enc(clientId)
                + "&redirect_uri="
                + enc(redirectUri)
                + "&scope="
                + enc(scope)
                + "&state=s1&code_challenge="
                + pkce.challenge()
                + "&code_challenge_method=S256",
            username,
            password);
    if (!q.containsKey("code")) {
      throw new AssertionError("no code: " + q);
    }
    return q.get("code");
  }

  /** Redeems {@code code} at /token. */
  public HttpResponse<String> redeem(
      String clientId, String secret, String code, String redirectUri, Pkce pkce) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("code", code);
    form.put("redirect_uri", redirectUri);
    form.put("code_verifier", pkce.verifier());
    if (secret == null) {
      form.put("client_id", clientId);
    }
    return token(clientId, secret, form);
  }

  /** The whole code flow in {@code browser}: the 200 token response as JSON. */
  public JsonObject tokens(
      Browser browser,
      String clientId,
      String secret,
      String redirectUri,
      String scope,
      String username,
      String password) {
    Pkce pkce = Pkce.create();
    String code = code(browser, clientId, redirectUri, scope, pkce, username, password);
    HttpResponse<String> r = redeem(clientId, secret, code, redirectUri, pkce);
    if (r.statusCode() != 200) {
      throw new AssertionError("code redemption answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /** grant_type=refresh_token, with {@code scope} when not null. */
  public HttpResponse<String> refresh(
      String clientId, String secret, String refreshToken, String scope) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "refresh_token");
    form.put("refresh_token", refreshToken);
    if (scope != null) {
      form.put("scope", scope);
    }
    return token(clientId, secret, form);
  }

  /** POST /introspect as {@code clientId}: the answer's JSON (status must be 200). */
  public JsonObject introspect(String clientId, String secret, String token) {
    HttpResponse<String> r = postForm("/introspect", clientId, secret, Map.of("token", token));
    if (r.statusCode() != 200) {
      throw new AssertionError("introspection answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /** The claims of a compact JWS, unverified (the tests check what the server put there). */
  public static JsonObject claims(String jws) {
    String[] parts = jws.split("\\.");
    return new JsonObject(
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
  }

  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /**
   * A person allows a device (RFC 8628 §3.3) on the verification page: a new user {@code username}
   * signs in through {@code /account/login}, enters {@code userCode} at {@code /device} and allows
   * it on the consent page.
   */
  public void allowDevice(String username, String password, String userCode) {
    user(username, password);
    Browser b = browser();
    Map<String, String> login = hidden(b.get("/account/login?next=%2Fdevice").body());
    login.put("username", username);
    login.put("password", password);
    expect(b.post("/account/login", login), 303);
    Map<String, String> entry = hidden(b.get("/device").body());
    entry.put("user_code", userCode);
    HttpResponse<String> consent = expect(b.post("/device", entry), 200);
    Map<String, String> answer = hidden(consent.body());
    answer.put("decision", "allow");
    expect(b.post("/device", answer), 200);
  }

  private static HttpResponse<String> expect(HttpResponse<String> r, int status) {
    if (r.statusCode() != status) {
      throw new AssertionError(
          r.request().uri().getPath() + " answered " + r.statusCode() + ": " + r.body());
    }
    return r;
  }
}
