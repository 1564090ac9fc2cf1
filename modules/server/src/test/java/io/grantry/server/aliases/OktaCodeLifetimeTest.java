package io.grantry.server.aliases;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.server.testing.MutableClock;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.OAuthFixtures.Pkce;
import io.grantry.server.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Okta-style document's code lifetime through {@code /v1/authorize} and {@code /v1/token}: a
 * code is usable for 60 s (the default GRANTRY_CODE_TTL_SECONDS) and refused after. A server of its
 * own, because its clock moves ({@link OktaStyleTest} validates ID tokens against the real time).
 */
class OktaCodeLifetimeTest {
  static final String CB = "https://example.com/";
  static final MutableClock clock = new MutableClock();
  static TestServer server;
  static OAuthFixtures fx;
  static String secret;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(Map.of("GRANTRY_ENDPOINT_ALIASES", "okta"), clock);
    fx = new OAuthFixtures(server);
    secret = fx.confidentialClient("0oabucvy", CB, "openid offline_access");
    fx.user("okta.user", "a long enough password");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String code(Pkce pkce) {
    Map<String, String> cb =
        fx.browser()
            .authorizeAt(
                "/v1/authorize",
                "client_id=0oabucvy&response_type=code&scope=openid&redirect_uri="
                    + URLEncoder.encode(CB, StandardCharsets.UTF_8)
                    + "&state=state-296bc9a0&nonce=n&code_challenge="
                    + pkce.challenge()
                    + "&code_challenge_method=S256",
                "okta.user",
                "a long enough password");
    return cb.get("code");
  }

  static HttpResponse<String> redeem(String code, Pkce pkce) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "authorization_code");
    form.put("redirect_uri", CB);
    form.put("code", code);
    form.put("code_verifier", pkce.verifier());
    return fx.postForm("/v1/token", "0oabucvy", secret, form);
  }

  @Test
  void aCodeIsRefusedAfterSixtySeconds() {
    Pkce pkce = Pkce.create();
    String code = code(pkce);
    clock.advance(Duration.ofSeconds(61));
    HttpResponse<String> late = redeem(code, pkce);
    assertThat(late.statusCode()).as(late.body()).isEqualTo(400);
    assertThat(new JsonObject(late.body()).getString("error")).isEqualTo("invalid_grant");
  }

  @Test
  void aCodeIsAcceptedWithinSixtySeconds() {
    Pkce pkce = Pkce.create();
    String code = code(pkce);
    clock.advance(Duration.ofSeconds(55));
    HttpResponse<String> inTime = redeem(code, pkce);
    assertThat(inTime.statusCode()).as(inTime.body()).isEqualTo(200);
  }
}
