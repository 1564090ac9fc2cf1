package io.grantry.server.tokenstate;

import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.BinaryCopy;
import io.grantry.projections.BulkReplay;
import io.grantry.projections.TableNames;
import io.grantry.server.tokenstate.TokenStateProjection.Kind;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The token-state tables folded in memory during a rebuild's replay, then written with COPY. Each
 * page's grant events are read into {@link TokenStateOps.Op}s (straight from the JSON bytes, on
 * every core) and each kind of statement of {@link TokenStateProjection#statements} is carried out
 * here on maps, in the statements' order, with the statements' own conditions: an insert does
 * nothing when the key exists, an update changes only rows its WHERE clause matches. So the rows
 * equal those of {@link TokenStateProjection#apply} page for page (a test replays both ways and
 * compares).
 *
 * <p>Memory: about 150 bytes a token and 250 a grant (times are kept as microseconds, client ids,
 * subjects and scopes shared): a few GB for tens of millions of rows.
 */
final class TokenStateBulk implements BulkReplay<List<TokenStateOps.Op>> {
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

  @Override
  public List<TokenStateOps.Op> prepare(List<RecordedEvent> page) {
    return TokenStateOps.fromDecoded(page);
  }

  @Override
  public boolean readsRaw() {
    return true;
  }

  @Override
  public List<TokenStateOps.Op> prepareRaw(List<LedgerCopy.Raw> page) {
    return TokenStateOps.fromRaw(page);
  }

  /**
   * Folds a page: each kind of statement in {@link Kind} order, over the page's events in commit
   * order, as {@link TokenStateProjection#apply} runs them. The statements keep only the first row
   * per key within a kind; here every row is applied, which gives the same result: a later row of
   * the same key finds what the first left (an insert finds the key, an update finds its condition
   * no longer true, a grant's revocation finds its tokens already revoked).
   */
  @Override
  public void apply(List<TokenStateOps.Op> page) {
    int n = page.size();
    for (int i = 0; i < n; i++) { // GRANT_INSERT
      TokenStateOps.Op o = page.get(i);
      if (o.kind() == TokenStateOps.CODE_ISSUED || o.kind() == TokenStateOps.CLIENT_CREDENTIALS) {
        Grant g = grant(o.grantId());
        if (!g.exists) {
          g.exists = true;
          boolean code = o.kind() == TokenStateOps.CODE_ISSUED;
          g.kind = code ? "authorization_code" : "client_credentials";
          g.clientId = share(o.clientId());
          g.userId = share(o.userId());
          g.scope = share(o.scope());
          g.status = code ? "code_issued" : "active";
          g.createdAt = o.at();
          g.updatedAt = g.createdAt;
        }
      }
    }
    for (int i = 0; i < n; i++) { // GRANT_ACTIVE
      TokenStateOps.Op o = page.get(i);
      if (o.kind() == TokenStateOps.CODE_REDEEMED) {
        Grant g = grants.get(o.grantId());
        if (g != null && g.exists && "code_issued".equals(g.status)) {
          g.status = "active";
          g.scope = share(o.scope());
          g.updatedAt = o.at();
        }
      }
    }
    for (int i = 0; i < n; i++) { // ACCESS_INSERT
      TokenStateOps.Op o = page.get(i);
      byte k = o.kind();
      if ((k == TokenStateOps.CODE_REDEEMED || k == TokenStateOps.REFRESH_ROTATED || k == TokenStateOps.CLIENT_CREDENTIALS)
          && !access.containsKey(o.jti())) {
        Access a = new Access();
        a.jti = o.jti();
        a.grant = grant(o.grantId());
        a.clientId = share(o.clientId());
        a.subject = share(k == TokenStateOps.CLIENT_CREDENTIALS ? o.clientId() : o.userId());
        a.scope = share(o.scope());
        a.issuedAt = o.at();
        a.expiresAt = o.accessExpires();
        a.nextOfGrant = a.grant.access;
        a.grant.access = a;
        access.put(a.jti, a);
      }
    }
    for (int i = 0; i < n; i++) { // REFRESH_INSERT
      TokenStateOps.Op o = page.get(i);
      byte k = o.kind();
      if ((k == TokenStateOps.REFRESH_ROTATED || (k == TokenStateOps.CODE_REDEEMED && o.hash() != null))
          && !refresh.containsKey(o.hash())) {
        Refresh x = new Refresh();
        x.hash = o.hash();
        x.grant = grant(o.grantId());
        x.clientId = share(o.clientId());
        x.subject = share(o.userId());
        x.scope = share(o.scope());
        x.issuedAt = o.at();
        x.expiresAt = o.refreshExpires();
        x.status = "active";
        x.nextOfGrant = x.grant.refresh;
        x.grant.refresh = x;
        refresh.put(x.hash, x);
      }
    }
    for (int i = 0; i < n; i++) { // REFRESH_ROTATED
      TokenStateOps.Op o = page.get(i);
      if (o.kind() == TokenStateOps.REFRESH_ROTATED) {
        Refresh x = refresh.get(o.oldHash());
        if (x != null && "active".equals(x.status)) {
          x.status = "rotated";
        }
      }
    }
    for (int i = 0; i < n; i++) { // ACCESS_REVOKE
      TokenStateOps.Op o = page.get(i);
      if (o.kind() == TokenStateOps.ACCESS_REVOKED) {
        Access a = access.get(o.jti());
        if (a != null && a.revokedAt == NULL) {
          a.revokedAt = o.at();
        }
      }
    }
    boolean revocations = false;
    for (int i = 0; i < n; i++) { // GRANT_REVOKE
      TokenStateOps.Op o = page.get(i);
      if (o.kind() == TokenStateOps.GRANT_REVOKED) {
        revocations = true;
        Grant g = grants.get(o.grantId());
        if (g != null && g.exists && !"revoked".equals(g.status)) {
          g.status = "revoked";
          g.revokedAt = o.at();
          g.revokedReason = share(o.reason());
          g.updatedAt = g.revokedAt;
        }
      }
    }
    if (!revocations) {
      return;
    }
    for (int i = 0; i < n; i++) { // GRANT_REVOKE_ACCESS
      TokenStateOps.Op o = page.get(i);
      if (o.kind() == TokenStateOps.GRANT_REVOKED) {
        Grant g = grants.get(o.grantId());
        for (Access a = g == null ? null : g.access; a != null; a = a.nextOfGrant) {
          if (a.revokedAt == NULL) {
            a.revokedAt = o.at();
          }
        }
      }
    }
    for (int i = 0; i < n; i++) { // GRANT_REVOKE_REFRESH
      TokenStateOps.Op o = page.get(i);
      if (o.kind() == TokenStateOps.GRANT_REVOKED) {
        Grant g = grants.get(o.grantId());
        for (Refresh x = g == null ? null : g.refresh; x != null; x = x.nextOfGrant) {
          if (!"revoked".equals(x.status)) {
            x.status = "revoked";
          }
        }
      }
    }
  }

  @Override
  public void write(Connection c, TableNames tables) throws SQLException, IOException {
    for (BulkReplay.Write w : writes(tables, false).values()) {
      w.to(c);
    }
  }

  /** The three tables, each written on its own (by the runner, at the same time), frozen. */
  @Override
  public Map<String, BulkReplay.Write> writes(TableNames tables) {
    return writes(tables, true);
  }

  private Map<String, BulkReplay.Write> writes(TableNames tables, boolean frozen) {
    Map<String, BulkReplay.Write> out = new java.util.LinkedHashMap<>();
    out.put("grants", c -> {
      try (BinaryCopy copy = copy(c, frozen, tables.of("grants"), "grant_id, kind, client_id, user_id, scope, status,"
          + " created_at, updated_at, revoked_at, revoked_reason")) {
        for (Grant g : grants.values()) {
          if (g.exists) {
            copy.row(10).text(g.grantId).text(g.kind).text(g.clientId).text(g.userId).text(g.scope).text(g.status)
                .timestamptz(g.createdAt).timestamptz(g.updatedAt).timestamptz(g.revokedAt).text(g.revokedReason);
          }
        }
      }
    });
    out.put("access_tokens", c -> {
      try (BinaryCopy copy = copy(c, frozen, tables.of("access_tokens"), "jti, grant_id, client_id, subject, scope,"
          + " issued_at, expires_at, revoked_at")) {
        for (Access a : access.values()) {
          copy.row(8).text(a.jti).text(a.grant.grantId).text(a.clientId).text(a.subject).text(a.scope)
              .timestamptz(a.issuedAt).timestamptz(a.expiresAt).timestamptz(a.revokedAt);
        }
      }
    });
    out.put("refresh_tokens", c -> {
      try (BinaryCopy copy = copy(c, frozen, tables.of("refresh_tokens"), "hash, grant_id, client_id, subject, scope,"
          + " issued_at, expires_at, status")) {
        for (Refresh x : refresh.values()) {
          copy.row(8).text(x.hash).text(x.grant.grantId).text(x.clientId).text(x.subject).text(x.scope)
              .timestamptz(x.issuedAt).timestamptz(x.expiresAt).text(x.status);
        }
      }
    });
    return out;
  }

  private static BinaryCopy copy(Connection c, boolean frozen, String table, String columns)
      throws SQLException, IOException {
    return frozen ? BinaryCopy.frozen(c, table, columns) : new BinaryCopy(c, table, columns);
  }
}
