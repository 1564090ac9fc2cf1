package io.grantry.domain.grant;

import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.TokenExchangeMetadata;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an endpoint asks of a grant. Ids, {@code jti}s and secret hashes are generated outside and
 * passed in; the handler has already authenticated the client, and hashes every presented secret
 * with {@link GrantTokens#hash}.
 */
public sealed interface GrantCommand
    permits GrantCommand.IssueCode,
        GrantCommand.RedeemCode,
        GrantCommand.Refresh,
        GrantCommand.RevokeGrant,
        GrantCommand.RevokeAccessToken,
        GrantCommand.IssueClientCredentials,
        GrantCommand.ExchangeToken,
        GrantCommand.RequestDeviceAuthorization,
        GrantCommand.AnswerDeviceAuthorization,
        GrantCommand.RedeemDeviceCode {

  String grantId();

  /**
   * The authorization endpoint issues a code after consent (RFC 6749 §4.1.2).
   *
   * @param clientType a public client must send a PKCE challenge (RFC 9700 §2.1.1)
   * @param redirectUri the redirect URI the code is sent to, already matched against the registered
   *     ones
   * @param codeChallenge the S256 challenge; the handler refuses any method but S256
   * @param codeLifetime {@link GrantDecider#DEFAULT_CODE_LIFETIME} unless configured
   * @param dpopJkt the request's {@code dpop_jkt} (RFC 9449 §10), binding the code to that key
   */
  record IssueCode(
      String grantId,
      String clientId,
      ClientType clientType,
      String userId,
      String redirectUri,
      boolean redirectUriInRequest,
      Scopes scopes,
      String codeHash,
      Optional<String> codeChallenge,
      Optional<String> nonce,
      Instant authTime,
      Optional<Duration> maxAge,
      Duration codeLifetime,
      Optional<String> sessionId,
      Optional<String> dpopJkt)
      implements GrantCommand {
    /** A code not bound to a DPoP key. */
    public IssueCode(
        String grantId,
        String clientId,
        ClientType clientType,
        String userId,
        String redirectUri,
        boolean redirectUriInRequest,
        Scopes scopes,
        String codeHash,
        Optional<String> codeChallenge,
        Optional<String> nonce,
        Instant authTime,
        Optional<Duration> maxAge,
        Duration codeLifetime,
        Optional<String> sessionId) {
      this(
          grantId,
          clientId,
          clientType,
          userId,
          redirectUri,
          redirectUriInRequest,
          scopes,
          codeHash,
          codeChallenge,
          nonce,
          authTime,
          maxAge,
          codeLifetime,
          sessionId,
          Optional.empty());
    }

    public IssueCode {
      Objects.requireNonNull(dpopJkt, "dpopJkt");
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(clientType, "clientType");
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(redirectUri, "redirectUri");
      Objects.requireNonNull(scopes, "scopes");
      Objects.requireNonNull(codeHash, "codeHash");
      Objects.requireNonNull(codeChallenge, "codeChallenge");
      Objects.requireNonNull(nonce, "nonce");
      Objects.requireNonNull(authTime, "authTime");
      Objects.requireNonNull(maxAge, "maxAge");
      Objects.requireNonNull(codeLifetime, "codeLifetime");
      Objects.requireNonNull(sessionId, "sessionId");
    }
  }

  /**
   * The token endpoint exchanges a code (RFC 6749 §4.1.3).
   *
   * @param clientId the authenticated client (or, for a public client, the one named)
   * @param codeHash hash of the presented code's secret
   * @param redirectUri the token request's {@code redirect_uri}, if sent
   * @param codeVerifier the PKCE {@code code_verifier}, if sent
   * @param accessTokenJti {@code <grantId>.<unique>}
   * @param refreshTokenHash hash of a new refresh token's secret; pass one only when {@code
   *     offline_access} was granted and the client may refresh
   * @param dpop the request's checked DPoP key and what it binds ({@link DpopKey#NONE}: no proof)
   */
  record RedeemCode(
      String grantId,
      String clientId,
      String codeHash,
      Optional<String> redirectUri,
      Optional<String> codeVerifier,
      String accessTokenJti,
      Optional<String> refreshTokenHash,
      TokenLifetimes lifetimes,
      DpopKey dpop)
      implements GrantCommand {
    /** Without a DPoP proof. */
    public RedeemCode(
        String grantId,
        String clientId,
        String codeHash,
        Optional<String> redirectUri,
        Optional<String> codeVerifier,
        String accessTokenJti,
        Optional<String> refreshTokenHash,
        TokenLifetimes lifetimes) {
      this(
          grantId,
          clientId,
          codeHash,
          redirectUri,
          codeVerifier,
          accessTokenJti,
          refreshTokenHash,
          lifetimes,
          DpopKey.NONE);
    }

    public RedeemCode {
      Objects.requireNonNull(dpop, "dpop");
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(codeHash, "codeHash");
      Objects.requireNonNull(redirectUri, "redirectUri");
      Objects.requireNonNull(codeVerifier, "codeVerifier");
      Objects.requireNonNull(accessTokenJti, "accessTokenJti");
      Objects.requireNonNull(refreshTokenHash, "refreshTokenHash");
      Objects.requireNonNull(lifetimes, "lifetimes");
    }
  }

  /**
   * The token endpoint refreshes (RFC 6749 §6), rotating the refresh token.
   *
   * @param presentedHash hash of the presented refresh token's secret
   * @param requestedScopes the request's {@code scope}; empty (or an empty set) means the grant's
   *     scopes
   * @param newRefreshHash hash of the successor's secret; it must never have been issued before
   *     (the handler derives it with a keyed hash from the presented 256-bit secret). Only the
   *     current token's hash is checked here: the state keeps no older ones
   * @param accessTokenJti {@code <grantId>.<unique>} of the new access token, never issued before
   *     (the handler draws its unique part at random). Only the latest rotation's is checked here:
   *     the state keeps no list of access tokens
   * @param lifetimes the access token lifetime and the sliding window; the absolute cap is the one
   *     fixed at redemption
   * @param grace how long after a rotation a retry with the predecessor is answered instead of
   *     treated as reuse; zero (the default) turns this off. See {@link GrantDecider} for what a
   *     retry requires of the handler
   * @param presentedIssuedByGrant true if {@code presentedHash} is the hash of a refresh token this
   *     grant issued, as the token-state projection records it (the state keeps only the current
   *     one: see {@link GrantState.Active}). Only read when it is not the current token, so the
   *     caller needs to look it up only after a refusal as invalid (see {@link
   *     GrantDecider#needsIssuedLookup}). Presenting such a token again is reuse
   * @param dpop the request's checked DPoP key and whether the new access token is bound to it
   *     ({@link DpopKey#NONE}: no proof); a refresh token bound to a key needs a proof of it
   */
  record Refresh(
      String grantId,
      String clientId,
      String presentedHash,
      Optional<Scopes> requestedScopes,
      String newRefreshHash,
      String accessTokenJti,
      TokenLifetimes lifetimes,
      Duration grace,
      boolean presentedIssuedByGrant,
      DpopKey dpop)
      implements GrantCommand {

    /** Before any lookup: the presented token is not known to be one of the grant's. */
    public Refresh(
        String grantId,
        String clientId,
        String presentedHash,
        Optional<Scopes> requestedScopes,
        String newRefreshHash,
        String accessTokenJti,
        TokenLifetimes lifetimes,
        Duration grace) {
      this(
          grantId,
          clientId,
          presentedHash,
          requestedScopes,
          newRefreshHash,
          accessTokenJti,
          lifetimes,
          grace,
          false,
          DpopKey.NONE);
    }

    /** Without a DPoP proof. */
    public Refresh(
        String grantId,
        String clientId,
        String presentedHash,
        Optional<Scopes> requestedScopes,
        String newRefreshHash,
        String accessTokenJti,
        TokenLifetimes lifetimes,
        Duration grace,
        boolean presentedIssuedByGrant) {
      this(
          grantId,
          clientId,
          presentedHash,
          requestedScopes,
          newRefreshHash,
          accessTokenJti,
          lifetimes,
          grace,
          presentedIssuedByGrant,
          DpopKey.NONE);
    }

    /** The same command with the request's DPoP key. */
    public Refresh withDpop(DpopKey key) {
      return new Refresh(
          grantId,
          clientId,
          presentedHash,
          requestedScopes,
          newRefreshHash,
          accessTokenJti,
          lifetimes,
          grace,
          presentedIssuedByGrant,
          key);
    }

    /** The same command, knowing that the presented token was issued by the grant. */
    public Refresh issuedByGrant() {
      return new Refresh(
          grantId,
          clientId,
          presentedHash,
          requestedScopes,
          newRefreshHash,
          accessTokenJti,
          lifetimes,
          grace,
          true,
          dpop);
    }

    public Refresh {
      Objects.requireNonNull(dpop, "dpop");
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(presentedHash, "presentedHash");
      Objects.requireNonNull(requestedScopes, "requestedScopes");
      Objects.requireNonNull(newRefreshHash, "newRefreshHash");
      Objects.requireNonNull(accessTokenJti, "accessTokenJti");
      Objects.requireNonNull(lifetimes, "lifetimes");
      Objects.requireNonNull(grace, "grace");
    }
  }

  /**
   * Ends the grant and everything issued from it.
   *
   * @param actor who asks, e.g. {@code client:<id>}, {@code user:<id>}, {@code admin:<name>}
   * @param requestingClientId for a client's own revocation request (RFC 7009 §2.1): the grant must
   *     have been issued to it. Empty for users and operators
   */
  record RevokeGrant(
      String grantId, RevocationReason reason, String actor, Optional<String> requestingClientId)
      implements GrantCommand {
    public RevokeGrant {
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(actor, "actor");
      Objects.requireNonNull(requestingClientId, "requestingClientId");
    }
  }

  /**
   * Revokes one access token (RFC 7009 §2.1); {@code requestingClientId} as in {@link RevokeGrant}.
   *
   * @param issued the token as the token-state projection records it, if the grant issued it
   *     (looked up by the caller: the grant state keeps no access tokens, see {@link
   *     GrantState.Active}); empty for a token the grant did not issue, or one pruned long after it
   *     expired
   */
  record RevokeAccessToken(
      String grantId,
      String jti,
      String actor,
      Optional<String> requestingClientId,
      Optional<IssuedAccessToken> issued)
      implements GrantCommand {
    public RevokeAccessToken {
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(jti, "jti");
      Objects.requireNonNull(actor, "actor");
      Objects.requireNonNull(requestingClientId, "requestingClientId");
      Objects.requireNonNull(issued, "issued");
    }
  }

  /**
   * An access token a grant issued, as the token-state projection records it.
   *
   * @param revoked revoked on its own ({@link AccessTokenRevoked}); a revoked grant is its state's
   */
  record IssuedAccessToken(Instant expiresAt, boolean revoked) {
    public IssuedAccessToken {
      Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** Not revoked and not expired at {@code now} (expiry is exclusive). */
    public boolean activeAt(Instant now) {
      return !revoked && now.isBefore(expiresAt);
    }
  }

  /**
   * The token endpoint issues a client_credentials access token (RFC 6749 §4.4) on a new stream of
   * its own.
   *
   * @param scopes the scopes granted, already limited to what the client may ask for
   */
  record IssueClientCredentials(
      String grantId,
      String clientId,
      String jti,
      Scopes scopes,
      Duration accessTokenLifetime,
      Optional<String> jkt)
      implements GrantCommand {
    /** A bearer token (no DPoP key). */
    public IssueClientCredentials(
        String grantId, String clientId, String jti, Scopes scopes, Duration accessTokenLifetime) {
      this(grantId, clientId, jti, scopes, accessTokenLifetime, Optional.empty());
    }

    public IssueClientCredentials {
      Objects.requireNonNull(jkt, "jkt");
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(jti, "jti");
      Objects.requireNonNull(scopes, "scopes");
      Objects.requireNonNull(accessTokenLifetime, "accessTokenLifetime");
    }
  }

  /**
   * The token endpoint exchanges a token for another (RFC 8693 §2.1) on a new stream of its own,
   * linked to the subject token's grant.
   *
   * @param clientId the authenticated client, to which the new token is issued
   * @param clientScopes the widest scope the client may ask for
   * @param policy what the client may do with token exchange
   * @param subjectToken the subject token, verified by the endpoint
   * @param actorToken the actor token, verified likewise; empty asks for impersonation
   * @param requestedScopes the request's {@code scope}; empty means the subject token's (less what
   *     the client may not have)
   * @param audiences the request's {@code audience} values
   * @param resources the request's {@code resource} values (RFC 8707 §2)
   * @param requestedTokenType {@code requested_token_type}: an access token (also as {@link
   *     TokenType#JWT}) or a refresh token
   * @param accessTokenJti {@code <grantId>.<unique>} of the access token, if one is issued
   * @param refreshTokenHash the hash of the refresh token's secret, if one is issued
   * @param dpop the request's checked DPoP key and what it binds ({@link DpopKey#NONE}: no proof):
   *     a bound subject or actor token needs a proof of its key, and the issued token is bound to
   *     it
   */
  record ExchangeToken(
      String grantId,
      String clientId,
      Scopes clientScopes,
      TokenExchangeMetadata policy,
      PresentedToken subjectToken,
      Optional<PresentedToken> actorToken,
      Optional<Scopes> requestedScopes,
      List<String> audiences,
      List<String> resources,
      TokenType requestedTokenType,
      String accessTokenJti,
      String refreshTokenHash,
      TokenLifetimes lifetimes,
      DpopKey dpop)
      implements GrantCommand {
    /** Without a DPoP proof. */
    public ExchangeToken(
        String grantId,
        String clientId,
        Scopes clientScopes,
        TokenExchangeMetadata policy,
        PresentedToken subjectToken,
        Optional<PresentedToken> actorToken,
        Optional<Scopes> requestedScopes,
        List<String> audiences,
        List<String> resources,
        TokenType requestedTokenType,
        String accessTokenJti,
        String refreshTokenHash,
        TokenLifetimes lifetimes) {
      this(
          grantId,
          clientId,
          clientScopes,
          policy,
          subjectToken,
          actorToken,
          requestedScopes,
          audiences,
          resources,
          requestedTokenType,
          accessTokenJti,
          refreshTokenHash,
          lifetimes,
          DpopKey.NONE);
    }

    public ExchangeToken {
      Objects.requireNonNull(dpop, "dpop");
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(clientScopes, "clientScopes");
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(subjectToken, "subjectToken");
      Objects.requireNonNull(actorToken, "actorToken");
      Objects.requireNonNull(requestedScopes, "requestedScopes");
      audiences = List.copyOf(audiences);
      resources = List.copyOf(resources);
      Objects.requireNonNull(requestedTokenType, "requestedTokenType");
      Objects.requireNonNull(accessTokenJti, "accessTokenJti");
      Objects.requireNonNull(refreshTokenHash, "refreshTokenHash");
      Objects.requireNonNull(lifetimes, "lifetimes");
    }
  }

  /**
   * The key of a checked DPoP proof sent with a token request (RFC 9449 §5), and what the server
   * binds to it.
   *
   * @param jkt the key's RFC 7638 thumbprint; empty when the request had no proof
   * @param bindsAccessToken the access token is bound to the key (a JWT carries {@code cnf.jkt})
   * @param bindsRefreshToken a new refresh token is bound to the key (a public client's, §5)
   */
  record DpopKey(Optional<String> jkt, boolean bindsAccessToken, boolean bindsRefreshToken) {
    public static final DpopKey NONE = new DpopKey(Optional.empty(), false, false);

    public DpopKey {
      Objects.requireNonNull(jkt, "jkt");
      if (jkt.isEmpty() && (bindsAccessToken || bindsRefreshToken)) {
        throw new IllegalArgumentException("only a key binds");
      }
    }

    /** The thumbprint the access token is bound to, if it is. */
    public Optional<String> accessTokenJkt() {
      return bindsAccessToken ? jkt : Optional.empty();
    }

    /** The thumbprint a new refresh token is bound to, if it is. */
    public Optional<String> refreshTokenJkt() {
      return bindsRefreshToken ? jkt : Optional.empty();
    }
  }

  /**
   * The device authorization endpoint starts a device code grant (RFC 8628 §3.1-§3.2) on a new
   * stream. The handler has authenticated the client, checked that it may use the grant and limited
   * {@code scopes} to what it may ask for, and claimed the user code ({@link UserCodeClaims}).
   *
   * @param deviceCodeHash hash of the device code's secret ({@link GrantTokens#hash})
   * @param userCodeHash keyed hash of the normalized user code
   * @param interval the polling interval to tell the device
   * @param lifetime how long the device code and user code live ({@code expires_in})
   * @param dpopJkt the key the device code is bound to: the request's DPoP proof's, or its {@code
   *     dpop_jkt} (as RFC 9449 §10 binds a code); empty for an unbound device code
   */
  record RequestDeviceAuthorization(
      String grantId,
      String clientId,
      Scopes scopes,
      String deviceCodeHash,
      String userCodeHash,
      Duration interval,
      Duration lifetime,
      Optional<String> dpopJkt)
      implements GrantCommand {
    /** A device code not bound to a DPoP key. */
    public RequestDeviceAuthorization(
        String grantId,
        String clientId,
        Scopes scopes,
        String deviceCodeHash,
        String userCodeHash,
        Duration interval,
        Duration lifetime) {
      this(
          grantId,
          clientId,
          scopes,
          deviceCodeHash,
          userCodeHash,
          interval,
          lifetime,
          Optional.empty());
    }

    public RequestDeviceAuthorization {
      Objects.requireNonNull(dpopJkt, "dpopJkt");
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(scopes, "scopes");
      Objects.requireNonNull(deviceCodeHash, "deviceCodeHash");
      Objects.requireNonNull(userCodeHash, "userCodeHash");
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(lifetime, "lifetime");
    }
  }

  /**
   * The signed-in user's answer on the verification page (RFC 8628 §3.3).
   *
   * @param userCodeHash keyed hash of the code the user typed: it must be this grant's (knowing a
   *     grant id is not enough to answer for it)
   * @param authTime when the user authenticated in the session that answers
   * @param sessionId that browser session
   * @param approve true to allow the device, false to deny it
   */
  record AnswerDeviceAuthorization(
      String grantId,
      String userCodeHash,
      String userId,
      Instant authTime,
      Optional<String> sessionId,
      boolean approve)
      implements GrantCommand {
    public AnswerDeviceAuthorization {
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(userCodeHash, "userCodeHash");
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(authTime, "authTime");
      Objects.requireNonNull(sessionId, "sessionId");
    }
  }

  /**
   * The token endpoint's {@code grant_type=urn:ietf:params:oauth:grant-type:device_code}: a poll
   * (RFC 8628 §3.4-§3.5). Answered with the tokens once approved, else with the error the state
   * stands for.
   *
   * @param clientId the authenticated client (or, for a public client, the one named)
   * @param deviceCodeHash hash of the presented device code's secret
   * @param accessTokenJti {@code <grantId>.<unique>}
   * @param refreshTokenHash hash of a new refresh token's secret; pass one only when {@code
   *     offline_access} was asked for and the client may refresh
   * @param pollTooFast true if this poll came sooner than the grant's current interval after the
   *     previous one, as the server's poll record across instances says (the ledger records
   *     answers, not polls). Only read while the grant waits for its user: see {@link
   *     GrantDecider#needsPollRecord}
   * @param dpop the poll's checked DPoP key and what it binds ({@link DpopKey#NONE}: no proof): a
   *     device code bound to a key is answered only to a proof of it
   */
  record RedeemDeviceCode(
      String grantId,
      String clientId,
      String deviceCodeHash,
      String accessTokenJti,
      Optional<String> refreshTokenHash,
      TokenLifetimes lifetimes,
      boolean pollTooFast,
      DpopKey dpop)
      implements GrantCommand {
    /** Without a DPoP proof. */
    public RedeemDeviceCode(
        String grantId,
        String clientId,
        String deviceCodeHash,
        String accessTokenJti,
        Optional<String> refreshTokenHash,
        TokenLifetimes lifetimes,
        boolean pollTooFast) {
      this(
          grantId,
          clientId,
          deviceCodeHash,
          accessTokenJti,
          refreshTokenHash,
          lifetimes,
          pollTooFast,
          DpopKey.NONE);
    }

    public RedeemDeviceCode {
      Objects.requireNonNull(dpop, "dpop");
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(deviceCodeHash, "deviceCodeHash");
      Objects.requireNonNull(accessTokenJti, "accessTokenJti");
      Objects.requireNonNull(refreshTokenHash, "refreshTokenHash");
      Objects.requireNonNull(lifetimes, "lifetimes");
    }

    /** The same poll, knowing whether it came too fast. */
    public RedeemDeviceCode polled(boolean tooFast) {
      return new RedeemDeviceCode(
          grantId,
          clientId,
          deviceCodeHash,
          accessTokenJti,
          refreshTokenHash,
          lifetimes,
          tooFast,
          dpop);
    }
  }
}
