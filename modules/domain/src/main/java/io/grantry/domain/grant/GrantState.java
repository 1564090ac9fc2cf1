package io.grantry.domain.grant;

import io.grantry.domain.client.GrantType;
import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A grant as its events leave it: nothing yet, a code waiting to be redeemed, a device waiting for
 * its user's answer (then approved, or denied: final), an active grant with its tokens, or revoked
 * (final).
 */
public sealed interface GrantState
    permits GrantState.Empty,
        GrantState.CodeIssued,
        GrantState.DeviceRequested,
        GrantState.DeviceApproved,
        GrantState.DeviceDenied,
        GrantState.Active,
        GrantState.Revoked {

  /** The state of an empty stream. */
  static GrantState initial() {
    return Empty.INSTANCE;
  }

  /** No event yet: an unknown grant. */
  final class Empty implements GrantState {
    static final Empty INSTANCE = new Empty();

    private Empty() {}

    @Override
    public String toString() {
      return "Empty";
    }
  }

  /** A code was issued and not yet redeemed; it may still expire unused. */
  record CodeIssued(AuthorizationCodeIssued code) implements GrantState {
    public CodeIssued {
      Objects.requireNonNull(code, "code");
    }

    public String grantId() {
      return code.grantId();
    }

    public String clientId() {
      return code.clientId();
    }
  }

  /**
   * A device asked for authorization (RFC 8628 §3.1) and polls; no one has entered its user code
   * and answered yet. It may still expire unanswered.
   */
  record DeviceRequested(DeviceAuthorizationRequested request) implements GrantState {
    public DeviceRequested {
      Objects.requireNonNull(request, "request");
    }
  }

  /** The user approved the device; its next poll gets the tokens, unless the code expired. */
  record DeviceApproved(DeviceAuthorizationRequested request, DeviceAuthorizationApproved approval)
      implements GrantState {
    public DeviceApproved {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(approval, "approval");
    }
  }

  /** The user denied the device. Final: every poll gets {@code access_denied}. */
  record DeviceDenied(DeviceAuthorizationRequested request, DeviceAuthorizationDenied denial)
      implements GrantState {
    public DeviceDenied {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(denial, "denial");
    }
  }

  /** How a device grant became active: what the device asked for and who approved it. */
  record DeviceAuthorization(
      DeviceAuthorizationRequested request, DeviceAuthorizationApproved approval) {
    public DeviceAuthorization {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(approval, "approval");
    }
  }

  /**
   * What an ID token repeats of the user's authentication (OIDC Core §2): {@code auth_time}, the
   * request's {@code nonce} and the browser session ({@code sid}).
   */
  record Authentication(Instant authTime, Optional<String> nonce, Optional<String> sessionId) {
    public Authentication {
      Objects.requireNonNull(authTime, "authTime");
      Objects.requireNonNull(nonce, "nonce");
      Objects.requireNonNull(sessionId, "sessionId");
    }
  }

  /**
   * The grant's one live refresh token.
   *
   * @param jkt the thumbprint of the DPoP key it is bound to (a public client's, RFC 9449 §5):
   *     refreshing needs a proof of that key; empty if unbound
   */
  record RefreshToken(String hash, Instant expiresAt, Optional<String> jkt) {
    /** An unbound refresh token. */
    public RefreshToken(String hash, Instant expiresAt) {
      this(hash, expiresAt, Optional.empty());
    }

    public RefreshToken {
      Objects.requireNonNull(jkt, "jkt");
      Objects.requireNonNull(hash, "hash");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  /**
   * A grant whose tokens may be in use.
   *
   * @param kind {@link GrantType#AUTHORIZATION_CODE}, {@link GrantType#DEVICE_CODE}, {@link
   *     GrantType#CLIENT_CREDENTIALS} or {@link GrantType#TOKEN_EXCHANGE}
   * @param userId the subject; empty for client_credentials (and an exchange of a client's token)
   * @param scopes the scopes granted; never widened
   * @param authorization the code's facts (subject, nonce, auth_time, max_age) for id_tokens and
   *     replay detection; empty for client_credentials
   * @param refreshToken the current refresh token; empty without {@code offline_access}
   * @param lastRotation the latest rotation: the current refresh token's predecessor and the access
   *     token issued with it, for answering a retry within the grace period
   * @param expiresAt the absolute cap, if one was configured at redemption
   * @param grantedAt when the code or device code was redeemed, the client_credentials token issued
   *     or the token exchanged
   * @param exchange for a grant made by a token exchange, the exchange: the grants it descends
   *     from, the subject, the actor and the audience its tokens carry
   * @param device a device code grant's request and approval (the device code's hash, for replay
   *     detection; the approval's {@code auth_time}); empty for other grants
   *     <p>The state holds what deciding on the grant needs, and nothing that grows with its
   *     history, so a grant refreshed hourly for months costs what a new one costs to load, cache
   *     and snapshot. Neither the refresh tokens rotated away nor the access tokens issued are kept
   *     here. Whether a presented refresh token that is not the current one was issued by the grant
   *     (reuse, RFC 9700 §4.14.2) is a fact the caller looks up in the token-state projection and
   *     passes in the command ({@link GrantCommand.Refresh#presentedIssuedByGrant}); so is an
   *     access token a client revokes ({@link GrantCommand.RevokeAccessToken#issued}). What ends
   *     every access token of a revoked grant at once is the token-state projection, which revokes
   *     them by grant id in the revoking transaction (introspection and userinfo read it), not a
   *     list here. (A state that kept every unexpired access token made a grant rotated 360 times
   *     within the tokens' lifetime carry 360 entries: a 26 KB snapshot, ~0.5 ms to decode per cold
   *     load.)
   */
  record Active(
      String grantId,
      GrantType kind,
      String clientId,
      Optional<String> userId,
      Scopes scopes,
      Optional<AuthorizationCodeIssued> authorization,
      Optional<RefreshToken> refreshToken,
      Optional<RefreshTokenRotated> lastRotation,
      Optional<Instant> expiresAt,
      Instant grantedAt,
      Optional<TokenExchanged> exchange,
      Optional<DeviceAuthorization> device)
      implements GrantState {

    public Active {
      Objects.requireNonNull(grantId, "grantId");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(clientId, "clientId");
      Objects.requireNonNull(userId, "userId");
      Objects.requireNonNull(scopes, "scopes");
      Objects.requireNonNull(authorization, "authorization");
      Objects.requireNonNull(refreshToken, "refreshToken");
      Objects.requireNonNull(lastRotation, "lastRotation");
      Objects.requireNonNull(expiresAt, "expiresAt");
      Objects.requireNonNull(grantedAt, "grantedAt");
      Objects.requireNonNull(exchange, "exchange");
      Objects.requireNonNull(device, "device");
    }

    /**
     * The user's authentication an ID token of this grant repeats: the code's facts, or the
     * approval's {@code auth_time} for a device (which has no nonce, and no session of its own);
     * empty for client_credentials.
     */
    public Optional<Authentication> authentication() {
      if (authorization.isPresent()) {
        AuthorizationCodeIssued code = authorization.get();
        return Optional.of(new Authentication(code.authTime(), code.nonce(), code.sessionId()));
      }
      return device.map(
          d -> new Authentication(d.approval().authTime(), Optional.empty(), Optional.empty()));
    }

    /**
     * True if the current refresh token may be used at {@code now}: inside its window and the
     * grant's cap.
     */
    public boolean refreshable(Instant now) {
      return refreshToken.filter(r -> now.isBefore(r.expiresAt())).isPresent()
          && expiresAt.map(now::isBefore).orElse(true);
    }

    Active rotated(RefreshTokenRotated e) {
      return new Active(
          grantId,
          kind,
          clientId,
          userId,
          scopes,
          authorization,
          // The successor keeps the binding of the token it replaces.
          Optional.of(
              new RefreshToken(
                  e.newHash(), e.refreshTokenExpiresAt(), refreshToken.flatMap(RefreshToken::jkt))),
          Optional.of(e),
          expiresAt,
          grantedAt,
          exchange,
          device);
    }
  }

  /**
   * Revoked: every code and token of the grant is dead. Final.
   *
   * @param before the state the grant was revoked in: {@link CodeIssued}, {@link DeviceRequested},
   *     {@link DeviceApproved} or {@link Active}
   */
  record Revoked(GrantState before, RevocationReason reason, String actor, Instant revokedAt)
      implements GrantState {
    public Revoked {
      Objects.requireNonNull(before, "before");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(actor, "actor");
      Objects.requireNonNull(revokedAt, "revokedAt");
      if (!(before instanceof CodeIssued
          || before instanceof DeviceRequested
          || before instanceof DeviceApproved
          || before instanceof Active)) {
        throw new IllegalArgumentException(
            "only an issued code, a pending device or an active grant can be revoked, not "
                + before);
      }
    }

    public String grantId() {
      if (before instanceof Active a) {
        return a.grantId();
      }
      if (before instanceof DeviceRequested d) {
        return d.request().grantId();
      }
      if (before instanceof DeviceApproved d) {
        return d.request().grantId();
      }
      return ((CodeIssued) before).grantId();
    }

    public String clientId() {
      if (before instanceof Active a) {
        return a.clientId();
      }
      if (before instanceof DeviceRequested d) {
        return d.request().clientId();
      }
      if (before instanceof DeviceApproved d) {
        return d.request().clientId();
      }
      return ((CodeIssued) before).clientId();
    }
  }
}
