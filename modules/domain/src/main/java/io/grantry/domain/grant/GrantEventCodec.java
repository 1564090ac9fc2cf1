package io.grantry.domain.grant;

import static io.grantry.domain.Json.bool;
import static io.grantry.domain.Json.instant;
import static io.grantry.domain.Json.object;
import static io.grantry.domain.Json.optionalInstant;
import static io.grantry.domain.Json.optionalLong;
import static io.grantry.domain.Json.optionalString;
import static io.grantry.domain.Json.string;
import static io.grantry.domain.Json.strings;
import static io.grantry.domain.Json.wireEnum;

import io.grantry.domain.EventCodec;
import io.grantry.domain.EventCodecException;
import io.grantry.domain.Json;
import io.grantry.domain.UnknownEventTypeException;
import io.grantry.domain.oauth.Pkce;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Grant events to and from JSON, in OAuth's snake_case spelling. Optional fields are left out when
 * empty. Hashes only: no payload ever holds a code, token or verifier.
 */
public final class GrantEventCodec implements EventCodec<GrantEvent> {
  public static final GrantEventCodec INSTANCE = new GrantEventCodec();

  private static final Set<String> TYPES =
      Set.of(
          AuthorizationCodeIssued.TYPE,
          AuthorizationCodeRedeemed.TYPE,
          AuthorizationCodeReplayed.TYPE,
          RefreshTokenRotated.TYPE,
          RefreshTokenReuseDetected.TYPE,
          GrantRevoked.TYPE,
          AccessTokenRevoked.TYPE,
          ClientCredentialsIssued.TYPE,
          TokenExchanged.TYPE,
          DeviceAuthorizationRequested.TYPE,
          DeviceAuthorizationApproved.TYPE,
          DeviceAuthorizationDenied.TYPE,
          DeviceCodeRedeemed.TYPE,
          DeviceCodeReplayed.TYPE);

  /** The field of an issuing event that records its access token JWT's SHA-256. */
  public static final String ACCESS_TOKEN_HASH = "access_token_hash";

  private GrantEventCodec() {}

  @Override
  public String type(GrantEvent event) {
    return event.type();
  }

  @Override
  public Set<String> types() {
    return TYPES;
  }

  @Override
  public JsonObject toJson(GrantEvent event) {
    JsonObject json = new JsonObject().put("grant_id", event.grantId());
    if (event instanceof AuthorizationCodeIssued e) {
      json.put("client_id", e.clientId())
          .put("user_id", e.userId())
          .put("redirect_uri", e.redirectUri())
          .put("redirect_uri_in_request", e.redirectUriInRequest())
          .put("scopes", scopes(e.scopes()))
          .put("code_hash", e.codeHash());
      e.codeChallenge()
          .ifPresent(c -> json.put("code_challenge", c).put("code_challenge_method", Pkce.S256));
      e.nonce().ifPresent(n -> json.put("nonce", n));
      json.put("auth_time", e.authTime());
      e.maxAge().ifPresent(m -> json.put("max_age", m.toSeconds()));
      e.sessionId().ifPresent(s -> json.put("session_id", s));
      // RFC 9449 §10: the key the code is bound to; absent as in events written before DPoP.
      e.dpopJkt().ifPresent(k -> json.put("dpop_jkt", k));
      return json.put("issued_at", e.issuedAt()).put("expires_at", e.expiresAt());
    }
    if (event instanceof CodeRedemption e) {
      // An authorization code's and a device code's alike.
      json.put("client_id", e.clientId())
          .put("user_id", e.userId())
          .put("access_token_jti", e.accessTokenJti())
          .put("access_token_expires_at", e.accessTokenExpiresAt());
      e.refreshTokenHash().ifPresent(h -> json.put("refresh_token_hash", h));
      e.refreshTokenExpiresAt().ifPresent(t -> json.put("refresh_token_expires_at", t));
      e.grantExpiresAt().ifPresent(t -> json.put("grant_expires_at", t));
      // RFC 9449: the keys the tokens are bound to, for auditors; absent for bearer tokens.
      e.dpopJkt().ifPresent(k -> json.put("dpop_jkt", k));
      e.refreshTokenJkt().ifPresent(k -> json.put("refresh_token_dpop_jkt", k));
      e.accessTokenHash().ifPresent(h -> json.put(ACCESS_TOKEN_HASH, h));
      return json.put("scopes", scopes(e.scopes())).put("redeemed_at", e.redeemedAt());
    }
    if (event instanceof AuthorizationCodeReplayed e) {
      return json.put("client_id", e.clientId()).put("replayed_at", e.replayedAt());
    }
    if (event instanceof RefreshTokenRotated e) {
      json.put("client_id", e.clientId())
          .put("user_id", e.userId())
          .put("old_refresh_token_hash", e.oldHash())
          .put("new_refresh_token_hash", e.newHash())
          .put("access_token_jti", e.accessTokenJti())
          .put("access_token_expires_at", e.accessTokenExpiresAt())
          .put("refresh_token_expires_at", e.refreshTokenExpiresAt())
          .put("scopes", scopes(e.scopes()))
          .put("rotated_at", e.rotatedAt());
      e.dpopJkt().ifPresent(k -> json.put("dpop_jkt", k));
      e.accessTokenHash().ifPresent(h -> json.put(ACCESS_TOKEN_HASH, h));
      return json;
    }
    if (event instanceof RefreshTokenReuseDetected e) {
      return json.put("client_id", e.clientId())
          .put("presented_refresh_token_hash", e.presentedHash())
          .put("detected_at", e.detectedAt());
    }
    if (event instanceof GrantRevoked e) {
      return json.put("reason", e.reason().wire())
          .put("actor", e.actor())
          .put("revoked_at", e.revokedAt());
    }
    if (event instanceof AccessTokenRevoked e) {
      return json.put("jti", e.jti()).put("actor", e.actor()).put("revoked_at", e.revokedAt());
    }
    if (event instanceof ClientCredentialsIssued e) {
      json.put("client_id", e.clientId())
          .put("jti", e.jti())
          .put("scopes", scopes(e.scopes()))
          .put("issued_at", e.issuedAt())
          .put("expires_at", e.expiresAt());
      // RFC 9449: the DPoP key the token is bound to (its RFC 7638 thumbprint), for auditors;
      // absent for a bearer token, as in events written before DPoP.
      e.jkt().ifPresent(jkt -> json.put("dpop_jkt", jkt));
      e.accessTokenHash().ifPresent(h -> json.put(ACCESS_TOKEN_HASH, h));
      return json;
    }
    if (event instanceof TokenExchanged e) {
      // Who, for whom, acted by whom first: what an auditor's one-line view of the event shows.
      json.put("client_id", e.clientId()).put("subject", e.subject());
      e.userId().ifPresent(u -> json.put("user_id", u));
      e.actor().ifPresent(a -> json.put("act", actor(a)));
      json.put("subject_token_type", e.subjectTokenType().wire())
          .put("subject_grant_id", e.subjectGrantId())
          .put("grant_chain", new JsonArray(new ArrayList<>(e.grantChain())));
      e.actorGrantId().ifPresent(g -> json.put("actor_grant_id", g));
      json.put("scopes", scopes(e.scopes()));
      if (!e.audiences().isEmpty()) {
        json.put("audiences", new JsonArray(new ArrayList<>(e.audiences())));
      }
      e.accessTokenJti().ifPresent(j -> json.put("access_token_jti", j));
      e.accessTokenExpiresAt().ifPresent(t -> json.put("access_token_expires_at", t));
      e.refreshTokenHash().ifPresent(h -> json.put("refresh_token_hash", h));
      e.refreshTokenExpiresAt().ifPresent(t -> json.put("refresh_token_expires_at", t));
      e.grantExpiresAt().ifPresent(t -> json.put("grant_expires_at", t));
      // RFC 9449: the keys the tokens are bound to; absent for bearer tokens and in older events.
      e.dpopJkt().ifPresent(k -> json.put("dpop_jkt", k));
      e.refreshTokenJkt().ifPresent(k -> json.put("refresh_token_dpop_jkt", k));
      e.accessTokenHash().ifPresent(h -> json.put(ACCESS_TOKEN_HASH, h));
      return json.put("exchanged_at", e.exchangedAt());
    }
    if (event instanceof DeviceAuthorizationRequested e) {
      json.put("client_id", e.clientId())
          .put("scopes", scopes(e.scopes()))
          .put("device_code_hash", e.deviceCodeHash())
          .put("user_code_hash", e.userCodeHash())
          .put("interval", e.interval().toSeconds())
          .put("requested_at", e.requestedAt())
          .put("expires_at", e.expiresAt());
      // The key the device code is bound to (RFC 9449); absent if unbound, as in older events.
      e.dpopJkt().ifPresent(k -> json.put("dpop_jkt", k));
      return json;
    }
    if (event instanceof DeviceAuthorizationApproved e) {
      json.put("client_id", e.clientId()).put("user_id", e.userId()).put("auth_time", e.authTime());
      e.sessionId().ifPresent(s -> json.put("session_id", s));
      return json.put("approved_at", e.approvedAt());
    }
    if (event instanceof DeviceAuthorizationDenied e) {
      return json.put("client_id", e.clientId())
          .put("user_id", e.userId())
          .put("denied_at", e.deniedAt());
    }
    if (event instanceof DeviceCodeReplayed e) {
      return json.put("client_id", e.clientId()).put("replayed_at", e.replayedAt());
    }
    throw new IllegalArgumentException("unhandled grant event " + event.type());
  }

  /** An actor as the {@code act} claim spells it (RFC 8693 §4.1): {@code sub}, then the prior. */
  public static JsonObject actor(Actor a) {
    JsonObject json = new JsonObject().put("sub", a.subject()).put("client_id", a.clientId());
    a.prior().ifPresent(p -> json.put("act", actor(p)));
    return json;
  }

  /**
   * The actor of an {@code act} claim as {@link #actor(Actor)} writes it.
   *
   * @throws EventCodecException if it is not of that shape
   */
  public static Actor actorOf(JsonObject act) {
    return actor("act", act, 1);
  }

  private static Actor actor(String type, JsonObject json, int depth) {
    if (depth > GrantDecider.MAX_EXCHANGE_DEPTH) {
      throw Json.problem(type, "act", "nests too deep");
    }
    Optional<Actor> prior =
        json.getValue("act") == null
            ? Optional.empty()
            : Optional.of(actor(type, object(type, json, "act"), depth + 1));
    return new Actor(string(type, json, "sub"), string(type, json, "client_id"), prior);
  }

  @Override
  public GrantEvent fromJson(String type, JsonObject p) {
    if (type == null) {
      throw new UnknownEventTypeException("grant", null, TYPES);
    }
    switch (type) {
      case AuthorizationCodeIssued.TYPE:
        {
          Optional<String> challenge = optionalString(type, p, "code_challenge");
          if (challenge.isPresent()
              && !Pkce.S256.equals(string(type, p, "code_challenge_method"))) {
            throw Json.problem(type, "code_challenge_method", "is not S256");
          }
          return new AuthorizationCodeIssued(
              string(type, p, "grant_id"),
              string(type, p, "client_id"),
              string(type, p, "user_id"),
              string(type, p, "redirect_uri"),
              bool(type, p, "redirect_uri_in_request"),
              scopes(type, p),
              string(type, p, "code_hash"),
              challenge,
              optionalString(type, p, "nonce"),
              instant(type, p, "auth_time"),
              optionalLong(type, p, "max_age").map(Duration::ofSeconds),
              instant(type, p, "issued_at"),
              instant(type, p, "expires_at"),
              optionalString(type, p, "session_id"),
              optionalString(type, p, "dpop_jkt"));
        }
      case AuthorizationCodeRedeemed.TYPE:
        return new AuthorizationCodeRedeemed(issued(type, p));
      case AuthorizationCodeReplayed.TYPE:
        return new AuthorizationCodeReplayed(
            string(type, p, "grant_id"),
            string(type, p, "client_id"),
            instant(type, p, "replayed_at"));
      case RefreshTokenRotated.TYPE:
        return new RefreshTokenRotated(
            string(type, p, "grant_id"),
            string(type, p, "client_id"),
            string(type, p, "user_id"),
            string(type, p, "old_refresh_token_hash"),
            string(type, p, "new_refresh_token_hash"),
            string(type, p, "access_token_jti"),
            instant(type, p, "access_token_expires_at"),
            instant(type, p, "refresh_token_expires_at"),
            scopes(type, p),
            instant(type, p, "rotated_at"),
            optionalString(type, p, "dpop_jkt"),
            accessTokenHash(type, p));
      case RefreshTokenReuseDetected.TYPE:
        return new RefreshTokenReuseDetected(
            string(type, p, "grant_id"),
            string(type, p, "client_id"),
            string(type, p, "presented_refresh_token_hash"),
            instant(type, p, "detected_at"));
      case GrantRevoked.TYPE:
        return new GrantRevoked(
            string(type, p, "grant_id"),
            wireEnum(type, p, "reason", RevocationReason::fromWire),
            string(type, p, "actor"),
            instant(type, p, "revoked_at"));
      case AccessTokenRevoked.TYPE:
        return new AccessTokenRevoked(
            string(type, p, "grant_id"),
            string(type, p, "jti"),
            string(type, p, "actor"),
            instant(type, p, "revoked_at"));
      case ClientCredentialsIssued.TYPE:
        return new ClientCredentialsIssued(
            string(type, p, "grant_id"),
            string(type, p, "client_id"),
            string(type, p, "jti"),
            scopes(type, p),
            instant(type, p, "issued_at"),
            instant(type, p, "expires_at"),
            optionalString(type, p, "dpop_jkt"),
            accessTokenHash(type, p));
      case TokenExchanged.TYPE:
        {
          Optional<String> jti = optionalString(type, p, "access_token_jti");
          Optional<Instant> jtiExpiry = optionalInstant(type, p, "access_token_expires_at");
          Optional<String> refresh = optionalString(type, p, "refresh_token_hash");
          Optional<Instant> refreshExpiry = optionalInstant(type, p, "refresh_token_expires_at");
          if (jti.isPresent() != jtiExpiry.isPresent()
              || refresh.isPresent() != refreshExpiry.isPresent()) {
            throw Json.problem(type, "access_token_jti", "and each token's expiry come together");
          }
          List<String> chain = strings(type, p, "grant_chain");
          String subjectGrant = string(type, p, "subject_grant_id");
          if (chain.isEmpty() || !chain.get(chain.size() - 1).equals(subjectGrant)) {
            throw Json.problem(type, "grant_chain", "must end with subject_grant_id");
          }
          return new TokenExchanged(
              string(type, p, "grant_id"),
              string(type, p, "client_id"),
              string(type, p, "subject"),
              optionalString(type, p, "user_id"),
              wireEnum(type, p, "subject_token_type", TokenType::fromWire),
              subjectGrant,
              chain,
              p.getValue("act") == null
                  ? Optional.empty()
                  : Optional.of(actor(type, object(type, p, "act"), 1)),
              optionalString(type, p, "actor_grant_id"),
              scopes(type, p),
              p.containsKey("audiences") ? strings(type, p, "audiences") : List.of(),
              jti,
              jtiExpiry,
              refresh,
              refreshExpiry,
              optionalInstant(type, p, "grant_expires_at"),
              instant(type, p, "exchanged_at"),
              optionalString(type, p, "dpop_jkt"),
              optionalString(type, p, "refresh_token_dpop_jkt"),
              accessTokenHash(type, p));
        }
      case DeviceAuthorizationRequested.TYPE:
        {
          long interval = optionalLong(type, p, "interval").orElse(-1L);
          if (interval <= 0) {
            throw Json.problem(type, "interval", "must be a positive number of seconds");
          }
          return new DeviceAuthorizationRequested(
              string(type, p, "grant_id"),
              string(type, p, "client_id"),
              scopes(type, p),
              string(type, p, "device_code_hash"),
              string(type, p, "user_code_hash"),
              Duration.ofSeconds(interval),
              instant(type, p, "requested_at"),
              instant(type, p, "expires_at"),
              optionalString(type, p, "dpop_jkt"));
        }
      case DeviceAuthorizationApproved.TYPE:
        return new DeviceAuthorizationApproved(
            string(type, p, "grant_id"),
            string(type, p, "client_id"),
            string(type, p, "user_id"),
            instant(type, p, "auth_time"),
            optionalString(type, p, "session_id"),
            instant(type, p, "approved_at"));
      case DeviceAuthorizationDenied.TYPE:
        return new DeviceAuthorizationDenied(
            string(type, p, "grant_id"),
            string(type, p, "client_id"),
            string(type, p, "user_id"),
            instant(type, p, "denied_at"));
      case DeviceCodeRedeemed.TYPE:
        return new DeviceCodeRedeemed(issued(type, p));
      case DeviceCodeReplayed.TYPE:
        return new DeviceCodeReplayed(
            string(type, p, "grant_id"),
            string(type, p, "client_id"),
            instant(type, p, "replayed_at"));
      default:
        throw new UnknownEventTypeException("grant", type, TYPES);
    }
  }

  /** What an authorization code or a device code was redeemed for ({@link CodeRedemption}). */
  private static CodeRedemption.Issued issued(String type, JsonObject p) {
    Optional<String> refresh = optionalString(type, p, "refresh_token_hash");
    Optional<Instant> refreshExpiry = optionalInstant(type, p, "refresh_token_expires_at");
    if (refresh.isPresent() != refreshExpiry.isPresent()) {
      throw Json.problem(
          type, "refresh_token_expires_at", "must be present exactly with refresh_token_hash");
    }
    return new CodeRedemption.Issued(
        string(type, p, "grant_id"),
        string(type, p, "client_id"),
        string(type, p, "user_id"),
        string(type, p, "access_token_jti"),
        instant(type, p, "access_token_expires_at"),
        refresh,
        refreshExpiry,
        optionalInstant(type, p, "grant_expires_at"),
        scopes(type, p),
        instant(type, p, "redeemed_at"),
        optionalString(type, p, "dpop_jkt"),
        optionalString(type, p, "refresh_token_dpop_jkt"),
        accessTokenHash(type, p));
  }

  /**
   * The optional {@code access_token_hash}: SHA-256 of the issued JWT, base64url (43 characters).
   * Absent in events written before it existed, which stay valid (the hash chain covers the stored
   * payload as written, whatever fields it has).
   */
  private static Optional<String> accessTokenHash(String type, JsonObject p) {
    Optional<String> hash = optionalString(type, p, ACCESS_TOKEN_HASH);
    if (hash.isPresent() && !GrantTokens.isHash(hash.get())) {
      throw Json.problem(type, ACCESS_TOKEN_HASH, "is not a base64url SHA-256");
    }
    return hash;
  }

  private static JsonArray scopes(Scopes scopes) {
    return new JsonArray(new ArrayList<>(scopes.asSet()));
  }

  private static Scopes scopes(String type, JsonObject p) {
    try {
      return Scopes.of(strings(type, p, "scopes"));
    } catch (IllegalArgumentException e) {
      throw new EventCodecException(type + ": field 'scopes' " + e.getMessage());
    }
  }
}
