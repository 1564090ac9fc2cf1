package io.grantry.server.tokenstate;

import io.grantry.domain.grant.GrantCommand;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads of the token-state projection: is this token live, and what is it.
 *
 * <p>A grant made by a token exchange is live only while none of the grants it descends from
 * ({@code grants.grant_chain}, written with it) is revoked: every read here asks that with the
 * grant's own status, so revoking a grant revokes what was exchanged from it at once, in the
 * revoking transaction, without an event per descendant. The check costs nothing for the other
 * grants (no chain).
 */
public final class TokenState {
  /**
   * True when the grant of alias {@code g} or one it descends from is revoked (false for no grant).
   */
  static final String GRANT_REVOKED =
      "(coalesce(g.status = 'revoked', false) OR CASE WHEN g.grant_chain IS NULL THEN false"
          + " ELSE EXISTS (SELECT 1 FROM grants p WHERE p.grant_id = ANY(string_to_array(g.grant_chain, ' '))"
          + " AND p.status = 'revoked') END)";

  /** The grant's facts every token answer carries (alias {@code g}). */
  private static final String GRANT_FACTS =
      " g.user_id, g.kind, g.audience, g.act, g.grant_chain, "
          + GRANT_REVOKED
          + " AS grant_revoked";

  private final Pool pool;

  public TokenState(Pool pool) {
    this.pool = pool;
  }

  /**
   * A token as introspection describes it.
   *
   * @param grantRevoked its grant, or one its grant was exchanged from, is revoked
   * @param userId the grant's user, if any
   * @param kind the grant's kind ({@code grants.kind}: a grant type's wire name)
   * @param audience the {@code aud} asked for in the exchange that made the grant; empty for the
   *     server's default
   * @param act the {@code act} claim (JSON) of a grant made by a delegation
   * @param grantChain the grants the token's grant was exchanged from, root first
   * @param tokenHash SHA-256 (base64url) of the access token JWT as issued, recorded by its issuing
   *     event: empty for refresh and opaque tokens and for JWTs issued before it was recorded
   */
  public record Token(
      String grantId,
      String clientId,
      String subject,
      String scope,
      Instant issuedAt,
      Instant expiresAt,
      boolean revoked,
      boolean grantRevoked,
      String status,
      Optional<String> userId,
      String kind,
      List<String> audience,
      Optional<String> act,
      List<String> grantChain,
      Optional<String> tokenHash)
      implements AccessTokenFacts {

    @Override
    public boolean activeAt(Instant now) {
      return !revoked
          && !grantRevoked
          && now.isBefore(expiresAt)
          && (status == null || "active".equals(status));
    }
  }

  /**
   * A grant as a token exchange of one of its ID tokens sees it.
   *
   * @param revoked it, or a grant it was exchanged from, is revoked
   */
  public record Grant(
      String grantId,
      String clientId,
      Optional<String> userId,
      String scope,
      boolean revoked,
      List<String> grantChain) {}

  /** The grant {@code grantId}, if the projection has it. */
  public Future<Optional<Grant>> grant(String grantId) {
    return pool.preparedQuery(
            "SELECT g.grant_id, g.client_id, g.user_id, g.scope, g.grant_chain, "
                + GRANT_REVOKED
                + " AS grant_revoked FROM grants g WHERE g.grant_id = $1")
        .execute(Tuple.of(grantId))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.empty();
              }
              Row r = rows.iterator().next();
              return Optional.of(
                  new Grant(
                      r.getString("grant_id"),
                      r.getString("client_id"),
                      Optional.ofNullable(r.getString("user_id")),
                      r.getString("scope"),
                      r.getBoolean("grant_revoked"),
                      words(r.getString("grant_chain"))));
            });
  }

  /** True if one of {@code grantIds} is revoked (a refresh of an exchanged grant asks this). */
  public Future<Boolean> anyRevoked(List<String> grantIds) {
    if (grantIds.isEmpty()) {
      return Future.succeededFuture(false);
    }
    return pool.preparedQuery(
            "SELECT 1 FROM grants WHERE grant_id = ANY($1) AND status = 'revoked' LIMIT 1")
        .execute(Tuple.of(grantIds.toArray(String[]::new)))
        .map(rows -> rows.size() > 0);
  }

  /** The user a grant was given by; empty for client_credentials grants and unknown grants. */
  public Future<Optional<String>> userOf(String grantId) {
    return pool.preparedQuery("SELECT user_id FROM grants WHERE grant_id = $1")
        .execute(Tuple.of(grantId))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.ofNullable(rows.iterator().next().getString("user_id")));
  }

  /**
   * True if the grant issued the refresh token of this hash, current or rotated away (the grant
   * state keeps only the current one). A row pruned by the retention job, long after the token
   * expired, is no longer found: presenting such a token is then only invalid, not reuse.
   */
  public Future<Boolean> refreshIssuedBy(String grantId, String hash) {
    return pool.preparedQuery("SELECT 1 FROM refresh_tokens WHERE hash = $1 AND grant_id = $2")
        .execute(Tuple.of(hash, grantId))
        .map(rows -> rows.size() > 0);
  }

  /**
   * The access token {@code jti} if grant {@code grantId} issued it: its expiry and whether it was
   * revoked on its own (what a revocation of it decides on; the grant state keeps no access
   * tokens). A row pruned by the retention job, long after the token expired, is no longer found.
   */
  public Future<Optional<GrantCommand.IssuedAccessToken>> issuedAccessToken(
      String grantId, String jti) {
    return pool.preparedQuery(
            "SELECT expires_at, revoked_at IS NOT NULL AS revoked FROM access_tokens"
                + " WHERE jti = $1 AND grant_id = $2")
        .execute(Tuple.of(jti, grantId))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.empty();
              }
              Row r = rows.iterator().next();
              return Optional.of(
                  new GrantCommand.IssuedAccessToken(
                      r.getOffsetDateTime("expires_at").toInstant(), r.getBoolean("revoked")));
            });
  }

  public Future<Optional<Token>> accessToken(String jti) {
    return pool.preparedQuery(
            "SELECT a.grant_id, a.client_id, a.subject, a.scope, a.issued_at, a.expires_at,"
                + " a.revoked_at IS NOT NULL AS revoked, a.token_hash,"
                + GRANT_FACTS
                + " FROM access_tokens a LEFT JOIN grants g ON g.grant_id = a.grant_id WHERE a.jti = $1")
        .execute(Tuple.of(jti))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(
                        token(
                            rows.iterator().next(),
                            null,
                            rows.iterator().next().getString("token_hash"))));
  }

  public Future<Optional<Token>> refreshToken(String hash) {
    return pool.preparedQuery(
            "SELECT r.grant_id, r.client_id, r.subject, r.scope, r.issued_at, r.expires_at,"
                + " false AS revoked, r.status,"
                + GRANT_FACTS
                + " FROM refresh_tokens r LEFT JOIN grants g ON g.grant_id = r.grant_id WHERE r.hash = $1")
        .execute(Tuple.of(hash))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(
                        token(
                            rows.iterator().next(),
                            rows.iterator().next().getString("status"),
                            null)));
  }

  private static Token token(Row r, String status, String tokenHash) {
    return new Token(
        r.getString("grant_id"),
        r.getString("client_id"),
        r.getString("subject"),
        r.getString("scope"),
        r.getOffsetDateTime("issued_at").toInstant(),
        r.getOffsetDateTime("expires_at").toInstant(),
        r.getBoolean("revoked"),
        r.getBoolean("grant_revoked"),
        status,
        Optional.ofNullable(r.getString("user_id")),
        r.getString("kind"),
        words(r.getString("audience")),
        Optional.ofNullable(r.getString("act")),
        words(r.getString("grant_chain")),
        Optional.ofNullable(tokenHash));
  }

  /** A space-separated list column; empty for null. */
  static List<String> words(String value) {
    return value == null || value.isEmpty() ? List.of() : Arrays.asList(value.split(" "));
  }
}
