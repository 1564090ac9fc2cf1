package io.grantry.server.token;

import io.grantry.domain.client.ClientState;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.oauth.UserClaims;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** Builds the token response of RFC 6749 §5.1 from what a grant decision recorded. */
final class Minting {
  private final OAuthServices s;

  Minting(OAuthServices s) {
    this.s = s;
  }

  /**
   * Access token for {@code subject}, plus an ID token when {@code openid} is among the scopes
   * and the facts of the authorization are known, plus the refresh token when there is one.
   */
  Future<JsonObject> response(ClientState.Registered client, String subject, String jti, Scopes scopes,
      Instant issuedAt, Instant expiresAt, Optional<AuthorizationCodeIssued> authorization, String refreshToken,
      boolean userSubject) {
    String access = s.tokens.accessToken(client.metadata().accessTokenSigningAlg(), jti, subject, client.clientId(),
        scopes, issuedAt, expiresAt, Map.of());
    JsonObject out = new JsonObject()
        .put("access_token", access)
        .put("token_type", "Bearer")
        .put("expires_in", Math.max(0, Duration.between(issuedAt, expiresAt).getSeconds()))
        .put("scope", scopes.value());
    if (refreshToken != null) {
      out.put("refresh_token", refreshToken);
    }
    if (!userSubject || !scopes.contains(Scopes.OPENID) || authorization.isEmpty()) {
      return Future.succeededFuture(out);
    }
    AuthorizationCodeIssued code = authorization.get();
    return s.users.findById(subject).map(user -> {
      JsonObject claims = user.map(u -> UserClaims.of(u, scopes)).orElse(new JsonObject());
      out.put("id_token", s.tokens.idToken(SigningAlgorithm.RS256, subject, client.clientId(), code.nonce().orElse(null),
          code.authTime(), access, issuedAt, issuedAt.plus(s.idTokenLifetime), claims));
      return out;
    });
  }
}
