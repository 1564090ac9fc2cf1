package io.grantry.domain.authorize;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.authorize.AuthorizationRequestChecks.Checked;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.domain.client.ClientSecurity;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.oauth.OAuthError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AuthorizationRequestChecksTest {
  static final ClientState.Registered WEB = Clients.web(false);

  static Parameters params(String... pairs) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    m.put("client_id", List.of("web"));
    m.put("response_type", List.of("code"));
    m.put("redirect_uri", List.of("https://app.example/cb"));
    m.put("state", List.of("st"));
    for (int i = 0; i < pairs.length; i += 2) {
      List<String> old = m.getOrDefault(pairs[i], List.of());
      if (pairs[i + 1] == null) {
        m.remove(pairs[i]);
      } else if (pairs[i].startsWith("+")) {
        String name = pairs[i].substring(1);
        m.put(name, new ArrayList<>(m.getOrDefault(name, List.of())));
        m.get(name).add(pairs[i + 1]);
      } else {
        m.put(pairs[i], List.of(pairs[i + 1]));
      }
    }
    return new Parameters(m);
  }

  static Refused refused(Checked c) {
    assertThat(c).isInstanceOf(Refused.class);
    return (Refused) c;
  }

  @Test
  void aValidRequestKeepsWhatWasAsked() {
    Checked c =
        AuthorizationRequestChecks.check(
            params(
                "scope",
                "openid api.read",
                "nonce",
                "n",
                "max_age",
                "60",
                "prompt",
                "login consent"),
            Optional.of(WEB));
    AuthorizationRequest r = ((Valid) c).request();
    assertThat(r.redirectUri()).isEqualTo("https://app.example/cb");
    assertThat(r.redirectUriGiven()).isTrue();
    assertThat(r.scopes().value()).isEqualTo("api.read openid");
    assertThat(r.state()).contains("st");
    assertThat(r.nonce()).contains("n");
    assertThat(r.maxAge()).isEqualTo(OptionalLong.of(60));
    assertThat(r.prompt()).containsExactlyInAnyOrder("login", "consent");
  }

  @Test
  void errorsAboutTheClientOrItsRedirectUriAreShownNeverRedirected() {
    assertThat(
            refused(AuthorizationRequestChecks.check(params("client_id", null), Optional.empty()))
                .error()
                .redirectable())
        .isFalse();
    assertThat(refused(AuthorizationRequestChecks.check(params(), Optional.empty())).error().code())
        .isEqualTo(OAuthError.Code.INVALID_CLIENT);
    ClientState.Registered disabled =
        Clients.client(
            ClientType.CONFIDENTIAL,
            List.of("https://app.example/cb"),
            Set.of(GrantType.AUTHORIZATION_CODE),
            "openid",
            false,
            true);
    Refused r = refused(AuthorizationRequestChecks.check(params(), Optional.of(disabled)));
    assertThat(r.error().redirectable()).isFalse();
    assertThat(r.redirectUri()).isEmpty();
    for (String uri :
        List.of(
            "https://app.example/cb/",
            "https://app.example/CB",
            "https://app.example/cb?x=1",
            "https://evil.example/cb",
            "javascript:alert(1)",
            "https://app.example@evil.example/cb")) {
      Refused bad =
          refused(AuthorizationRequestChecks.check(params("redirect_uri", uri), Optional.of(WEB)));
      assertThat(bad.error().redirectable()).as(uri).isFalse();
      assertThat(bad.redirectUri()).as(uri).isEmpty();
    }
  }

  @Test
  void aRedirectUriRemovedFromTheRegistrationSinceTheRequestBeganIsNeverRedirectedTo() {
    Parameters asked = params("scope", "openid");
    assertThat(AuthorizationRequestChecks.check(asked, Optional.of(WEB))).isInstanceOf(Valid.class);
    ClientState.Registered moved =
        Clients.client(
            ClientType.CONFIDENTIAL,
            List.of("https://app.example/new"),
            Set.of(GrantType.AUTHORIZATION_CODE),
            "openid",
            false,
            false);
    Refused r = refused(AuthorizationRequestChecks.check(asked, Optional.of(moved)));
    assertThat(r.error().redirectable()).isFalse();
    assertThat(r.redirectUri()).isEmpty();
  }

  @Test
  void aScopeNarrowedOrAGrantTypeRemovedSinceTheRequestBeganFailsIt() {
    Parameters asked = params("scope", "openid api.read");
    ClientState.Registered narrowed =
        Clients.client(
            ClientType.CONFIDENTIAL,
            List.of("https://app.example/cb"),
            Set.of(GrantType.AUTHORIZATION_CODE),
            "openid",
            false,
            false);
    assertThat(
            refused(AuthorizationRequestChecks.check(asked, Optional.of(narrowed))).error().code())
        .isEqualTo(OAuthError.Code.INVALID_SCOPE);
    ClientState.Registered machine =
        Clients.client(
            ClientType.CONFIDENTIAL,
            List.of("https://app.example/cb"),
            Set.of(GrantType.CLIENT_CREDENTIALS),
            "openid api.read",
            false,
            false);
    Refused r = refused(AuthorizationRequestChecks.check(asked, Optional.of(machine)));
    assertThat(r.error().code()).isEqualTo(OAuthError.Code.UNAUTHORIZED_CLIENT);
    assertThat(r.redirectUri()).contains("https://app.example/cb");
    assertThat(r.state()).contains("st");
  }

  /**
   * A client registered only for client_credentials, with no redirect URI (the usual case): the
   * page names unauthorized_client rather than only an unknown redirect URI; nothing is redirected.
   */
  @Test
  void aMachineOnlyClientWithoutRedirectUriIsShownUnauthorizedClient() {
    ClientState.Registered machineOnly =
        Clients.client(
            ClientType.CONFIDENTIAL,
            List.of(),
            Set.of(GrantType.CLIENT_CREDENTIALS),
            "api.read",
            false,
            false);
    for (Parameters asked : List.of(params(), params("redirect_uri", null))) {
      Refused r = refused(AuthorizationRequestChecks.check(asked, Optional.of(machineOnly)));
      assertThat(r.error().code()).isEqualTo(OAuthError.Code.UNAUTHORIZED_CLIENT);
      assertThat(r.error().redirectable()).isFalse();
      assertThat(r.redirectUri()).isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "9223372036854775807",
        "9223372036854775808",
        "2147483648",
        "-1",
        "1e3",
        "",
        " 5",
        "٣"
      })
  void maxAgeOutOfRangeIsInvalidRequestRedirected(String maxAge) {
    Refused r =
        refused(AuthorizationRequestChecks.check(params("max_age", maxAge), Optional.of(WEB)));
    assertThat(r.error().code()).isEqualTo(OAuthError.Code.INVALID_REQUEST);
    assertThat(r.error().redirectable()).isTrue();
    assertThat(r.redirectUri()).contains("https://app.example/cb");
  }

  @Test
  void theLargestMaxAgeIsAccepted() {
    Checked c = AuthorizationRequestChecks.check(params("max_age", "2147483647"), Optional.of(WEB));
    assertThat(((Valid) c).request().maxAge()).isEqualTo(OptionalLong.of(Integer.MAX_VALUE));
  }

  @Test
  void repeatedParametersAreInvalidRequest() {
    for (String name : AuthorizationRequestChecks.SINGLE) {
      if (name.equals("client_id") || name.equals("redirect_uri")) {
        continue;
      }
      Refused r =
          refused(
              AuthorizationRequestChecks.check(
                  params("+" + name, "a", "+" + name, "b"), Optional.of(WEB)));
      assertThat(r.error().code()).as(name).isEqualTo(OAuthError.Code.INVALID_REQUEST);
    }
    assertThat(
            refused(AuthorizationRequestChecks.check(params("+client_id", "web"), Optional.of(WEB)))
                .error()
                .redirectable())
        .isFalse();
  }

  @Test
  void pkceIsS256OnlyAndRequiredForPublicClients() {
    String challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assertThat(
            AuthorizationRequestChecks.check(
                params("code_challenge", challenge, "code_challenge_method", "S256"),
                Optional.of(WEB)))
        .isInstanceOf(Valid.class);
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("code_challenge", challenge, "code_challenge_method", "plain"),
                        Optional.of(WEB)))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("code_challenge", challenge), Optional.of(WEB)))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("code_challenge_method", "S256"), Optional.of(WEB)))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
    ClientState.Registered app =
        Clients.client(
            ClientType.PUBLIC,
            List.of("https://app.example/cb"),
            Set.of(GrantType.AUTHORIZATION_CODE),
            "openid",
            false,
            false);
    assertThat(
            refused(AuthorizationRequestChecks.check(params(), Optional.of(app)))
                .error()
                .description())
        .contains("PKCE");
  }

  @Test
  void promptNoneStandsAlone() {
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("prompt", "none login"), Optional.of(WEB)))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("prompt", "select_account"), Optional.of(WEB)))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
  }

  @Test
  void aClientThatMustPushIsRefusedAPlainRequestAndServedAPushedOne() {
    ClientState.Registered mustPush = Clients.with(WEB, b -> b.security(new ClientSecurity(true)));
    Refused plain = refused(AuthorizationRequestChecks.check(params(), Optional.of(mustPush)));
    assertThat(plain.error().code()).isEqualTo(OAuthError.Code.INVALID_REQUEST);
    assertThat(plain.error().description()).contains("RFC 9126");
    // The client and its redirect URI are known: the refusal goes back to it.
    assertThat(plain.error().redirectable()).isTrue();
    assertThat(plain.redirectUri()).contains("https://app.example/cb");

    Checked pushed =
        AuthorizationRequestChecks.check(
            params(), Optional.of(mustPush), AuthorizationRequestChecks.Channel.PUSHED, false);
    assertThat(pushed).isInstanceOf(Valid.class);
    assertThat(((Valid) pushed).request().pushed()).isTrue();
  }

  @Test
  void aServerThatRequiresPushingRefusesEveryPlainRequest() {
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params(), Optional.of(WEB), AuthorizationRequestChecks.Channel.FRONT, true))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
    Checked plain = AuthorizationRequestChecks.check(params(), Optional.of(WEB));
    assertThat(((Valid) plain).request().pushed()).isFalse();
  }

  @Test
  void pushedParametersMeetTheSameChecksAndMayNotCarryARequestUri() {
    AuthorizationRequestChecks.Channel pushed = AuthorizationRequestChecks.Channel.PUSHED;
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("request_uri", "urn:ietf:params:oauth:request_uri:x"),
                        Optional.of(WEB),
                        pushed,
                        false))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST);
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("response_type", "token"), Optional.of(WEB), pushed, false))
                .error()
                .code())
        .isEqualTo(OAuthError.Code.UNSUPPORTED_RESPONSE_TYPE);
    assertThat(
            refused(
                    AuthorizationRequestChecks.check(
                        params("redirect_uri", "https://evil.example/cb"),
                        Optional.of(WEB),
                        pushed,
                        false))
                .error()
                .redirectable())
        .isFalse();
  }
}
