package io.grantry.server.token;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.client.AccessTokenFormat;
import io.grantry.domain.client.ClientMetadata;
import io.grantry.domain.client.ClientSecurity;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.LogoutMetadata;
import io.grantry.domain.client.TokenEndpointAuthMethod;
import io.grantry.domain.client.TokenExchangeMetadata;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import io.grantry.server.tokens.TokenIssuer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A token decision taken again after a lost race (the aggregate re-reads the grant and decides
 * again with the same request: the same jti, the same request time) signs its access token JWT once
 * when the retry issues the very same token, and again only when the grant's newer state changed
 * the token. With the server's real ES256 key: its signatures are randomised, so a second signature
 * of the same claims would be another string, with another hash in the event.
 */
class MintingRetryTest {
  static final Instant NOW = Instant.parse("2026-12-08T01:00:00Z");

  static TestServer server;
  static Minting minting;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start();
    minting =
        new Minting(
            new TokenIssuer(
                "https://issuer.example", "https://api.example", server.server.resources().keys()));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static final ClientState.Registered CLIENT =
      new ClientState.Registered(
          "web",
          new ClientMetadata(
              "Web app",
              ClientType.CONFIDENTIAL,
              TokenEndpointAuthMethod.CLIENT_SECRET_BASIC,
              List.of("https://app.example/cb"),
              Set.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN),
              Scopes.parse("openid api.read api.write"),
              Optional.empty(),
              Optional.empty(),
              false,
              AccessTokenFormat.JWT,
              SigningAlgorithm.ES256,
              false,
              SigningAlgorithm.RS256,
              LogoutMetadata.NONE,
              TokenExchangeMetadata.NONE,
              ClientSecurity.NONE),
          Optional.of("hmac-sha256$x"),
          Optional.empty(),
          false,
          NOW,
          Optional.empty());

  /** A refresh's decision issuing access token {@code jti} with {@code scope}. */
  static Decision<GrantEvent> rotation(String jti, String scope) {
    return Decision.accept(
        new RefreshTokenRotated(
            "g-1",
            "web",
            "u-1",
            GrantTokens.hash("old"),
            GrantTokens.hash("new"),
            jti,
            NOW.plusSeconds(600),
            NOW.plusSeconds(86_400),
            Scopes.parse(scope),
            NOW));
  }

  /** The access token hash the signed decision's event records. */
  static String hash(Decision<GrantEvent> signed) {
    return ((RefreshTokenRotated) signed.events().get(0)).accessTokenHash().orElseThrow();
  }

  /** The JWT kept for the response of the decision last signed. */
  static String sent(Minting.Access access, Decision<GrantEvent> signed) {
    RefreshTokenRotated r = (RefreshTokenRotated) signed.events().get(0);
    return minting.accessToken(
        CLIENT,
        access,
        r.accessTokenJti(),
        r.userId(),
        r.scopes(),
        r.rotatedAt(),
        r.accessTokenExpiresAt(),
        java.util.Map.of());
  }

  @Test
  void aRetryIssuingTheSameTokenReusesItsSignatureAndAChangedOneIsSignedAgain() throws Exception {
    Minting.Access access = Minting.newAccess(CLIENT, "g-1");
    String jti = access.jti();

    Decision<GrantEvent> first =
        minting.signed(CLIENT, access, rotation(jti, "api.read api.write"), Optional.empty());
    String token = sent(access, first);
    assertThat(hash(first)).isEqualTo(GrantTokens.hash(token));

    // The append lost a race; the grant re-read, the same token decided again: the same JWT.
    Decision<GrantEvent> retry =
        minting.signed(CLIENT, access, rotation(jti, "api.read api.write"), Optional.empty());
    assertThat(hash(retry)).isEqualTo(hash(first));
    assertThat(sent(access, retry)).isEqualTo(token);

    // A retry refused (say, the grant was revoked meanwhile) keeps no token to send.
    Decision<GrantEvent> refused = Decision.unchanged();
    assertThat(minting.signed(CLIENT, access, refused, Optional.empty())).isSameAs(refused);

    // The grant's newer state changed the token (narrower scopes): signed again, with its claims.
    Decision<GrantEvent> narrowed =
        minting.signed(CLIENT, access, rotation(jti, "api.read"), Optional.empty());
    String other = sent(access, narrowed);
    assertThat(other).isNotEqualTo(token);
    assertThat(hash(narrowed)).isEqualTo(GrantTokens.hash(other));
    assertThat(OAuthFixtures.claims(other).getString("scope")).isEqualTo("api.read");
    assertThat(OAuthFixtures.claims(token).getString("scope")).isEqualTo("api.read api.write");
  }
}
