package io.grantry.domain.oauth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.oauth.OAuthError.Code;
import java.util.Arrays;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class OAuthErrorTest {

  @Test
  void theClosedSetOfCodes() {
    assertThat(Arrays.stream(Code.values()).map(Code::wire).collect(Collectors.toList()))
        .containsExactlyInAnyOrder(
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "access_denied",
            "unsupported_response_type",
            "server_error",
            "temporarily_unavailable",
            "login_required",
            "consent_required",
            "interaction_required",
            "invalid_target",
            // RFC 9101 §7, answered for pushed requests' request_uri (RFC 9126 §4).
            "invalid_request_uri",
            "authorization_pending",
            "slow_down",
            "expired_token");
    for (Code c : Code.values()) {
      assertThat(Code.fromWire(c.wire())).contains(c);
    }
    assertThat(Code.fromWire("invalid_token")).isEmpty();
  }

  @Test
  void tokenEndpointOnlyCodesAreNeverRedirected() {
    assertThat(OAuthError.invalidGrant("x").redirectable()).isFalse();
    assertThat(OAuthError.invalidClient("x").redirectable()).isFalse();
    assertThat(OAuthError.unsupportedGrantType("x").redirectable()).isFalse();
    assertThat(OAuthError.authorizationPending("x").redirectable()).isFalse();
    assertThat(OAuthError.slowDown("x").redirectable()).isFalse();
    assertThat(OAuthError.expiredToken("x").redirectable()).isFalse();
    assertThatThrownBy(() -> new OAuthError(Code.INVALID_GRANT, "x", true))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void authorizationResponseCodesRedirectUnlessMarkedOtherwise() {
    assertThat(OAuthError.invalidRequest("x").redirectable()).isTrue();
    assertThat(OAuthError.accessDenied("x").redirectable()).isTrue();
    assertThat(OAuthError.loginRequired("x").redirectable()).isTrue();
    OAuthError shown =
        OAuthError.invalidRequest("redirect_uri is not registered").notRedirectable();
    assertThat(shown.redirectable()).isFalse();
    assertThat(shown.code()).isEqualTo(Code.INVALID_REQUEST);
  }

  @Test
  void statuses() {
    assertThat(Code.INVALID_GRANT.httpStatus()).isEqualTo(400);
    assertThat(Code.INVALID_CLIENT.httpStatus()).isEqualTo(401);
    // A denied device authorization's poll (RFC 8628 §3.5) is a token endpoint error: 400.
    assertThat(Code.ACCESS_DENIED.httpStatus()).isEqualTo(400);
    assertThat(Code.AUTHORIZATION_PENDING.httpStatus()).isEqualTo(400);
    assertThat(Code.SLOW_DOWN.httpStatus()).isEqualTo(400);
    assertThat(Code.EXPIRED_TOKEN.httpStatus()).isEqualTo(400);
    assertThat(Code.SERVER_ERROR.httpStatus()).isEqualTo(500);
    assertThat(Code.TEMPORARILY_UNAVAILABLE.httpStatus()).isEqualTo(503);
  }

  @Test
  void descriptionsCarryNoLineBreakTabQuoteOrBackslash() {
    OAuthError e = OAuthError.invalidScope("scope 'a'\r\nSet-Cookie: x\t\"\\ \u00e9");
    assertThat(e.description()).isEqualTo("scope 'a'??Set-Cookie: x??? ?");
    assertThat(OAuthError.invalidGrant("y".repeat(1000)).description())
        .hasSize(OAuthError.MAX_DESCRIPTION_LENGTH);
  }

  /**
   * Whatever text goes in, the description holds only RFC 6749 §5.2 error_description characters.
   */
  @Property(tries = 300)
  void sanitizedDescriptionsMatchTheRfcCharacterSet(@ForAll String text) {
    String d = OAuthError.serverError(text).description();
    assertThat(d.length()).isLessThanOrEqualTo(OAuthError.MAX_DESCRIPTION_LENGTH);
    assertThat(d).matches("[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]*");
  }
}
