package io.grantry.server.tokens;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.keys.KeyService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * Mints what the token endpoint hands out: JWT access tokens (RFC 9068, {@code typ: at+jwt}), ID
 * tokens (OIDC Core §2, RS256 by default), and the random secrets of codes and refresh tokens
 * (their shape and hashing are {@code GrantTokens}').
 */
public final class TokenIssuer {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final String issuer;
  private final String audience;
  private final KeyService keys;

  public TokenIssuer(String issuer, String audience, KeyService keys) {
    this.issuer = issuer;
    this.audience = audience;
    this.keys = keys;
  }

  public String issuer() {
    return issuer;
  }

  /** The {@code aud} of access tokens (introspection answers it for opaque ones too). */
  public String audience() {
    return audience;
  }

  /** 256 bits from SecureRandom, base64url. */
  public static String secret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return B64.encodeToString(b);
  }

  /**
   * A new grant id made at {@code epochMillis}: time first, then 96 bits from SecureRandom ({@link
   * GrantTokens#newGrantId} says why time first, and why the id need not be secret).
   */
  public static String grantId(long epochMillis) {
    byte[] b = new byte[GrantTokens.GRANT_ID_RANDOM_BYTES];
    RANDOM.nextBytes(b);
    return GrantTokens.newGrantId(epochMillis, b);
  }

  /** An RFC 9068 access token. */
  public String accessToken(
      SigningAlgorithm alg,
      String jti,
      String subject,
      String clientId,
      Scopes scopes,
      Instant issuedAt,
      Instant expiresAt,
      Map<String, Object> extra) {
    JsonObject claims =
        new JsonObject()
            .put("iss", issuer)
            .put("sub", subject)
            .put("aud", audience)
            .put("client_id", clientId)
            .put("scope", scopes.value())
            .put("jti", jti)
            .put("iat", issuedAt.getEpochSecond())
            .put("exp", expiresAt.getEpochSecond());
    extra.forEach(claims::put);
    return keys.signer(alg).sign(claims, JwsSigner.TYP_ACCESS_TOKEN);
  }

  /** An ID token for {@code clientId}, with at_hash over the access token it comes with. */
  public String idToken(
      SigningAlgorithm alg,
      String subject,
      String clientId,
      String nonce,
      Instant authTime,
      String accessToken,
      Instant issuedAt,
      Instant expiresAt,
      JsonObject userClaims) {
    JsonObject claims =
        new JsonObject()
            .put("iss", issuer)
            .put("sub", subject)
            .put("aud", new JsonArray().add(clientId))
            .put("azp", clientId)
            .put("iat", issuedAt.getEpochSecond())
            .put("exp", expiresAt.getEpochSecond());
    if (authTime != null) {
      claims.put("auth_time", authTime.getEpochSecond());
    }
    if (nonce != null) {
      claims.put("nonce", nonce);
    }
    if (accessToken != null) {
      claims.put("at_hash", atHash(accessToken));
    }
    userClaims.forEach(e -> claims.put(e.getKey(), e.getValue()));
    return keys.signer(alg).sign(claims, JwsSigner.TYP_JWT);
  }

  /**
   * A logout token (OpenID Connect Back-Channel Logout 1.0 §2.4) for {@code clientId}: {@code typ}
   * {@code logout+jwt}, the back-channel logout {@code events} claim, the user and the session, a
   * fresh {@code jti}, and never a {@code nonce}; signed as the client's ID tokens are.
   */
  public String logoutToken(
      SigningAlgorithm alg,
      String clientId,
      String subject,
      String sessionId,
      String jti,
      Instant issuedAt,
      Instant expiresAt) {
    JsonObject claims =
        new JsonObject()
            .put("iss", issuer)
            .put("aud", clientId)
            .put("iat", issuedAt.getEpochSecond())
            .put("exp", expiresAt.getEpochSecond())
            .put("jti", jti)
            .put("sub", subject)
            .put("sid", sessionId)
            .put(
                "events",
                new JsonObject()
                    .put("http://schemas.openid.net/event/backchannel-logout", new JsonObject()));
    return keys.signer(alg).sign(claims, JwsSigner.TYP_LOGOUT_TOKEN);
  }

  /**
   * OIDC Core §3.1.3.6: base64url of the left half of SHA-256 (for RS256 and ES256) of the ASCII
   * token.
   */
  public static String atHash(String accessToken) {
    byte[] h = sha256(accessToken.getBytes(StandardCharsets.US_ASCII));
    return B64.encodeToString(Arrays.copyOf(h, h.length / 2));
  }

  static byte[] sha256(byte[] in) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(in);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
