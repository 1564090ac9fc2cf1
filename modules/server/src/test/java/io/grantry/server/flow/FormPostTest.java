package io.grantry.server.flow;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ResponseMode;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.Prompt;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.pages.FormPostPage;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OAuth 2.0 Form Post Response Mode with Nimbus as the client: the response is a page whose form
 * posts code, state and iss to the redirect URI, under a policy that lets it run its one script and
 * post nowhere else; errors come the same way; a mode we do not support, or form_post to a native
 * app's scheme, is answered in the query.
 */
class FormPostTest {
  static final String REDIRECT = "http://127.0.0.1:9/callback";
  static final String PASSWORD = "a long enough password";
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;
  static OIDCProviderMetadata meta;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("fp-app", REDIRECT, "openid profile");
    fx.publicClient("fp-native", "com.example.app:/cb", "openid");
    fx.user("fp-user", PASSWORD);
    meta = OIDCProviderMetadata.resolve(new Issuer(server.url("")));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  /** The form of a form post page: its action and its hidden fields. */
  record Posted(String action, Map<String, String> fields) {
    Map<String, List<String>> params() {
      Map<String, List<String>> out = new HashMap<>();
      fields.forEach((k, v) -> out.put(k, List.of(v)));
      return out;
    }
  }

  static Posted posted(HttpResponse<String> page) {
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    Matcher m = Pattern.compile("<form method=\"post\" action=\"([^\"]*)\"").matcher(page.body());
    assertThat(m.find()).as(page.body()).isTrue();
    return new Posted(
        m.group(1).replace("&amp;", "&").replace("&#34;", "\""), OAuthFixtures.hidden(page.body()));
  }

  /** Signs in and allows when asked; returns the last response (the form post page). */
  static HttpResponse<String> run(OAuthFixtures.Browser b, URI authorize) {
    HttpResponse<String> r = b.get(authorize.toString());
    for (int i = 0; i < 3; i++) {
      if (r.body().contains("action=\"/login\"")) {
        r = b.login(r, "fp-user", PASSWORD);
      } else if (r.body().contains("action=\"/consent\"")) {
        r = b.consent(r, "allow");
      } else {
        break;
      }
    }
    return r;
  }

  static AuthenticationRequest.Builder request(String clientId, String redirect, State state) {
    return new AuthenticationRequest.Builder(
            ResponseType.CODE,
            new Scope("openid", "profile"),
            new ClientID(clientId),
            URI.create(redirect))
        .endpointURI(meta.getAuthorizationEndpointURI())
        .state(state)
        .nonce(new Nonce())
        .responseMode(ResponseMode.FORM_POST);
  }

  @Test
  void discoveryListsFormPost() {
    assertThat(meta.getResponseModes()).contains(ResponseMode.QUERY, ResponseMode.FORM_POST);
  }

  @Test
  void theCodeIsPostedWithStateAndIssuerUnderAPolicyThatAllowsOnlyThatForm() throws Exception {
    CodeVerifier verifier = new CodeVerifier();
    State state = new State();
    HttpResponse<String> page =
        run(
            fx.browser(),
            request("fp-app", REDIRECT, state)
                .codeChallenge(verifier, CodeChallengeMethod.S256)
                .build()
                .toURI());

    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp)
        .contains("form-action " + REDIRECT + ";")
        .contains("script-src " + FormPostPage.SCRIPT_HASH + ";")
        .contains("default-src 'none'")
        .contains("frame-ancestors 'none'")
        .doesNotContain("unsafe-inline");
    assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(page.body()).contains("<script>" + FormPostPage.SCRIPT + "</script>");

    Posted form = posted(page);
    assertThat(form.action()).isEqualTo(REDIRECT);
    assertThat(form.fields().keySet()).containsExactlyInAnyOrder("code", "state", "iss");
    AuthenticationResponse response =
        AuthenticationResponseParser.parse(URI.create(form.action()), form.params());
    assertThat(response.indicatesSuccess()).isTrue();
    assertThat(response.getState()).isEqualTo(state);
    assertThat(response.toSuccessResponse().getIssuer()).isEqualTo(meta.getIssuer());

    var http =
        new TokenRequest(
                meta.getTokenEndpointURI(),
                new ClientSecretBasic(new ClientID("fp-app"), new Secret(secret)),
                new AuthorizationCodeGrant(
                    response.toSuccessResponse().getAuthorizationCode(),
                    URI.create(REDIRECT),
                    verifier))
            .toHTTPRequest()
            .send();
    assertThat(OIDCTokenResponseParser.parse(http).indicatesSuccess()).as(http.getBody()).isTrue();
  }

  @Test
  void anErrorIsPostedTooAndTheStateIsEscapedInThePage() throws Exception {
    // prompt=none in a browser with no session: login_required, posted.
    State state = new State("\"><script>alert(1)</script>");
    HttpResponse<String> page =
        fx.browser()
            .get(
                request("fp-app", REDIRECT, state)
                    .prompt(new Prompt("none"))
                    .codeChallenge(new CodeVerifier(), CodeChallengeMethod.S256)
                    .build()
                    .toURI()
                    .toString());
    assertThat(page.body()).doesNotContain("<script>alert(1)");
    Posted form = posted(page);
    assertThat(form.fields())
        .containsEntry("error", "login_required")
        .containsEntry("state", state.getValue())
        .containsEntry("iss", server.url(""));
    AuthenticationResponse response =
        AuthenticationResponseParser.parse(URI.create(form.action()), form.params());
    assertThat(response.indicatesSuccess()).isFalse();
    assertThat(response.toErrorResponse().getErrorObject().getCode()).isEqualTo("login_required");
  }

  @Test
  void aModeWeDoNotSupportIsRefusedInTheQuery() {
    HttpResponse<String> r =
        fx.browser()
            .get(
                "/authorize?response_type=code&client_id=fp-app&scope=openid&state=s9"
                    + "&response_mode=fragment&redirect_uri="
                    + OAuthFixtures.enc(REDIRECT));
    assertThat(r.statusCode()).isEqualTo(303);
    Map<String, String> q = OAuthFixtures.queryOf(r.headers().firstValue("Location").orElseThrow());
    assertThat(q).containsEntry("error", "invalid_request").containsEntry("state", "s9");
    assertThat(q.get("error_description")).contains("response_mode");
  }

  @Test
  void formPostToANativeAppsSchemeIsRefusedInTheQuery() {
    HttpResponse<String> r =
        fx.browser()
            .get(
                request("fp-native", "com.example.app:/cb", new State("s10"))
                    .codeChallenge(new CodeVerifier(), CodeChallengeMethod.S256)
                    .build()
                    .toURI()
                    .toString());
    assertThat(r.statusCode()).isEqualTo(303);
    String location = r.headers().firstValue("Location").orElseThrow();
    assertThat(location).startsWith("com.example.app:/cb?");
    assertThat(OAuthFixtures.queryOf(location))
        .containsEntry("error", "invalid_request")
        .containsEntry("state", "s10");
  }

  @Test
  void theFormActionKeepsTheRedirectUrisQueryWhichThePolicyLeavesOut() {
    assertThat(OAuthResponses.formAction("https://app.example/cb?tenant=a"))
        .isEqualTo("https://app.example/cb");
    assertThat(OAuthResponses.formAction("https://app.example:8443/a;b,c"))
        .isEqualTo("https://app.example:8443/a%3Bb%2Cc");
  }
}
