package io.grantry.domain.grant;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.domain.FieldRules;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.client.GrantType;
import io.grantry.domain.client.TokenExchangeMetadata;
import io.grantry.domain.grant.GrantCommand.AnswerDeviceAuthorization;
import io.grantry.domain.grant.GrantCommand.ExchangeToken;
import io.grantry.domain.grant.GrantCommand.IssueClientCredentials;
import io.grantry.domain.grant.GrantCommand.IssueCode;
import io.grantry.domain.grant.GrantCommand.RedeemCode;
import io.grantry.domain.grant.GrantCommand.RedeemDeviceCode;
import io.grantry.domain.grant.GrantCommand.Refresh;
import io.grantry.domain.grant.GrantCommand.RequestDeviceAuthorization;
import io.grantry.domain.grant.GrantCommand.RevokeAccessToken;
import io.grantry.domain.grant.GrantCommand.RevokeGrant;
import io.grantry.domain.grant.GrantState.Active;
import io.grantry.domain.grant.GrantState.CodeIssued;
import io.grantry.domain.grant.GrantState.RefreshToken;
import io.grantry.domain.grant.GrantState.Revoked;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Pkce;
import io.grantry.domain.oauth.RedirectUriRules;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The grant aggregate's pure {@link #decide} and {@link #evolve}: no clock, no I/O, no randomness.
 * Ids, {@code jti}s, hashes and lifetimes arrive in the commands, {@code now} from the caller.
 *
 * <h2>Errors</h2>
 *
 * A refusal a client should see is {@link DomainError.OAuth} carrying the RFC 6749 error to render
 * as is. {@link ValidationError}, {@link DomainError.NotFound} and {@link
 * DomainError.AlreadyExists} mean the caller broke a contract (a malformed hash, a reused id) or
 * asked about something that does not exist; the token endpoint renders them as {@code
 * server_error}, the revocation endpoint answers an unknown grant or token with 200 (RFC 7009
 * §2.2).
 *
 * <h2>Refusals that are also facts</h2>
 *
 * A replayed code and a reused refresh token are refused, yet the decision is <em>accepted</em>: it
 * appends {@link AuthorizationCodeReplayed} or {@link RefreshTokenReuseDetected} followed by {@link
 * GrantRevoked}, since a {@link Decision} is either events or an error, never both. The handler
 * appends them and then answers {@link #refusalIn}'s {@code invalid_grant}.
 *
 * <h2>Who may trigger a revocation</h2>
 *
 * A request from a client other than the grant's is refused before anything else, without effect: a
 * client cannot revoke a grant it was never given, and knowing a grant id (it is in every code,
 * which travels in URLs) is not enough either, since only a presented secret whose hash matches a
 * replayed code or a rotated refresh token triggers a revocation.
 *
 * <h2>Refresh grace period (trade-off)</h2>
 *
 * With {@code grace} of zero, any rotated refresh token presented again revokes the grant (the
 * state holds only the current token: the handler tells which hashes the grant issued, see {@link
 * #needsIssuedLookup}), which is the RFC 9700 §4.14.2 rule but also punishes a client whose refresh
 * response was lost in the network. With {@code grace > 0}, the immediate predecessor of the
 * current refresh token, presented within {@code grace} of its rotation by the same client for the
 * same scopes, is answered with the same successor: the decision is {@link Decision#unchanged()}
 * and {@link Active#lastRotation()} holds the successor's hash, access token {@code jti} and
 * expiries. Since only hashes are stored, the handler can only return the same refresh token if it
 * derives successor secrets deterministically from the predecessor (for example HMAC-SHA-256 with a
 * server key over the presented secret): the command's {@code newRefreshHash} must equal the
 * recorded successor's hash, otherwise the retry counts as reuse. The cost: for {@code grace} after
 * each rotation, a thief holding the predecessor gets the successor instead of triggering
 * revocation. Keep it short ({@link #MAX_REFRESH_GRACE}) or off.
 *
 * <p>Why one long file: it is one aggregate's decide and evolve; each command is one private method
 * here and each rule lives once. Splitting it per command would spread one state machine's
 * invariants (a revoked grant stays revoked, a spent code revokes on replay, a rotated token
 * revokes on reuse) across files that must then be read together anyway.
 */
public final class GrantDecider {
  static final String KIND = "grant";

  /** RFC 6749 §4.1.2 recommends at most 10 minutes; we default to 60 seconds. */
  public static final Duration DEFAULT_CODE_LIFETIME = Duration.ofSeconds(60);

  public static final Duration MAX_CODE_LIFETIME = Duration.ofMinutes(10);
  public static final Duration MAX_REFRESH_GRACE = Duration.ofMinutes(2);
  public static final int MAX_ID_LENGTH = 128;
  public static final int MAX_NONCE_LENGTH = 512;
  public static final int MAX_ACTOR_LENGTH = 200;

  /**
   * How many exchanges deep a grant may descend from its root (RFC 8693 leaves chains unbounded):
   * each level adds a grant every liveness check reads and an actor to the {@code act} claim.
   */
  public static final int MAX_EXCHANGE_DEPTH = 8;

  /** The actor of revocations the server decides on its own (replay, reuse). */
  public static final String SYSTEM_ACTOR = "system";

  private GrantDecider() {}

  public static Decision<GrantEvent> decide(GrantState state, GrantCommand command, Instant now) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(now, "now");
    grantIdOf(state)
        .ifPresent(
            id -> {
              if (!id.equals(command.grantId())) {
                throw new IllegalArgumentException(
                    "command for grant '"
                        + command.grantId()
                        + "' decided against the state of '"
                        + id
                        + "'");
              }
            });
    if (command instanceof IssueCode c) {
      return issueCode(state, c, now);
    }
    if (command instanceof RedeemCode c) {
      return redeemCode(state, c, now);
    }
    if (command instanceof Refresh c) {
      return refresh(state, c, now);
    }
    if (command instanceof RevokeGrant c) {
      return revokeGrant(state, c, now);
    }
    if (command instanceof RevokeAccessToken c) {
      return revokeAccessToken(state, c, now);
    }
    if (command instanceof ExchangeToken c) {
      return exchangeToken(state, c, now);
    }
    if (command instanceof RequestDeviceAuthorization c) {
      return DeviceGrantDecisions.request(state, c, now);
    }
    if (command instanceof AnswerDeviceAuthorization c) {
      return DeviceGrantDecisions.answer(state, c, now);
    }
    if (command instanceof RedeemDeviceCode c) {
      return DeviceGrantDecisions.redeem(state, c, now);
    }
    return issueClientCredentials(state, (IssueClientCredentials) command, now);
  }

  /**
   * The OAuth error to answer for an accepted decision whose events record a refusal (a replayed
   * code, a reused refresh token); empty when the events are a success.
   */
  public static Optional<OAuthError> refusalIn(List<GrantEvent> events) {
    for (GrantEvent e : events) {
      if (e instanceof AuthorizationCodeReplayed) {
        return Optional.of(
            OAuthError.invalidGrant(
                "the authorization code was already used; the tokens issued from it are revoked"));
      }
      if (e instanceof RefreshTokenReuseDetected) {
        return Optional.of(
            OAuthError.invalidGrant("the refresh token was already used; the grant is revoked"));
      }
      if (e instanceof DeviceCodeReplayed) {
        return Optional.of(
            OAuthError.invalidGrant(
                "the device code was already used; the tokens issued from it are revoked"));
      }
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ issue code

  private static Decision<GrantEvent> issueCode(GrantState state, IssueCode c, Instant now) {
    Optional<ValidationError> problem =
        grantIdProblem(c.grantId())
            .or(() -> FieldRules.identifier("client_id", c.clientId(), MAX_ID_LENGTH))
            .or(() -> FieldRules.identifier("user_id", c.userId(), MAX_ID_LENGTH))
            .or(() -> redirectUriProblem(c.redirectUri()))
            .or(() -> hashProblem("code_hash", c.codeHash()))
            .or(() -> durationProblem("code_lifetime", c.codeLifetime(), MAX_CODE_LIFETIME))
            .or(
                () ->
                    c.authTime().isAfter(now)
                        ? validation("auth_time", "auth_time must not be after the issue time")
                        : Optional.empty())
            .or(
                () ->
                    c.maxAge().filter(Duration::isNegative).isPresent()
                        ? validation("max_age", "max_age must not be negative")
                        : Optional.empty());
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (!(state instanceof GrantState.Empty)) {
      return Decision.reject(new DomainError.AlreadyExists(KIND, c.grantId()));
    }
    if (c.codeChallenge().isEmpty() && c.clientType() == ClientType.PUBLIC) {
      return oauth(
          OAuthError.invalidRequest(
              "code_challenge is required for public clients (RFC 7636 §4.4.1, RFC 9700 §2.1.1)"));
    }
    if (c.codeChallenge().isPresent() && !Pkce.isValidChallenge(c.codeChallenge().get())) {
      return oauth(
          OAuthError.invalidRequest(
              "code_challenge must be the S256 value: 43 base64url characters (RFC 7636 §4.2)"));
    }
    if (c.dpopJkt().isPresent() && !isThumbprint(c.dpopJkt().get())) {
      return oauth(
          OAuthError.invalidRequest(
              "dpop_jkt must be a SHA-256 JWK thumbprint: 43 base64url characters (RFC 9449 §10)"));
    }
    if (c.nonce().isPresent() && !isPrintable(c.nonce().get(), MAX_NONCE_LENGTH)) {
      return oauth(
          OAuthError.invalidRequest(
              "nonce must be 1-" + MAX_NONCE_LENGTH + " printable ASCII characters"));
    }
    return Decision.accept(
        new AuthorizationCodeIssued(
            c.grantId(),
            c.clientId(),
            c.userId(),
            c.redirectUri(),
            c.redirectUriInRequest(),
            c.scopes(),
            c.codeHash(),
            c.codeChallenge(),
            c.nonce(),
            c.authTime(),
            c.maxAge(),
            now,
            now.plus(c.codeLifetime()),
            c.sessionId(),
            c.dpopJkt()));
  }

  // ------------------------------------------------------------------ redeem code

  /** RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §2.1.1 and §4.5.3.1. */
  private static Decision<GrantEvent> redeemCode(GrantState state, RedeemCode c, Instant now) {
    Optional<ValidationError> problem =
        hashProblem("code_hash", c.codeHash())
            .or(() -> jtiProblem(c.grantId(), c.accessTokenJti()))
            .or(() -> c.refreshTokenHash().flatMap(h -> hashProblem("refresh_token_hash", h)));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (state instanceof GrantState.Empty) {
      return invalidGrant("invalid authorization code");
    }
    if (state instanceof Revoked) {
      return invalidGrant("the authorization code was revoked");
    }
    if (state instanceof Active a) {
      if (a.kind() != GrantType.AUTHORIZATION_CODE) {
        return invalidGrant("invalid authorization code");
      }
      if (!a.clientId().equals(c.clientId())) {
        return invalidGrant("the authorization code was issued to another client");
      }
      // A second presentation of the right code: it has leaked. RFC 6749 §10.5: revoke what
      // was issued from it. A wrong code for a known grant id is only a guess and changes nothing.
      if (GrantTokens.hashesEqual(c.codeHash(), a.authorization().orElseThrow().codeHash())) {
        return Decision.accept(
            List.of(
                new AuthorizationCodeReplayed(a.grantId(), c.clientId(), now),
                new GrantRevoked(a.grantId(), RevocationReason.CODE_REPLAYED, SYSTEM_ACTOR, now)));
      }
      return invalidGrant("invalid authorization code");
    }
    if (!(state instanceof CodeIssued issued)) {
      // A device grant before its tokens (RFC 8628): its device code is no authorization code, and
      // presented as one it is a guess that changes nothing.
      return invalidGrant("invalid authorization code");
    }
    AuthorizationCodeIssued code = issued.code();
    if (!code.clientId().equals(c.clientId())) {
      return invalidGrant("the authorization code was issued to another client");
    }
    if (!GrantTokens.hashesEqual(c.codeHash(), code.codeHash())) {
      return invalidGrant("invalid authorization code");
    }
    if (!now.isBefore(code.expiresAt())) {
      return invalidGrant("the authorization code has expired");
    }
    boolean redirectMatches =
        code.redirectUriInRequest()
            ? c.redirectUri().filter(code.redirectUri()::equals).isPresent()
            : c.redirectUri().map(code.redirectUri()::equals).orElse(true);
    if (!redirectMatches) {
      return invalidGrant(
          "redirect_uri does not match the authorization request (RFC 6749 §4.1.3)");
    }
    Optional<OAuthError> pkce = pkceProblem(code.codeChallenge(), c.codeVerifier());
    if (pkce.isPresent()) {
      return oauth(pkce.get());
    }
    // RFC 9449 §10: a code bound to a key is redeemed only with a proof of that key.
    if (code.dpopJkt().isPresent() && !code.dpopJkt().equals(c.dpop().jkt())) {
      return invalidGrant("the authorization code is bound to another DPoP key (RFC 9449 §10)");
    }
    return redeemed(
        code.grantId(),
        code.clientId(),
        code.userId(),
        code.scopes(),
        c.accessTokenJti(),
        c.refreshTokenHash(),
        c.lifetimes(),
        c.dpop(),
        now,
        AuthorizationCodeRedeemed::new);
  }

  /**
   * The tokens a code is redeemed for at {@code now}, an authorization code's or a device code's
   * alike ({@link CodeRedemption}), as the event {@code event} makes of them: the access token for
   * its lifetime, a refresh token only with {@code offline_access} and for its window, both capped
   * by the grant's absolute life when one is configured, bound to the keys {@code dpop} binds (the
   * refresh token's only when there is one).
   */
  static Decision<GrantEvent> redeemed(
      String grantId,
      String clientId,
      String userId,
      Scopes scopes,
      String accessTokenJti,
      Optional<String> refreshTokenHash,
      TokenLifetimes life,
      GrantCommand.DpopKey dpop,
      Instant now,
      Function<CodeRedemption.Issued, GrantEvent> event) {
    if (refreshTokenHash.isPresent() && !scopes.contains(Scopes.OFFLINE_ACCESS)) {
      return Decision.reject(
          new ValidationError(
              "refresh_token_hash",
              "a refresh token is issued only when offline_access was granted"));
    }
    Optional<Instant> cap = life.absolute().map(now::plus);
    return Decision.accept(
        event.apply(
            new CodeRedemption.Issued(
                grantId,
                clientId,
                userId,
                accessTokenJti,
                capped(now.plus(life.accessToken()), cap),
                refreshTokenHash,
                refreshTokenHash.map(h -> capped(now.plus(life.refreshToken()), cap)),
                cap,
                scopes,
                now,
                dpop.accessTokenJkt(),
                refreshTokenHash.isPresent() ? dpop.refreshTokenJkt() : Optional.empty(),
                Optional.empty())));
  }

  /**
   * RFC 7636 §4.6 with the downgrade rule of RFC 9700 §2.1.1: a challenge makes the verifier
   * mandatory, and a verifier without a challenge is refused. Every failure is {@code
   * invalid_grant}: the code cannot be exchanged by this request.
   */
  private static Optional<OAuthError> pkceProblem(
      Optional<String> challenge, Optional<String> verifier) {
    if (challenge.isEmpty()) {
      return verifier.isPresent()
          ? Optional.of(
              OAuthError.invalidGrant(
                  "code_verifier sent but the authorization request had no code_challenge"))
          : Optional.empty();
    }
    if (verifier.isEmpty()) {
      return Optional.of(
          OAuthError.invalidGrant(
              "code_verifier is required: the authorization request had a code_challenge"));
    }
    if (!Pkce.isValidVerifier(verifier.get())) {
      return Optional.of(
          OAuthError.invalidGrant(
              "code_verifier must be 43-128 characters from A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)"));
    }
    if (!Pkce.verifies(verifier.get(), challenge.get())) {
      return Optional.of(
          OAuthError.invalidGrant(
              "code_verifier does not match the code_challenge (RFC 7636 §4.6)"));
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ refresh

  /** RFC 6749 §6, RFC 9700 §4.14.2. */
  private static Decision<GrantEvent> refresh(GrantState state, Refresh c, Instant now) {
    Optional<ValidationError> problem =
        hashProblem("refresh_token_hash", c.presentedHash())
            .or(() -> hashProblem("new_refresh_token_hash", c.newRefreshHash()))
            .or(() -> jtiProblem(c.grantId(), c.accessTokenJti()))
            .or(
                () ->
                    c.grace().isNegative() || c.grace().compareTo(MAX_REFRESH_GRACE) > 0
                        ? validation(
                            "grace",
                            "grace must be 0 to " + MAX_REFRESH_GRACE.toSeconds() + " seconds")
                        : Optional.empty());
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (state instanceof Revoked) {
      return invalidGrant("the refresh token was revoked");
    }
    if (!(state instanceof Active a) || a.refreshToken().isEmpty()) {
      return invalidGrant("invalid refresh token");
    }
    if (!a.clientId().equals(c.clientId())) {
      return invalidGrant("the refresh token was issued to another client");
    }
    RefreshToken current = a.refreshToken().get();
    Scopes requested = c.requestedScopes().filter(s -> !s.isEmpty()).orElse(a.scopes());
    if (GrantTokens.hashesEqual(c.presentedHash(), current.hash())) {
      // RFC 9449 §5: a refresh token bound to a key needs a proof of that key. Refused without
      // revoking: the token did not leak by this request's fault alone.
      if (current.jkt().isPresent() && !current.jkt().equals(c.dpop().jkt())) {
        return invalidGrant("the refresh token is bound to another DPoP key (RFC 9449 §5)");
      }
      if (!now.isBefore(current.expiresAt())) {
        return invalidGrant("the refresh token has expired");
      }
      if (a.expiresAt().filter(cap -> !now.isBefore(cap)).isPresent()) {
        return invalidGrant("the grant has reached its maximum lifetime");
      }
      if (!requested.isSubsetOf(a.scopes())) {
        TreeSet<String> extra = new TreeSet<>(requested.asSet());
        extra.removeAll(a.scopes().asSet());
        return oauth(
            OAuthError.invalidScope(
                "scope exceeds what was granted: " + String.join(" ", extra) + " (RFC 6749 §6)"));
      }
      if (c.newRefreshHash().equals(current.hash())) {
        return Decision.reject(
            new ValidationError(
                "new_refresh_token_hash", "the new refresh token hash was used before"));
      }
      if (a.lastRotation().filter(r -> r.accessTokenJti().equals(c.accessTokenJti())).isPresent()) {
        return Decision.reject(new ValidationError("jti", "the access token jti was used before"));
      }
      Instant refreshExpiresAt = capped(now.plus(c.lifetimes().refreshToken()), a.expiresAt());
      Instant accessExpiresAt = capped(now.plus(c.lifetimes().accessToken()), a.expiresAt());
      return Decision.accept(
          new RefreshTokenRotated(
              a.grantId(),
              a.clientId(),
              a.userId().orElseThrow(),
              current.hash(),
              c.newRefreshHash(),
              c.accessTokenJti(),
              accessExpiresAt,
              refreshExpiresAt,
              requested,
              now,
              c.dpop().accessTokenJkt(),
              Optional.empty()));
    }
    // Not the current token, but one the grant issued (the caller looked it up): reuse.
    if (c.presentedIssuedByGrant()) {
      if (isRetryWithinGrace(a, c, requested, now)) {
        return Decision.unchanged();
      }
      return Decision.accept(
          List.of(
              new RefreshTokenReuseDetected(a.grantId(), c.clientId(), c.presentedHash(), now),
              new GrantRevoked(a.grantId(), RevocationReason.REFRESH_REUSE, SYSTEM_ACTOR, now)));
    }
    return invalidGrant("invalid refresh token");
  }

  /**
   * True if deciding {@code c} on {@code state} needs to know whether its presented token was
   * issued by the grant: the grant is active, of the same client, and the token is not its current
   * one. The caller reads that fact first (the token-state projection keeps every token the grant
   * issued; the state keeps only the current one) and decides once, with {@link
   * GrantCommand.Refresh#issuedByGrant()} when the grant issued it (reuse, or a retry within the
   * grace period). A rotation, which presents the current token, needs no read.
   */
  public static boolean needsIssuedLookup(GrantState state, Refresh c) {
    return !c.presentedIssuedByGrant()
        && state instanceof Active a
        && a.clientId().equals(c.clientId())
        && a.refreshToken()
            .filter(r -> !GrantTokens.hashesEqual(c.presentedHash(), r.hash()))
            .isPresent();
  }

  /**
   * True if deciding the poll {@code c} on {@code state} at {@code now} needs to know whether it
   * came too fast ({@link RedeemDeviceCode#pollTooFast}): the grant waits for its user and the
   * client, device code and time are right. The caller records the poll (across instances) only
   * then and decides once with the answer; a poll the grant refuses or answers otherwise records
   * nothing.
   */
  public static boolean needsPollRecord(GrantState state, RedeemDeviceCode c, Instant now) {
    return DeviceGrantDecisions.needsPollRecord(state, c, now);
  }

  private static boolean isRetryWithinGrace(Active a, Refresh c, Scopes requested, Instant now) {
    if (c.grace().isZero() || a.lastRotation().isEmpty()) {
      return false;
    }
    RefreshTokenRotated last = a.lastRotation().get();
    return GrantTokens.hashesEqual(c.presentedHash(), last.oldHash())
        && now.isBefore(last.rotatedAt().plus(c.grace()))
        && GrantTokens.hashesEqual(c.newRefreshHash(), last.newHash())
        && requested.equals(last.scopes())
        && a.refreshable(now)
        // A bound refresh token's retry proves the key as the first request did (RFC 9449 §5).
        && a.refreshToken().flatMap(RefreshToken::jkt).map(c.dpop().jkt()::equals).orElse(true)
        && c.dpop().accessTokenJkt().equals(last.dpopJkt());
  }

  // ------------------------------------------------------------------ revoke

  private static Decision<GrantEvent> revokeGrant(GrantState state, RevokeGrant c, Instant now) {
    Optional<ValidationError> problem =
        FieldRules.displayText("actor", c.actor(), MAX_ACTOR_LENGTH);
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (state instanceof GrantState.Empty) {
      return Decision.reject(new DomainError.NotFound(KIND, c.grantId()));
    }
    Optional<Decision<GrantEvent>> foreign = foreignClient(state, c.requestingClientId());
    if (foreign.isPresent()) {
      return foreign.get();
    }
    if (state instanceof Revoked || state instanceof GrantState.DeviceDenied) {
      // A denied device has nothing to revoke: nothing was or will be issued from it.
      return Decision.unchanged();
    }
    return Decision.accept(new GrantRevoked(c.grantId(), c.reason(), c.actor(), now));
  }

  private static Decision<GrantEvent> revokeAccessToken(
      GrantState state, RevokeAccessToken c, Instant now) {
    Optional<ValidationError> problem =
        FieldRules.displayText("actor", c.actor(), MAX_ACTOR_LENGTH);
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (state instanceof GrantState.Empty) {
      return Decision.reject(new DomainError.NotFound(KIND, c.grantId()));
    }
    Optional<Decision<GrantEvent>> foreign = foreignClient(state, c.requestingClientId());
    if (foreign.isPresent()) {
      return foreign.get();
    }
    if (state instanceof Revoked) {
      return Decision.unchanged();
    }
    if (!(state instanceof Active) || c.issued().isEmpty()) {
      return Decision.reject(new DomainError.NotFound("access token", c.jti()));
    }
    if (!c.issued().get().activeAt(now)) {
      return Decision.unchanged();
    }
    return Decision.accept(new AccessTokenRevoked(c.grantId(), c.jti(), c.actor(), now));
  }

  /** RFC 7009 §2.1: a client may only revoke tokens issued to it. */
  private static Optional<Decision<GrantEvent>> foreignClient(
      GrantState state, Optional<String> requestingClientId) {
    if (requestingClientId.isEmpty()) {
      return Optional.empty();
    }
    String owner = clientIdOf(state).orElseThrow();
    if (owner.equals(requestingClientId.get())) {
      return Optional.empty();
    }
    return Optional.of(
        oauth(
            OAuthError.unauthorizedClient(
                "the token was not issued to this client (RFC 7009 §2.1)")));
  }

  // ------------------------------------------------------------------ client credentials

  /** RFC 6749 §4.4: an access token only; no refresh token (§4.4.3) and no end user. */
  private static Decision<GrantEvent> issueClientCredentials(
      GrantState state, IssueClientCredentials c, Instant now) {
    Optional<ValidationError> problem =
        grantIdProblem(c.grantId())
            .or(() -> FieldRules.identifier("client_id", c.clientId(), MAX_ID_LENGTH))
            .or(() -> jtiProblem(c.grantId(), c.jti()))
            .or(
                () ->
                    durationProblem(
                        "access_token_lifetime",
                        c.accessTokenLifetime(),
                        TokenLifetimes.MAX_ACCESS_TOKEN));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (!(state instanceof GrantState.Empty)) {
      return Decision.reject(new DomainError.AlreadyExists(KIND, c.grantId()));
    }
    if (c.scopes().hasUserOnly()) {
      // Refused rather than dropped: a client that asks for a user's claims in a machine token
      // has a wrong idea of what it gets, and RFC 6749 §5.2 has the error for it.
      return oauth(
          OAuthError.invalidScope(
              "openid, profile, email and offline_access need an end user; client_credentials has none"));
    }
    return Decision.accept(
        new ClientCredentialsIssued(
            c.grantId(),
            c.clientId(),
            c.jti(),
            c.scopes(),
            now,
            now.plus(c.accessTokenLifetime()),
            c.jkt(),
            Optional.empty()));
  }

  // ------------------------------------------------------------------ token exchange

  /**
   * RFC 8693 §2: a token for the subject token's subject, issued to the exchanging client on a new
   * stream linked to the subject token's grant. The endpoint has verified both tokens (ours, live);
   * this decides what the client may get from them:
   *
   * <ul>
   *   <li>only tokens meant for it: issued to it or naming it as an audience (a client holding a
   *       token of another client cannot trade it for one of its own);
   *   <li>without an actor token only for a token issued to the client itself (it acts as the
   *       subject already) or when registered for impersonation; with one, the new token names the
   *       actor in {@code act}, before the subject token's own actors (§4.1);
   *   <li>never a wider scope than the subject token's, nor one the client may not ask for ({@code
   *       invalid_scope});
   *   <li>only audiences and resources it is registered for ({@code invalid_target}, §2.2.2);
   *   <li>an access token that does not outlive the tokens it was made from, or, where the client
   *       is registered for it, a refresh token of the new grant (a user's only: a client acting
   *       for itself asks for its own tokens).
   *   <li>a DPoP-bound subject or actor token (RFC 9449) only with a proof of its key on the
   *       request, and only for a token bound to that key again, never for a bearer one.
   * </ul>
   *
   * A dead or foreign subject or actor token is {@code invalid_grant}, as the issue asks; RFC 8693
   * §2.2.2 says {@code invalid_request} for any unacceptable token, see the token endpoint's notes.
   */
  private static Decision<GrantEvent> exchangeToken(
      GrantState state, ExchangeToken c, Instant now) {
    Optional<ValidationError> problem =
        grantIdProblem(c.grantId())
            .or(() -> FieldRules.identifier("client_id", c.clientId(), MAX_ID_LENGTH))
            .or(() -> jtiProblem(c.grantId(), c.accessTokenJti()))
            .or(() -> hashProblem("refresh_token_hash", c.refreshTokenHash()));
    if (problem.isPresent()) {
      return Decision.reject(problem.get());
    }
    if (!(state instanceof GrantState.Empty)) {
      return Decision.reject(new DomainError.AlreadyExists(KIND, c.grantId()));
    }
    PresentedToken subject = c.subjectToken();
    if (!now.isBefore(subject.expiresAt())) {
      return invalidGrant("the subject_token has expired");
    }
    if (!subject.isFor(c.clientId())) {
      return invalidGrant(
          "the subject_token was issued to another client and does not name this one as its"
              + " audience");
    }
    if (subject.grantChain().size() >= MAX_EXCHANGE_DEPTH) {
      return invalidGrant(
          "the subject_token was exchanged "
              + subject.grantChain().size()
              + " times already; at most "
              + MAX_EXCHANGE_DEPTH
              + " exchanges make a chain");
    }
    // RFC 9449: a bound token is never presented as a bearer token, here either. The request's one
    // proof (§4.3) must be of its key, so a subject and an actor bound to two keys never pass.
    if (subject.jkt().isPresent() && !subject.jkt().equals(c.dpop().jkt())) {
      return invalidGrant(
          "the subject_token is DPoP-bound: the request must carry a DPoP proof of its key");
    }
    Optional<String> actorJkt = c.actorToken().flatMap(PresentedToken::jkt);
    if (actorJkt.isPresent() && !actorJkt.equals(c.dpop().jkt())) {
      return invalidGrant(
          "the actor_token is DPoP-bound: the request must carry a DPoP proof of its key");
    }
    boolean issuedBound =
        c.requestedTokenType() == TokenType.REFRESH_TOKEN
            ? c.dpop().refreshTokenJkt().isPresent()
            : c.dpop().bindsAccessToken();
    if ((subject.jkt().isPresent() || actorJkt.isPresent()) && !issuedBound) {
      // The key's proof is there, but the token asked for would not carry the binding: an opaque
      // access token, or a confidential client's refresh token (bound to its authentication
      // only, so its refreshes could give bearer tokens).
      return oauth(
          OAuthError.invalidRequest(
              "a DPoP-bound token is exchanged only for a token bound to the same key: ask for"
                  + " requested_token_type urn:ietf:params:oauth:token-type:jwt"));
    }
    TokenExchangeMetadata policy = c.policy();
    Optional<Actor> actor = subject.actor();
    if (c.actorToken().isPresent()) {
      PresentedToken a = c.actorToken().get();
      if (!now.isBefore(a.expiresAt())) {
        return invalidGrant("the actor_token has expired");
      }
      if (!a.isFor(c.clientId())) {
        return invalidGrant(
            "the actor_token was issued to another client and does not name this one as its"
                + " audience");
      }
      actor = Optional.of(new Actor(a.subject(), a.clientId(), subject.actor()));
    } else if (!policy.allowImpersonation() && !subject.clientId().equals(c.clientId())) {
      // A client exchanging a token issued to itself (for another audience, a narrower scope)
      // already acts as the subject; acting as the subject of a token issued to another client is
      // impersonation (RFC 8693 §1.1), which needs the registration's consent.
      return oauth(
          OAuthError.invalidRequest(
              "actor_token is required: this client may act for the subject of another client's"
                  + " token (delegation) but not as it (token_exchange_allow_impersonation is off)"));
    }
    // Scope: RFC 8693 §2.1 leaves it to the server; ours is never wider than the subject token's.
    Scopes granted;
    Scopes requested = c.requestedScopes().filter(s -> !s.isEmpty()).orElse(null);
    if (requested == null) {
      granted = subject.scopes().intersect(c.clientScopes());
    } else if (!requested.isSubsetOf(subject.scopes())) {
      return oauth(
          OAuthError.invalidScope(
              "scope is wider than the subject_token's: "
                  + String.join(" ", extra(requested, subject.scopes()))));
    } else if (!requested.isSubsetOf(c.clientScopes())) {
      return oauth(
          OAuthError.invalidScope(
              "the client may not ask for: "
                  + String.join(" ", extra(requested, c.clientScopes()))));
    } else {
      granted = requested;
    }
    LinkedHashSet<String> targets = new LinkedHashSet<>(c.audiences());
    for (String r : c.resources()) {
      if (!isAbsoluteUriWithoutFragment(r)) {
        return oauth(
            OAuthError.invalidTarget(
                "a resource is an absolute URI without a fragment (RFC 8707 §2)"));
      }
      targets.add(r);
    }
    for (String t : targets) {
      if (!policy.audiences().contains(t)) {
        return oauth(
            OAuthError.invalidTarget(
                "the client may not ask for a token for this audience or resource"));
      }
    }
    List<String> chain = new ArrayList<>(subject.grantChain());
    chain.add(subject.grantId());
    Optional<String> actorGrant = c.actorToken().map(PresentedToken::grantId);
    TokenLifetimes life = c.lifetimes();
    Optional<Instant> cap = life.absolute().map(now::plus);
    switch (c.requestedTokenType()) {
      case ACCESS_TOKEN, JWT -> {
        // Never outliving what it was made from: a token about to expire cannot be traded for a
        // fresh one of a full lifetime.
        Instant expires = capped(now.plus(life.accessToken()), Optional.of(subject.expiresAt()));
        if (c.actorToken().isPresent()) {
          expires = capped(expires, Optional.of(c.actorToken().get().expiresAt()));
        }
        return Decision.accept(
            new TokenExchanged(
                c.grantId(),
                c.clientId(),
                subject.subject(),
                subject.userId(),
                subject.type(),
                subject.grantId(),
                chain,
                actor,
                actorGrant,
                granted,
                List.copyOf(targets),
                Optional.of(c.accessTokenJti()),
                Optional.of(capped(expires, cap)),
                Optional.empty(),
                Optional.empty(),
                cap,
                now,
                c.dpop().accessTokenJkt(),
                Optional.empty(),
                Optional.empty()));
      }
      case REFRESH_TOKEN -> {
        if (!policy.allowRefreshToken()) {
          return oauth(
              OAuthError.invalidRequest(
                  "this client may not receive a refresh token by token exchange"
                      + " (token_exchange_allow_refresh_token is off)"));
        }
        if (subject.userId().isEmpty()) {
          return oauth(
              OAuthError.invalidRequest(
                  "a refresh token is only issued for a user's token; a client acting for itself"
                      + " asks for its own tokens"));
        }
        return Decision.accept(
            new TokenExchanged(
                c.grantId(),
                c.clientId(),
                subject.subject(),
                subject.userId(),
                subject.type(),
                subject.grantId(),
                chain,
                actor,
                actorGrant,
                granted,
                List.copyOf(targets),
                Optional.empty(),
                Optional.empty(),
                Optional.of(c.refreshTokenHash()),
                Optional.of(capped(now.plus(life.refreshToken()), cap)),
                cap,
                now,
                Optional.empty(),
                c.dpop().refreshTokenJkt(),
                Optional.empty()));
      }
      default -> {
        return oauth(
            OAuthError.invalidRequest(
                "requested_token_type must be an access token, a JWT or a refresh token"));
      }
    }
  }

  private static TreeSet<String> extra(Scopes asked, Scopes allowed) {
    TreeSet<String> extra = new TreeSet<>(asked.asSet());
    extra.removeAll(allowed.asSet());
    return extra;
  }

  private static boolean isAbsoluteUriWithoutFragment(String value) {
    try {
      URI u = new URI(value);
      return u.isAbsolute() && u.getRawFragment() == null && value.indexOf('#') < 0;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ evolve

  /**
   * The state after {@code event}. Events are facts already written, so one that cannot follow the
   * state (a rotation of a token that is not current, a redemption without a code) means a corrupt
   * stream and throws.
   */
  public static GrantState evolve(GrantState state, GrantEvent event) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(event, "event");
    if (event instanceof AuthorizationCodeIssued e) {
      if (!(state instanceof GrantState.Empty)) {
        throw corrupt(state, event, "the stream already has a grant");
      }
      return new CodeIssued(e);
    }
    if (event instanceof DeviceAuthorizationRequested e) {
      if (!(state instanceof GrantState.Empty)) {
        throw corrupt(state, event, "the stream already has a grant");
      }
      return new GrantState.DeviceRequested(e);
    }
    if (event instanceof ClientCredentialsIssued e) {
      if (!(state instanceof GrantState.Empty)) {
        throw corrupt(state, event, "the stream already has a grant");
      }
      return new Active(
          e.grantId(),
          GrantType.CLIENT_CREDENTIALS,
          e.clientId(),
          Optional.empty(),
          e.scopes(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          e.issuedAt(),
          Optional.empty(),
          Optional.empty());
    }
    if (event instanceof TokenExchanged e) {
      if (!(state instanceof GrantState.Empty)) {
        throw corrupt(state, event, "the stream already has a grant");
      }
      return new Active(
          e.grantId(),
          GrantType.TOKEN_EXCHANGE,
          e.clientId(),
          e.userId(),
          e.scopes(),
          Optional.empty(),
          e.refreshTokenHash()
              .map(
                  h ->
                      new RefreshToken(
                          h, e.refreshTokenExpiresAt().orElseThrow(), e.refreshTokenJkt())),
          Optional.empty(),
          e.grantExpiresAt(),
          e.exchangedAt(),
          Optional.of(e),
          Optional.empty());
    }
    if (!grantIdOf(state).map(event.grantId()::equals).orElse(false)) {
      throw corrupt(state, event, "it belongs to another grant or follows nothing");
    }
    if (event instanceof AuthorizationCodeRedeemed e) {
      if (!(state instanceof CodeIssued ci)) {
        throw corrupt(state, event, "there is no unredeemed code");
      }
      AuthorizationCodeIssued code = ci.code();
      return new Active(
          e.grantId(),
          GrantType.AUTHORIZATION_CODE,
          code.clientId(),
          Optional.of(code.userId()),
          e.scopes(),
          Optional.of(code),
          e.refreshTokenHash()
              .map(
                  h ->
                      new RefreshToken(
                          h, e.refreshTokenExpiresAt().orElseThrow(), e.refreshTokenJkt())),
          Optional.empty(),
          e.grantExpiresAt(),
          e.redeemedAt(),
          Optional.empty(),
          Optional.empty());
    }
    if (event instanceof DeviceAuthorizationApproved
        || event instanceof DeviceAuthorizationDenied
        || event instanceof DeviceCodeRedeemed) {
      return DeviceGrantDecisions.evolve(state, event);
    }
    if (event instanceof GrantRevoked e) {
      if (state instanceof Revoked || state instanceof GrantState.DeviceDenied) {
        throw corrupt(state, event, "the grant is already revoked or denied");
      }
      return new Revoked(state, e.reason(), e.actor(), e.revokedAt());
    }
    if (!(state instanceof Active a)) {
      throw corrupt(state, event, "the grant is not active");
    }
    if (event instanceof AuthorizationCodeReplayed
        || event instanceof RefreshTokenReuseDetected
        || event instanceof DeviceCodeReplayed) {
      // Recorded for the audit trail; the GrantRevoked that follows changes the state.
      return a;
    }
    if (event instanceof RefreshTokenRotated e) {
      if (a.refreshToken().filter(r -> r.hash().equals(e.oldHash())).isEmpty()) {
        throw corrupt(state, event, "the rotated token is not the current refresh token");
      }
      return a.rotated(e);
    }
    if (event instanceof AccessTokenRevoked) {
      // The state keeps no access tokens (see GrantState.Active): the token-state projection
      // records the revocation.
      return a;
    }
    throw new IllegalArgumentException("unhandled grant event " + event.type());
  }

  /** Folds a stream's events from the initial state. */
  public static GrantState replay(Iterable<? extends GrantEvent> events) {
    GrantState state = GrantState.initial();
    for (GrantEvent event : events) {
      state = evolve(state, event);
    }
    return state;
  }

  // ------------------------------------------------------------------ helpers

  private static Optional<String> grantIdOf(GrantState state) {
    if (state instanceof CodeIssued c) {
      return Optional.of(c.grantId());
    }
    if (state instanceof Active a) {
      return Optional.of(a.grantId());
    }
    if (state instanceof Revoked r) {
      return Optional.of(r.grantId());
    }
    return DeviceGrantDecisions.requestOf(state).map(DeviceAuthorizationRequested::grantId);
  }

  /** The client a grant was issued to; empty for an empty stream. */
  public static Optional<String> clientIdOf(GrantState state) {
    if (state instanceof CodeIssued c) {
      return Optional.of(c.clientId());
    }
    if (state instanceof Active a) {
      return Optional.of(a.clientId());
    }
    if (state instanceof Revoked r) {
      return Optional.of(r.clientId());
    }
    return DeviceGrantDecisions.requestOf(state).map(DeviceAuthorizationRequested::clientId);
  }

  static Instant capped(Instant instant, Optional<Instant> cap) {
    return cap.filter(instant::isAfter).orElse(instant);
  }

  /** An RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
  public static boolean isThumbprint(String value) {
    return value.length() == 43 && value.chars().allMatch(GrantDecider::isBase64Url);
  }

  private static boolean isBase64Url(int ch) {
    return ch >= 'A' && ch <= 'Z'
        || ch >= 'a' && ch <= 'z'
        || ch >= '0' && ch <= '9'
        || ch == '-'
        || ch == '_';
  }

  private static boolean isPrintable(String value, int max) {
    return !value.isEmpty()
        && value.length() <= max
        && value.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7F);
  }

  static Optional<ValidationError> grantIdProblem(String grantId) {
    return GrantTokens.isGrantId(grantId)
        ? Optional.empty()
        : validation(
            "grant_id",
            "grant_id must be 1-"
                + GrantTokens.MAX_GRANT_ID_LENGTH
                + " characters from A-Z a-z 0-9 _ -");
  }

  private static Optional<ValidationError> redirectUriProblem(String uri) {
    return !uri.isEmpty() && uri.length() <= RedirectUriRules.MAX_LENGTH + 6
        ? Optional.empty()
        : validation("redirect_uri", "redirect_uri must be a matched, registered redirect URI");
  }

  /** The value is never echoed: it might be the secret instead of its hash. */
  static Optional<ValidationError> hashProblem(String field, String value) {
    return GrantTokens.isHash(value)
        ? Optional.empty()
        : validation(
            field,
            field + " must be a base64url SHA-256 hash of the secret, never the secret itself");
  }

  static Optional<ValidationError> jtiProblem(String grantId, String jti) {
    return GrantTokens.isJtiOf(grantId, jti)
        ? Optional.empty()
        : validation(
            "jti",
            "jti must be '<grant id>.<unique part>' of at most "
                + GrantTokens.MAX_JTI_LENGTH
                + " characters");
  }

  static Optional<ValidationError> durationProblem(String field, Duration value, Duration max) {
    return value.isNegative() || value.isZero() || value.compareTo(max) > 0
        ? validation(
            field, field + " must be more than 0 and at most " + max.toSeconds() + " seconds")
        : Optional.empty();
  }

  private static Optional<ValidationError> validation(String field, String message) {
    return Optional.of(new ValidationError(field, message));
  }

  private static Decision<GrantEvent> oauth(OAuthError error) {
    return Decision.reject(new DomainError.OAuth(error));
  }

  private static Decision<GrantEvent> invalidGrant(String description) {
    return oauth(OAuthError.invalidGrant(description));
  }

  static IllegalStateException corrupt(GrantState state, GrantEvent event, String why) {
    return new IllegalStateException(
        "corrupt grant stream: "
            + event.type()
            + " for '"
            + event.grantId()
            + "' cannot follow "
            + state.getClass().getSimpleName()
            + ": "
            + why);
  }
}
