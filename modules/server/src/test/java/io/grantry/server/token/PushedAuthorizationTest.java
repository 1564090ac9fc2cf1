package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationRequest;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.PushedAuthorizationRequest;
import com.nimbusds.oauth2.sdk.PushedAuthorizationResponse;
import com.nimbusds.oauth2.sdk.PushedAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pushed authorization requests (RFC 9126) driven by Nimbus: push, then authorize with the {@code
 * request_uri}, sign in, redeem; and every way a pushed request must be refused: a spent, foreign,
 * expired or unknown {@code request_uri}, pushed parameters that fail the authorization checks, a
 * client that must push sending a plain request.
 */
class PushedAuthorizationTest {
  static final String REDIRECT = "http://127.0.0.1:9/cb";
  static final String PASSWORD = "a long enough password";
  static final MutableClock CLOCK = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static OIDCProviderMetadata meta;
  static String secret;
  static String otherSecret;
  static String postSecret;
  static String mustPushSecret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of(), CLOCK);
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("par-app", REDIRECT, "openid profile offline_access");
    otherSecret = fx.confidentialClient("par-other", REDIRECT, "openid");
    postSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "par-post")
                    .put("client_name", "Posts its secret")
                    .put("token_endpoint_auth_method", "client_secret_post")
                    .put("redirect_uris", new JsonArray().add(REDIRECT))
                    .put("scope", "openid"))
            .getString("client_secret");
    mustPushSecret =
        fx.admin(
                "POST",
                "/admin/clients",
                new JsonObject()
                    .put("client_id", "par-required")
                    .put("client_name", "Must push")
                    .put("redirect_uris", new JsonArray().add(REDIRECT))
                    .put("grant_types", new JsonArray().add("authorization_code"))
                    .put("scope", "openid")
                    .put("require_pushed_authorization_requests", true))
            .getString("client_secret");
    fx.user("par-user", PASSWORD);
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static AuthorizationRequest request(String clientId, CodeVerifier verifier, State state) {
    return new AuthorizationRequest.Builder(ResponseType.CODE, new ClientID(clientId))
        .redirectionURI(URI.create(REDIRECT))
        .scope(new Scope("openid"))
        .state(state)
        .codeChallenge(verifier, CodeChallengeMethod.S256)
        .build();
  }

  static PushedAuthorizationResponse push(ClientAuthentication auth, AuthorizationRequest request)
      throws Exception {
    return PushedAuthorizationResponse.parse(
        new PushedAuthorizationRequest(
                meta.getPushedAuthorizationRequestEndpointURI(), auth, request)
            .toHTTPRequest()
            .send());
  }

  static URI pushed(String clientId, String clientSecret, CodeVerifier verifier, State state)
      throws Exception {
    PushedAuthorizationResponse r =
        push(
            new ClientSecretBasic(new ClientID(clientId), new Secret(clientSecret)),
            request(clientId, verifier, state));
    assertThat(r.indicatesSuccess()).as(String.valueOf(r)).isTrue();
    return r.toSuccessResponse().getRequestURI();
  }

  /** The query of an authorization request that only names the client and the request_uri. */
  static String byReference(String clientId, URI requestUri) {
    return new AuthorizationRequest.Builder(requestUri, new ClientID(clientId))
        .build()
        .toQueryString();
  }

  @Test
  void discoveryNamesTheEndpoint() {
    assertThat(meta.getPushedAuthorizationRequestEndpointURI())
        .isEqualTo(URI.create(server.url("/par")));
    assertThat(meta.requiresPushedAuthorizationRequests()).isFalse();
  }

  @Test
  void pushAuthorizeAndRedeemWithNimbus() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    State state = new State();
    PushedAuthorizationResponse response =
        push(
            new ClientSecretBasic(new ClientID("par-app"), new Secret(secret)),
            request("par-app", verifier, state));
    assertThat(response.indicatesSuccess()).isTrue();
    PushedAuthorizationSuccessResponse ok = response.toSuccessResponse();
    URI requestUri = ok.getRequestURI();
    assertThat(requestUri.toString())
        .startsWith("urn:ietf:params:oauth:request_uri:")
        // at least 128 bits: 256 here, as 43 base64url characters
        .hasSize("urn:ietf:params:oauth:request_uri:".length() + 43);
    assertThat(ok.getLifetime()).isEqualTo(60);

    Map<String, String> callback =
        fx.browser().authorize(byReference("par-app", requestUri), "par-user", PASSWORD);
    assertThat(callback).containsEntry("state", state.getValue()).containsKey("code");
    assertThat(callback.get("iss")).isEqualTo(server.url(""));

    TokenResponse tokens =
        TokenResponse.parse(
            new TokenRequest(
                    meta.getTokenEndpointURI(),
                    new ClientSecretBasic(new ClientID("par-app"), new Secret(secret)),
                    new AuthorizationCodeGrant(
                        new AuthorizationCode(callback.get("code")),
                        URI.create(REDIRECT),
                        verifier))
                .toHTTPRequest()
                .send());
    assertThat(tokens.indicatesSuccess()).as(String.valueOf(tokens)).isTrue();

    // The ledger holds the push, its parameters as requested and the hash of the request_uri,
    // never the request_uri itself; and then its use.
    List<Row> events =
        server.query(
            "SELECT type, payload::text AS p FROM events WHERE stream_id = $1 ORDER BY version",
            "par:" + GrantTokens.hash(requestUri.toString()));
    assertThat(events)
        .extracting(r -> r.getString("type"))
        .containsExactly("authorization.request_pushed.v1", "authorization.request_uri_used.v1");
    JsonObject p = new JsonObject(events.get(0).getString("p"));
    assertThat(p.getString("request_uri_hash")).isEqualTo(GrantTokens.hash(requestUri.toString()));
    assertThat(p.getJsonObject("parameters").getJsonArray("state").getString(0))
        .isEqualTo(state.getValue());
    assertThat(
            server.query(
                "SELECT 1 FROM events WHERE payload::text LIKE $1",
                "%" + requestUri.toString().substring(34) + "%"))
        .isEmpty();
  }

  @Test
  void aRequestUriIsUsedOnce() throws Exception {
    URI requestUri = pushed("par-app", secret, new CodeVerifier(), new State());
    OAuthFixtures.Browser browser = fx.browser();
    HttpResponse<String> first = browser.get("/authorize?" + byReference("par-app", requestUri));
    assertThat(first.statusCode()).isEqualTo(200); // the sign-in page
    HttpResponse<String> again = browser.get("/authorize?" + byReference("par-app", requestUri));
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(again.headers().firstValue("Location")).isEmpty();
    assertThat(again.body()).contains("invalid_request_uri");
    // The first request goes on from its sign-in page: the parameters travel in the form.
    HttpResponse<String> signedIn = browser.login(first, "par-user", PASSWORD);
    // The consent page, unless an earlier test's consent is remembered.
    HttpResponse<String> done =
        signedIn.statusCode() == 200 ? browser.consent(signedIn, "allow") : signedIn;
    assertThat(done.statusCode()).isEqualTo(303);
    assertThat(OAuthFixtures.queryOf(done.headers().firstValue("Location").orElseThrow()))
        .containsKey("code");
  }

  @Test
  void aRequestUriIsBoundToTheClientThatPushedIt() throws Exception {
    URI requestUri = pushed("par-app", secret, new CodeVerifier(), new State());
    HttpResponse<String> foreign =
        fx.browser().get("/authorize?" + byReference("par-other", requestUri));
    assertThat(foreign.statusCode()).isEqualTo(400);
    assertThat(foreign.headers().firstValue("Location")).isEmpty();
    assertThat(foreign.body()).contains("invalid_request_uri");
  }

  @Test
  void anExpiredOrUnknownRequestUriIsRefused() throws Exception {
    URI requestUri = pushed("par-other", otherSecret, new CodeVerifier(), new State());
    CLOCK.advance(Duration.ofSeconds(61));
    HttpResponse<String> late =
        fx.browser().get("/authorize?" + byReference("par-other", requestUri));
    assertThat(late.statusCode()).isEqualTo(400);
    assertThat(late.body()).contains("invalid_request_uri");
    HttpResponse<String> unknown =
        fx.browser()
            .get(
                "/authorize?"
                    + byReference(
                        "par-other",
                        URI.create("urn:ietf:params:oauth:request_uri:" + "A".repeat(43))));
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.headers().firstValue("Location")).isEmpty();
  }

  @Test
  void pushedParametersAreCheckedAsAtTheAuthorizationEndpointAndRefusedAsJson() throws Exception {
    ClientSecretBasic auth = new ClientSecretBasic(new ClientID("par-app"), new Secret(secret));
    // An unregistered redirect URI: shown at /authorize, answered as JSON here.
    PushedAuthorizationResponse badRedirect =
        push(
            auth,
            new AuthorizationRequest.Builder(ResponseType.CODE, new ClientID("par-app"))
                .redirectionURI(URI.create("https://evil.example/cb"))
                .build());
    assertThat(badRedirect.indicatesSuccess()).isFalse();
    ErrorObject e = badRedirect.toErrorResponse().getErrorObject();
    assertThat(e.getCode()).isEqualTo("invalid_request");
    assertThat(e.getHTTPStatusCode()).isEqualTo(400);
    // A scope the client may not have.
    PushedAuthorizationResponse badScope =
        push(
            auth,
            new AuthorizationRequest.Builder(ResponseType.CODE, new ClientID("par-app"))
                .redirectionURI(URI.create(REDIRECT))
                .scope(new Scope("admin"))
                .build());
    assertThat(badScope.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_scope");
    // A request_uri inside a pushed request (RFC 9126 §2.1).
    HttpResponse<String> nested =
        fx.postForm(
            "/par",
            "par-app",
            secret,
            Map.of(
                "response_type",
                "code",
                "redirect_uri",
                REDIRECT,
                "request_uri",
                "urn:ietf:params:oauth:request_uri:" + "A".repeat(43)));
    assertThat(nested.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(nested.body()).getString("error")).isEqualTo("invalid_request");
    // A wrong secret: 401 invalid_client, as at /token.
    PushedAuthorizationResponse wrong =
        push(
            new ClientSecretBasic(new ClientID("par-app"), new Secret("wrong")),
            request("par-app", new CodeVerifier(), new State()));
    assertThat(wrong.toErrorResponse().getErrorObject().getHTTPStatusCode()).isEqualTo(401);
    assertThat(wrong.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_client");
  }

  @Test
  void theClientsSecretIsNotRecordedWithThePushedParameters() throws Exception {
    PushedAuthorizationResponse r =
        push(
            new ClientSecretPost(new ClientID("par-post"), new Secret(postSecret)),
            request("par-post", new CodeVerifier(), new State()));
    assertThat(r.indicatesSuccess()).isTrue();
    String hash = GrantTokens.hash(r.toSuccessResponse().getRequestURI().toString());
    JsonObject params =
        new JsonObject(
                server
                    .query(
                        "SELECT payload::text AS p FROM events WHERE stream_id = $1", "par:" + hash)
                    .get(0)
                    .getString("p"))
            .getJsonObject("parameters");
    assertThat(params.fieldNames()).doesNotContain("client_secret").contains("client_id");
    assertThat(params.encode()).doesNotContain(postSecret);
  }

  @Test
  void aClientThatMustPushIsRefusedAPlainRequestAndServedAPushedOne() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    HttpResponse<String> plain =
        fx.browser()
            .get("/authorize?" + request("par-required", verifier, new State()).toQueryString());
    assertThat(plain.statusCode()).isEqualTo(303);
    Map<String, String> refused =
        OAuthFixtures.queryOf(plain.headers().firstValue("Location").orElseThrow());
    assertThat(refused).containsEntry("error", "invalid_request");
    assertThat(refused.get("error_description")).contains("RFC 9126");
    assertThat(refused.get("iss")).isEqualTo(server.url(""));

    URI requestUri = pushed("par-required", mustPushSecret, verifier, new State());
    // Through sign-in and consent: every later step still counts as pushed.
    Map<String, String> callback =
        fx.browser().authorize(byReference("par-required", requestUri), "par-user", PASSWORD);
    assertThat(callback).containsKey("code");
  }

  @Test
  void theClientsHistoryShowsWhatItPushed() throws Exception {
    URI requestUri = pushed("par-other", otherSecret, new CodeVerifier(), new State());
    JsonObject history = fx.admin("GET", "/admin/audit/clients/par-other?limit=200", null);
    String stream = "par:" + GrantTokens.hash(requestUri.toString());
    assertThat(history.getJsonArray("items").stream().map(JsonObject.class::cast))
        .anySatisfy(
            item -> {
              assertThat(item.getString("stream_id")).isEqualTo(stream);
              assertThat(item.getString("type")).isEqualTo("authorization.request_pushed.v1");
              assertThat(item.getString("actor")).isEqualTo("client:par-other");
            });
  }
}
