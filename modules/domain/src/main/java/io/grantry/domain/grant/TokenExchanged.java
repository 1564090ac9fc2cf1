package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A token was exchanged for another (RFC 8693): the first event of a grant of its own, issued to
 * the client that exchanged, linked to the grant of the subject token. The link is what makes the
 * new grant die with the one it came from: every read of its liveness (introspection, userinfo,
 * refresh, a further exchange) also asks whether a grant of {@link #grantChain} was revoked, so
 * revoking the original grant revokes everything exchanged from it, however many times over. It
 * also tells an auditor who acted for whom ({@link #actor}).
 *
 * @param clientId the client that exchanged, to which the new token was issued
 * @param subject the new token's {@code sub}: the subject token's
 * @param userId the subject when it is a user
 * @param subjectTokenType what the subject token was ({@link TokenType#ACCESS_TOKEN} or {@link
 *     TokenType#ID_TOKEN})
 * @param subjectGrantId the grant of the subject token
 * @param grantChain the grants this one descends from, root first, ending with {@code
 *     subjectGrantId}
 * @param actor the new token's {@code act}: the actor token's subject, then the subject token's own
 *     actors; empty for impersonation of an undelegated subject
 * @param actorGrantId the grant of the actor token, if one was presented
 * @param audiences the new token's {@code aud} as asked for; empty for the server's default
 * @param accessTokenJti the access token issued, unless a refresh token was asked for instead
 * @param refreshTokenHash the refresh token issued, when one was asked for
 * @param grantExpiresAt the absolute cap of the new grant, if one is configured
 * @param dpopJkt the DPoP key the access token is bound to (RFC 9449 §6), the key of the exchange
 *     request's proof; empty for a bearer token
 * @param refreshTokenJkt the key a public client's refresh token is bound to (RFC 9449 §5)
 * @param accessTokenHash SHA-256 (base64url) of the exact access token JWT issued (see {@link
 *     ClientCredentialsIssued}); empty without one, for an opaque one and in events written before
 */
public record TokenExchanged(
    String grantId,
    String clientId,
    String subject,
    Optional<String> userId,
    TokenType subjectTokenType,
    String subjectGrantId,
    List<String> grantChain,
    Optional<Actor> actor,
    Optional<String> actorGrantId,
    Scopes scopes,
    List<String> audiences,
    Optional<String> accessTokenJti,
    Optional<Instant> accessTokenExpiresAt,
    Optional<String> refreshTokenHash,
    Optional<Instant> refreshTokenExpiresAt,
    Optional<Instant> grantExpiresAt,
    Instant exchangedAt,
    Optional<String> dpopJkt,
    Optional<String> refreshTokenJkt,
    Optional<String> accessTokenHash)
    implements AccessTokenIssuance {
  public static final String TYPE = "grant.token_exchanged.v1";

  /** The same event recording {@code hash}, the SHA-256 of the access token JWT signed for it. */
  @Override
  public TokenExchanged withAccessTokenHash(String hash) {
    return new TokenExchanged(
        grantId,
        clientId,
        subject,
        userId,
        subjectTokenType,
        subjectGrantId,
        grantChain,
        actor,
        actorGrantId,
        scopes,
        audiences,
        accessTokenJti,
        accessTokenExpiresAt,
        refreshTokenHash,
        refreshTokenExpiresAt,
        grantExpiresAt,
        exchangedAt,
        dpopJkt,
        refreshTokenJkt,
        Optional.of(hash));
  }

  @Override
  public Optional<IssuedAccessToken> issuedAccessToken() {
    return accessTokenJti.map(
        jti ->
            new IssuedAccessToken(
                jti, subject, scopes, exchangedAt, accessTokenExpiresAt.orElseThrow(), dpopJkt));
  }

  public TokenExchanged {
    Objects.requireNonNull(dpopJkt, "dpopJkt");
    Objects.requireNonNull(refreshTokenJkt, "refreshTokenJkt");
    Objects.requireNonNull(accessTokenHash, "accessTokenHash");
    if (dpopJkt.isPresent() && accessTokenJti.isEmpty()
        || accessTokenHash.isPresent() && accessTokenJti.isEmpty()
        || refreshTokenJkt.isPresent() && refreshTokenHash.isEmpty()) {
      throw new IllegalArgumentException("only an issued access token is bound to a key or hashed");
    }
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(subjectTokenType, "subjectTokenType");
    Objects.requireNonNull(subjectGrantId, "subjectGrantId");
    grantChain = List.copyOf(grantChain);
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(actorGrantId, "actorGrantId");
    Objects.requireNonNull(scopes, "scopes");
    audiences = List.copyOf(audiences);
    Objects.requireNonNull(accessTokenJti, "accessTokenJti");
    Objects.requireNonNull(accessTokenExpiresAt, "accessTokenExpiresAt");
    Objects.requireNonNull(refreshTokenHash, "refreshTokenHash");
    Objects.requireNonNull(refreshTokenExpiresAt, "refreshTokenExpiresAt");
    Objects.requireNonNull(grantExpiresAt, "grantExpiresAt");
    Objects.requireNonNull(exchangedAt, "exchangedAt");
    if (accessTokenJti.isPresent() != accessTokenExpiresAt.isPresent()
        || refreshTokenHash.isPresent() != refreshTokenExpiresAt.isPresent()) {
      throw new IllegalArgumentException("a token and its expiry come together");
    }
    if (grantChain.isEmpty() || !grantChain.get(grantChain.size() - 1).equals(subjectGrantId)) {
      throw new IllegalArgumentException("the grant chain ends with the subject token's grant");
    }
  }

  @Override
  public String type() {
    return TYPE;
  }
}
