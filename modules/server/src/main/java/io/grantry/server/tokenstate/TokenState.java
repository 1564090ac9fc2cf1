package io.grantry.server.tokenstate;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.Optional;

/** Reads of the token-state projection: is this token live, and what is it. */
public final class TokenState {
  private final Pool pool;

  public TokenState(Pool pool) {
    this.pool = pool;
  }

  /** A token as introspection describes it. */
  public record Token(
      String grantId,
      String clientId,
      String subject,
      String scope,
      Instant issuedAt,
      Instant expiresAt,
      boolean revoked,
      boolean grantRevoked,
      String status) {

    public boolean activeAt(Instant now) {
      return !revoked
          && !grantRevoked
          && now.isBefore(expiresAt)
          && (status == null || "active".equals(status));
    }
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

  public Future<Optional<Token>> accessToken(String jti) {
    return pool.preparedQuery(
            "SELECT a.grant_id, a.client_id, a.subject, a.scope, a.issued_at, a.expires_at,"
                + " a.revoked_at IS NOT NULL AS revoked, coalesce(g.status = 'revoked', false) AS grant_revoked"
                + " FROM access_tokens a LEFT JOIN grants g ON g.grant_id = a.grant_id WHERE a.jti = $1")
        .execute(Tuple.of(jti))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(token(rows.iterator().next(), null)));
  }

  public Future<Optional<Token>> refreshToken(String hash) {
    return pool.preparedQuery(
            "SELECT r.grant_id, r.client_id, r.subject, r.scope, r.issued_at, r.expires_at,"
                + " false AS revoked, coalesce(g.status = 'revoked', false) AS grant_revoked, r.status"
                + " FROM refresh_tokens r LEFT JOIN grants g ON g.grant_id = r.grant_id WHERE r.hash = $1")
        .execute(Tuple.of(hash))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(
                        token(rows.iterator().next(), rows.iterator().next().getString("status"))));
  }

  private static Token token(Row r, String status) {
    return new Token(
        r.getString("grant_id"),
        r.getString("client_id"),
        r.getString("subject"),
        r.getString("scope"),
        r.getOffsetDateTime("issued_at").toInstant(),
        r.getOffsetDateTime("expires_at").toInstant(),
        r.getBoolean("revoked"),
        r.getBoolean("grant_revoked"),
        status);
  }
}
