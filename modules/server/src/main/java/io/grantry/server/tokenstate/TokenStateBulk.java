package io.grantry.server.tokenstate;

import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.BinaryCopy;
import io.grantry.projections.BulkReplay;
import io.grantry.projections.TableNames;
import io.grantry.server.tokenstate.TokenStateProjection.Kind;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The token-state tables folded in memory during a rebuild's replay, then written with COPY. Each
 * page goes through {@link TokenStateProjection#byKind} (the rows the statements would get) and
 * each kind of statement is carried out here on maps, in the statements' order, with the
 * statements' own conditions: an insert does nothing when the key exists, an update changes only
 * rows its WHERE clause matches. So the rows equal those of {@link TokenStateProjection#apply} page
 * for page (a test replays both ways and compares).
 *
 * <p>Memory: about 150 bytes a token and 250 a grant (times are kept as microseconds, client ids,
 * subjects and scopes shared): a few GB for tens of millions of rows.
 */
final class TokenStateBulk implements BulkReplay<Map<Kind, Map<Object, Tuple>>> {
  private static final long NULL = BinaryCopy.NULL_TIME;

  /** A grants row, and the key under which its tokens are found by grant (whether or not the row exists). */
  private static final class Grant {
    final String grantId;
    boolean exists;
    String kind;
    String clientId;
    String userId;
    String scope;
    String status;
    long createdAt = NULL;
    long updatedAt = NULL;
    long revokedAt = NULL;
    String revokedReason;
    Access access;
    Refresh refresh;

    Grant(String grantId) {
      this.grantId = grantId;
    }
  }

  private static final class Access {
    String jti;
    Grant grant;
    String clientId;
    String subject;
    String scope;
    long issuedAt;
    long expiresAt;
    long revokedAt = NULL;
    Access nextOfGrant;
  }

  private static final class Refresh {
    String hash;
    Grant grant;
    String clientId;
    String subject;
    String scope;
    long issuedAt;
    long expiresAt;
    String status;
    Refresh nextOfGrant;
  }

  private final Map<String, Grant> grants = new HashMap<>(1 << 20);
  private final Map<String, Access> access = new HashMap<>(1 << 20);
  private final Map<String, Refresh> refresh = new HashMap<>(1 << 18);
  private final Map<String, String> shared = new HashMap<>();

  /** One instance of each client id, subject and scope string (there are few of them). */
  private String share(String s) {
    if (s == null) {
      return null;
    }
    String had = shared.putIfAbsent(s, s);
    return had != null ? had : s;
  }

  private Grant grant(String id) {
    return grants.computeIfAbsent(id, Grant::new);
  }

  private static long t(Object v) {
    return BinaryCopy.micros((OffsetDateTime) v);
  }

  @Override
  public Map<Kind, Map<Object, Tuple>> prepare(List<RecordedEvent> page) {
    return TokenStateProjection.byKind(page);
  }

  @Override
  public void apply(Map<Kind, Map<Object, Tuple>> byKind) {
    for (Kind k : Kind.values()) {
      Map<Object, Tuple> rows = byKind.get(k);
      if (rows != null) {
        for (Tuple r : rows.values()) {
          apply(k, r);
        }
      }
    }
  }

  /** One row of a statement of kind {@code k} (its values as in {@link TokenStateProjection#sql}). */
  private void apply(Kind k, Tuple r) {
    switch (k) {
      case GRANT_INSERT -> {
        Grant g = grant(r.getString(0));
        if (!g.exists) {
          g.exists = true;
          g.kind = share(r.getString(1));
          g.clientId = share(r.getString(2));
          g.userId = share(r.getString(3));
          g.scope = share(r.getString(4));
          g.status = share(r.getString(5));
          g.createdAt = t(r.getValue(6));
          g.updatedAt = g.createdAt;
        }
      }
      case GRANT_ACTIVE -> {
        Grant g = grants.get(r.getString(0));
        if (g != null && g.exists && "code_issued".equals(g.status)) {
          g.status = "active";
          g.scope = share(r.getString(1));
          g.updatedAt = t(r.getValue(2));
        }
      }
      case ACCESS_INSERT -> {
        String jti = r.getString(0);
        if (!access.containsKey(jti)) {
          Access a = new Access();
          a.jti = jti;
          a.grant = grant(r.getString(1));
          a.clientId = share(r.getString(2));
          a.subject = share(r.getString(3));
          a.scope = share(r.getString(4));
          a.issuedAt = t(r.getValue(5));
          a.expiresAt = t(r.getValue(6));
          a.nextOfGrant = a.grant.access;
          a.grant.access = a;
          access.put(jti, a);
        }
      }
      case REFRESH_INSERT -> {
        String hash = r.getString(0);
        if (!refresh.containsKey(hash)) {
          Refresh x = new Refresh();
          x.hash = hash;
          x.grant = grant(r.getString(1));
          x.clientId = share(r.getString(2));
          x.subject = share(r.getString(3));
          x.scope = share(r.getString(4));
          x.issuedAt = t(r.getValue(5));
          x.expiresAt = t(r.getValue(6));
          x.status = "active";
          x.nextOfGrant = x.grant.refresh;
          x.grant.refresh = x;
          refresh.put(hash, x);
        }
      }
      case REFRESH_ROTATED -> {
        Refresh x = refresh.get(r.getString(0));
        if (x != null && "active".equals(x.status)) {
          x.status = "rotated";
        }
      }
      case ACCESS_REVOKE -> {
        Access a = access.get(r.getString(0));
        if (a != null && a.revokedAt == NULL) {
          a.revokedAt = t(r.getValue(1));
        }
      }
      case GRANT_REVOKE -> {
        Grant g = grants.get(r.getString(0));
        if (g != null && g.exists && !"revoked".equals(g.status)) {
          g.status = "revoked";
          g.revokedAt = t(r.getValue(1));
          g.revokedReason = share(r.getString(2));
          g.updatedAt = g.revokedAt;
        }
      }
      case GRANT_REVOKE_ACCESS -> {
        Grant g = grants.get(r.getString(0));
        long at = t(r.getValue(1));
        for (Access a = g == null ? null : g.access; a != null; a = a.nextOfGrant) {
          if (a.revokedAt == NULL) {
            a.revokedAt = at;
          }
        }
      }
      case GRANT_REVOKE_REFRESH -> {
        Grant g = grants.get(r.getString(0));
        for (Refresh x = g == null ? null : g.refresh; x != null; x = x.nextOfGrant) {
          if (!"revoked".equals(x.status)) {
            x.status = "revoked";
          }
        }
      }
      default -> throw new IllegalStateException("unknown statement kind " + k);
    }
  }

  @Override
  public void write(Connection c, TableNames tables) throws SQLException, IOException {
    try (BinaryCopy out = new BinaryCopy(c, tables.of("grants"), "grant_id, kind, client_id, user_id, scope, status,"
        + " created_at, updated_at, revoked_at, revoked_reason")) {
      for (Grant g : grants.values()) {
        if (g.exists) {
          out.row(10).text(g.grantId).text(g.kind).text(g.clientId).text(g.userId).text(g.scope).text(g.status)
              .timestamptz(g.createdAt).timestamptz(g.updatedAt).timestamptz(g.revokedAt).text(g.revokedReason);
        }
      }
    }
    try (BinaryCopy out = new BinaryCopy(c, tables.of("access_tokens"), "jti, grant_id, client_id, subject, scope,"
        + " issued_at, expires_at, revoked_at")) {
      for (Access a : access.values()) {
        out.row(8).text(a.jti).text(a.grant.grantId).text(a.clientId).text(a.subject).text(a.scope)
            .timestamptz(a.issuedAt).timestamptz(a.expiresAt).timestamptz(a.revokedAt);
      }
    }
    try (BinaryCopy out = new BinaryCopy(c, tables.of("refresh_tokens"), "hash, grant_id, client_id, subject, scope,"
        + " issued_at, expires_at, status")) {
      for (Refresh x : refresh.values()) {
        out.row(8).text(x.hash).text(x.grant.grantId).text(x.clientId).text(x.subject).text(x.scope)
            .timestamptz(x.issuedAt).timestamptz(x.expiresAt).text(x.status);
      }
    }
  }
}
