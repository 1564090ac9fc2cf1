package io.grantry.server.tokenstate;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.CodeRedemption;
import io.grantry.domain.grant.DeviceAuthorizationApproved;
import io.grantry.domain.grant.DeviceAuthorizationDenied;
import io.grantry.domain.grant.DeviceAuthorizationRequested;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.eventstore.LedgerCopy;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * What one grant event does to the token-state tables, and the only place that says which fields of
 * which event they take: the live projection's statements ({@link TokenStateProjection}) are made
 * from it, and so is the rebuild's in-memory fold (module {@code grantry-rebuild}, which also reads
 * it straight from a payload's JSON bytes and is tested to read what {@link #of} gives).
 *
 * <p>{@code at} is the event's time (issued, redeemed, rotated or revoked at), {@code
 * accessExpires} and {@code refreshExpires} the tokens' expiry; times are microseconds since
 * PostgreSQL's epoch, as a {@code timestamptz} holds them ({@link LedgerCopy#pgMicros}), {@link
 * #NO_TIME} when the event has none. {@code hash} is the refresh token issued, {@code oldHash} the
 * one rotated out, {@code reason} a revocation's wire name; fields the kind does not use are null.
 * {@code exchange} is the event of a token exchange (RFC 8693), whose grant row takes more from it
 * (the grants it descends from, its audience and actor); null for every other kind. {@code
 * tokenHash} is the SHA-256 of the access token JWT issued ({@code access_token_hash}), null when
 * the event records none (an opaque token, an event from before it was recorded).
 */
public record TokenChange(
    Kind kind,
    String grantId,
    String clientId,
    String userId,
    String scope,
    String jti,
    String hash,
    String oldHash,
    String reason,
    long at,
    long accessExpires,
    long refreshExpires,
    TokenExchanged exchange,
    String tokenHash) {

  /** The grant events that change token state. */
  public enum Kind {
    CODE_ISSUED,
    /**
     * An authorization code redeemed, or a device code (RFC 8628): from there on a device grant is
     * a grant like a code's, with the same rows.
     */
    CODE_REDEEMED,
    REFRESH_ROTATED,
    CLIENT_CREDENTIALS,
    ACCESS_REVOKED,
    GRANT_REVOKED,
    /** A grant made by a token exchange: read through the codec (rare), never the fast reader. */
    TOKEN_EXCHANGED,
    /**
     * A device asked for authorization (RFC 8628 §3.1): a grant row waiting for its user, who is
     * not known yet. The device kinds, like the exchange, are read through the codec (device grants
     * are few next to codes and client_credentials tokens).
     */
    DEVICE_REQUESTED,
    /** The user allowed the device: the row names the user. */
    DEVICE_APPROVED,
    /** The user denied the device: the row names the user, and the grant ends there. */
    DEVICE_DENIED
  }

  /** A time an event does not have (a NULL {@code timestamptz}). */
  public static final long NO_TIME = Long.MIN_VALUE;

  /**
   * The change {@code e} makes, or null for an event that changes no token state (a replayed code,
   * a detected reuse: their consequences come as events of their own).
   */
  public static TokenChange of(GrantEvent e) {
    if (e instanceof AuthorizationCodeIssued c) {
      return codeIssued(
          c.grantId(), c.clientId(), c.userId(), c.scopes().value(), micros(c.issuedAt()));
    } else if (e instanceof CodeRedemption r) {
      // An authorization code's or a device code's: the same tokens.
      return codeRedeemed(
          r.grantId(),
          r.clientId(),
          r.userId(),
          r.scopes().value(),
          r.accessTokenJti(),
          r.refreshTokenHash().orElse(null),
          micros(r.redeemedAt()),
          micros(r.accessTokenExpiresAt()),
          r.refreshTokenExpiresAt().map(TokenChange::micros).orElse(NO_TIME),
          r.accessTokenHash().orElse(null));
    } else if (e instanceof RefreshTokenRotated r) {
      return refreshRotated(
          r.grantId(),
          r.clientId(),
          r.userId(),
          r.scopes().value(),
          r.accessTokenJti(),
          r.newHash(),
          r.oldHash(),
          micros(r.rotatedAt()),
          micros(r.accessTokenExpiresAt()),
          micros(r.refreshTokenExpiresAt()),
          r.accessTokenHash().orElse(null));
    } else if (e instanceof ClientCredentialsIssued c) {
      return clientCredentials(
          c.grantId(),
          c.clientId(),
          c.scopes().value(),
          c.jti(),
          micros(c.issuedAt()),
          micros(c.expiresAt()),
          c.accessTokenHash().orElse(null));
    } else if (e instanceof AccessTokenRevoked a) {
      return accessRevoked(a.grantId(), a.jti(), micros(a.revokedAt()));
    } else if (e instanceof GrantRevoked g) {
      return grantRevoked(g.grantId(), g.reason().wire(), micros(g.revokedAt()));
    } else if (e instanceof DeviceAuthorizationRequested d) {
      return device(
          Kind.DEVICE_REQUESTED,
          d.grantId(),
          d.clientId(),
          null,
          d.scopes().value(),
          micros(d.requestedAt()));
    } else if (e instanceof DeviceAuthorizationApproved a) {
      return device(
          Kind.DEVICE_APPROVED,
          a.grantId(),
          a.clientId(),
          a.userId(),
          null,
          micros(a.approvedAt()));
    } else if (e instanceof DeviceAuthorizationDenied d) {
      return device(
          Kind.DEVICE_DENIED, d.grantId(), d.clientId(), d.userId(), null, micros(d.deniedAt()));
    } else if (e instanceof TokenExchanged x) {
      return new TokenChange(
          Kind.TOKEN_EXCHANGED,
          x.grantId(),
          x.clientId(),
          x.userId().orElse(null),
          x.scopes().value(),
          x.accessTokenJti().orElse(null),
          x.refreshTokenHash().orElse(null),
          null,
          null,
          micros(x.exchangedAt()),
          x.accessTokenExpiresAt().map(TokenChange::micros).orElse(NO_TIME),
          x.refreshTokenExpiresAt().map(TokenChange::micros).orElse(NO_TIME),
          x,
          x.accessTokenHash().orElse(null));
    }
    return null;
  }

  // One factory per kind: which field of the change each value of its event goes to, for
  // TokenChange.of and for the rebuild's reader of JSON bytes alike.

  public static TokenChange codeIssued(
      String grantId, String clientId, String userId, String scope, long issuedAt) {
    return new TokenChange(
        Kind.CODE_ISSUED,
        grantId,
        clientId,
        userId,
        scope,
        null,
        null,
        null,
        null,
        issuedAt,
        NO_TIME,
        NO_TIME,
        null,
        null);
  }

  /**
   * {@code refreshHash} null and {@code refreshExpires} {@link #NO_TIME} without a refresh token.
   */
  public static TokenChange codeRedeemed(
      String grantId,
      String clientId,
      String userId,
      String scope,
      String jti,
      String refreshHash,
      long redeemedAt,
      long accessExpires,
      long refreshExpires,
      String tokenHash) {
    return new TokenChange(
        Kind.CODE_REDEEMED,
        grantId,
        clientId,
        userId,
        scope,
        jti,
        refreshHash,
        null,
        null,
        redeemedAt,
        accessExpires,
        refreshExpires,
        null,
        tokenHash);
  }

  public static TokenChange refreshRotated(
      String grantId,
      String clientId,
      String userId,
      String scope,
      String jti,
      String newHash,
      String oldHash,
      long rotatedAt,
      long accessExpires,
      long refreshExpires,
      String tokenHash) {
    return new TokenChange(
        Kind.REFRESH_ROTATED,
        grantId,
        clientId,
        userId,
        scope,
        jti,
        newHash,
        oldHash,
        null,
        rotatedAt,
        accessExpires,
        refreshExpires,
        null,
        tokenHash);
  }

  public static TokenChange clientCredentials(
      String grantId,
      String clientId,
      String scope,
      String jti,
      long issuedAt,
      long expires,
      String tokenHash) {
    return new TokenChange(
        Kind.CLIENT_CREDENTIALS,
        grantId,
        clientId,
        null,
        scope,
        jti,
        null,
        null,
        null,
        issuedAt,
        expires,
        NO_TIME,
        null,
        tokenHash);
  }

  public static TokenChange accessRevoked(String grantId, String jti, long revokedAt) {
    return new TokenChange(
        Kind.ACCESS_REVOKED,
        grantId,
        null,
        null,
        null,
        jti,
        null,
        null,
        null,
        revokedAt,
        NO_TIME,
        NO_TIME,
        null,
        null);
  }

  /**
   * A device grant's request ({@code userId} null, {@code scope} asked for) or its user's answer
   * ({@code scope} null): {@code kind} one of the device kinds.
   */
  public static TokenChange device(
      Kind kind, String grantId, String clientId, String userId, String scope, long at) {
    return new TokenChange(
        kind, grantId, clientId, userId, scope, null, null, null, null, at, NO_TIME, NO_TIME, null,
        null);
  }

  /** {@code reason} a revocation reason's wire name. */
  public static TokenChange grantRevoked(String grantId, String reason, long revokedAt) {
    return new TokenChange(
        Kind.GRANT_REVOKED,
        grantId,
        null,
        null,
        null,
        null,
        null,
        null,
        reason,
        revokedAt,
        NO_TIME,
        NO_TIME,
        null,
        null);
  }

  /**
   * The subject of the access token: the user, or for a client_credentials token the client itself,
   * or for an exchanged one the subject token's.
   */
  public String subject() {
    return kind == Kind.CLIENT_CREDENTIALS
        ? clientId
        : kind == Kind.TOKEN_EXCHANGED ? exchange.subject() : userId;
  }

  /** A time of an event as a change holds it: {@link LedgerCopy#pgMicros}. */
  private static long micros(Instant t) {
    return LedgerCopy.pgMicros(t);
  }

  /** A time of a change as the statements send it, null for none. */
  public static OffsetDateTime time(long micros) {
    return micros == NO_TIME ? null : LedgerCopy.instant(micros).atOffset(ZoneOffset.UTC);
  }
}
