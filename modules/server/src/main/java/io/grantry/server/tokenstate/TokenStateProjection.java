package io.grantry.server.tokenstate;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.BulkReplay;
import io.grantry.projections.Projection;
import io.grantry.projections.TableNames;
import io.grantry.server.app.EncodedEvents;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Grant and token rows from grant events: a pure mapping from each event to statements (testable
 * without a database), run in the append's transaction. Every statement is idempotent (inserts do
 * nothing on conflict, updates never undo a revocation). Statements run grouped by kind, issuing
 * before revoking, so a batch that issues and revokes ends revoked. Rows expired long ago are
 * pruned by {@link TokenStatePruner}; a replay prunes them again ({@link #afterReplay}).
 *
 * <p>Why one long file: it is the one mapping from every grant event to its rows, and the rules for
 * how those statements order and combine are in one place; a rebuild is proven to write the same
 * rows ({@code ProjectionRebuildTest}).
 */
public final class TokenStateProjection implements Projection {
  public static final String NAME = "token_state";
  private static final String G = "grants";
  private static final String A = "access_tokens";
  private static final String R = "refresh_tokens";

  /** The kinds of statement, in the order they run within a batch. */
  enum Kind {
    GRANT_INSERT,
    GRANT_ACTIVE,
    ACCESS_INSERT,
    REFRESH_INSERT,
    REFRESH_ROTATED,
    ACCESS_REVOKE,
    GRANT_REVOKE,
    GRANT_REVOKE_ACCESS,
    GRANT_REVOKE_REFRESH
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> tables() {
    return List.of(G, A, R);
  }

  @Override
  public boolean reads(String streamId) {
    return streamId.startsWith(GrantTokens.STREAM_PREFIX);
  }

  static String sql(Kind k, TableNames t) {
    return switch (k) {
      case GRANT_INSERT ->
          "INSERT INTO "
              + t.of(G)
              + " (grant_id, kind, client_id, user_id, scope, status, created_at, updated_at)"
              + " VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (grant_id) DO NOTHING";
      case GRANT_ACTIVE ->
          "UPDATE "
              + t.of(G)
              + " SET status = 'active', scope = $2, updated_at = $3"
              + " WHERE grant_id = $1 AND status = 'code_issued'";
      case ACCESS_INSERT ->
          "INSERT INTO "
              + t.of(A)
              + " (jti, grant_id, client_id, subject, scope, issued_at, expires_at)"
              + " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (jti) DO NOTHING";
      case REFRESH_INSERT ->
          "INSERT INTO "
              + t.of(R)
              + " (hash, grant_id, client_id, subject, scope, issued_at, expires_at, status)"
              + " VALUES ($1, $2, $3, $4, $5, $6, $7, 'active') ON CONFLICT (hash) DO NOTHING";
      case REFRESH_ROTATED ->
          "UPDATE " + t.of(R) + " SET status = 'rotated' WHERE hash = $1 AND status = 'active'";
      case ACCESS_REVOKE ->
          "UPDATE " + t.of(A) + " SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL";
      case GRANT_REVOKE ->
          "UPDATE "
              + t.of(G)
              + " SET status = 'revoked', revoked_at = $2, revoked_reason = $3, updated_at = $2"
              + " WHERE grant_id = $1 AND status <> 'revoked'";
      case GRANT_REVOKE_ACCESS ->
          "UPDATE " + t.of(A) + " SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL";
      case GRANT_REVOKE_REFRESH ->
          "UPDATE "
              + t.of(R)
              + " SET status = 'revoked' WHERE grant_id = $1 AND status <> 'revoked'";
    };
  }

  /** The statements one event calls for (none for events that change no token state). */
  static List<Map.Entry<Kind, Tuple>> statements(GrantEvent e) {
    List<Map.Entry<Kind, Tuple>> out = new ArrayList<>(3);
    if (e instanceof AuthorizationCodeIssued c) {
      out.add(
          Map.entry(
              Kind.GRANT_INSERT,
              Tuple.of(
                  c.grantId(),
                  "authorization_code",
                  c.clientId(),
                  c.userId(),
                  c.scopes().value(),
                  "code_issued",
                  ts(c.issuedAt()))));
    } else if (e instanceof AuthorizationCodeRedeemed r) {
      out.add(
          Map.entry(
              Kind.GRANT_ACTIVE, Tuple.of(r.grantId(), r.scopes().value(), ts(r.redeemedAt()))));
      out.add(
          Map.entry(
              Kind.ACCESS_INSERT,
              Tuple.of(
                  r.accessTokenJti(),
                  r.grantId(),
                  r.clientId(),
                  r.userId(),
                  r.scopes().value(),
                  ts(r.redeemedAt()),
                  ts(r.accessTokenExpiresAt()))));
      r.refreshTokenHash()
          .ifPresent(
              h ->
                  out.add(
                      Map.entry(
                          Kind.REFRESH_INSERT,
                          Tuple.of(
                              h,
                              r.grantId(),
                              r.clientId(),
                              r.userId(),
                              r.scopes().value(),
                              ts(r.redeemedAt()),
                              ts(r.refreshTokenExpiresAt().orElse(r.redeemedAt()))))));
    } else if (e instanceof RefreshTokenRotated r) {
      out.add(Map.entry(Kind.REFRESH_ROTATED, Tuple.of(r.oldHash())));
      out.add(
          Map.entry(
              Kind.REFRESH_INSERT,
              Tuple.of(
                  r.newHash(),
                  r.grantId(),
                  r.clientId(),
                  r.userId(),
                  r.scopes().value(),
                  ts(r.rotatedAt()),
                  ts(r.refreshTokenExpiresAt()))));
      out.add(
          Map.entry(
              Kind.ACCESS_INSERT,
              Tuple.of(
                  r.accessTokenJti(),
                  r.grantId(),
                  r.clientId(),
                  r.userId(),
                  r.scopes().value(),
                  ts(r.rotatedAt()),
                  ts(r.accessTokenExpiresAt()))));
    } else if (e instanceof ClientCredentialsIssued c) {
      out.add(
          Map.entry(
              Kind.GRANT_INSERT,
              Tuple.of(
                  c.grantId(),
                  "client_credentials",
                  c.clientId(),
                  null,
                  c.scopes().value(),
                  "active",
                  ts(c.issuedAt()))));
      out.add(
          Map.entry(
              Kind.ACCESS_INSERT,
              Tuple.of(
                  c.jti(),
                  c.grantId(),
                  c.clientId(),
                  c.clientId(),
                  c.scopes().value(),
                  ts(c.issuedAt()),
                  ts(c.expiresAt()))));
    } else if (e instanceof AccessTokenRevoked a) {
      out.add(Map.entry(Kind.ACCESS_REVOKE, Tuple.of(a.jti(), ts(a.revokedAt()))));
    } else if (e instanceof GrantRevoked g) {
      out.add(
          Map.entry(
              Kind.GRANT_REVOKE, Tuple.of(g.grantId(), ts(g.revokedAt()), g.reason().wire())));
      out.add(Map.entry(Kind.GRANT_REVOKE_ACCESS, Tuple.of(g.grantId(), ts(g.revokedAt()))));
      out.add(Map.entry(Kind.GRANT_REVOKE_REFRESH, Tuple.of(g.grantId())));
    }
    return out;
  }

  /**
   * One statement per kind of change for the whole batch, its rows passed as arrays and expanded
   * with {@code unnest}: a replay page of thousands of events costs a few statements instead of
   * thousands of executions (and the inline path of a group commit two instead of a hundred).
   * Running the statements one row at a time, in order, lets the first row of a key decide (an
   * insert that conflicts does nothing; an update whose condition the earlier one already changed
   * does nothing); so within a kind only the first row per key is kept, which gives the same rows.
   */
  @Override
  public Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
    return apply(tx, tables, events, false);
  }

  /**
   * Events that all start new grant streams (codes issued, client_credentials tokens): the same
   * statements with plain inserts, no {@code ON CONFLICT (…) DO NOTHING}. Each such clause makes
   * PostgreSQL insert speculatively (an index probe before the row and a confirmation record in the
   * WAL after it), two of them per client_credentials token; rows of a grant whose stream was
   * created in this very transaction cannot already exist but for a clash of random ids, and then
   * the unique violation rolls the batch back and the store applies it again through {@link
   * #apply}.
   */
  @Override
  public Future<Void> applyNew(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
    return apply(tx, tables, events, true);
  }

  private Future<Void> apply(
      SqlConnection tx, TableNames tables, List<RecordedEvent> events, boolean fresh) {
    Map<Kind, Map<Object, Tuple>> byKind = byKind(events);
    // Sent together, in kind order, not each after the previous one's answer: one connection runs
    // its statements in the order they were sent (so issuing still comes before revoking), and a
    // group commit of client_credentials tokens waits for one round trip here instead of two.
    List<Future<?>> sent = new ArrayList<>(byKind.size());
    for (Kind k : Kind.values()) {
      Map<Object, Tuple> rows = byKind.get(k);
      if (rows != null) {
        sent.add(
            tx.preparedQuery(fresh ? freshSql(k, tables) : setSql(k, tables))
                .execute(columns(k, rows.values())));
      }
    }
    return sent.isEmpty() ? Future.succeededFuture() : Future.all(sent).mapEmpty();
  }

  /**
   * A batch's rows by kind of statement, only the first row per key within a kind (see {@link
   * #apply}).
   */
  static Map<Kind, Map<Object, Tuple>> byKind(List<RecordedEvent> events) {
    Map<Kind, Map<Object, Tuple>> byKind = new EnumMap<>(Kind.class);
    for (RecordedEvent re : events) {
      if (!re.streamId().startsWith(GrantTokens.STREAM_PREFIX)) {
        continue;
      }
      for (var st : statements(decoded(re))) {
        byKind
            .computeIfAbsent(st.getKey(), k -> new LinkedHashMap<>())
            .putIfAbsent(st.getValue().getValue(0), st.getValue());
      }
    }
    return byKind;
  }

  /** A rebuild's replay folded in memory and written with COPY: {@link TokenStateBulk}. */
  @Override
  public BulkReplay<?> bulkReplay() {
    return new TokenStateBulk();
  }

  /**
   * The event, decoded unless the appending aggregate just encoded it in this thread ({@link
   * EncodedEvents}).
   */
  static GrantEvent decoded(RecordedEvent re) {
    Object known = EncodedEvents.take(re.payload());
    return known instanceof GrantEvent g
        ? g
        : GrantEventCodec.INSTANCE.fromJson(re.type(), re.payload());
  }

  /**
   * The kind's statement over arrays ($1 the keys, the others their values, as in {@link #sql}).
   */
  static String setSql(Kind k, TableNames t) {
    return switch (k) {
      case GRANT_INSERT ->
          "INSERT INTO "
              + t.of(G)
              + " (grant_id, kind, client_id, user_id, scope, status, created_at, updated_at)"
              + " SELECT a, b, c, d, e, f, g, g FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
              + " $6::text[], $7::timestamptz[]) AS u(a, b, c, d, e, f, g) ON CONFLICT (grant_id) DO NOTHING";
      case GRANT_ACTIVE ->
          "UPDATE "
              + t.of(G)
              + " AS x SET status = 'active', scope = u.b, updated_at = u.c"
              + " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(a, b, c)"
              + " WHERE x.grant_id = u.a AND x.status = 'code_issued'";
      case ACCESS_INSERT ->
          "INSERT INTO "
              + t.of(A)
              + " (jti, grant_id, client_id, subject, scope, issued_at, expires_at)"
              + " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],"
              + " $7::timestamptz[]) ON CONFLICT (jti) DO NOTHING";
      case REFRESH_INSERT ->
          "INSERT INTO "
              + t.of(R)
              + " (hash, grant_id, client_id, subject, scope, issued_at, expires_at, status)"
              + " SELECT a, b, c, d, e, f, g, 'active' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
              + " $6::timestamptz[], $7::timestamptz[]) AS u(a, b, c, d, e, f, g) ON CONFLICT (hash) DO NOTHING";
      case REFRESH_ROTATED ->
          "UPDATE "
              + t.of(R)
              + " AS x SET status = 'rotated' FROM unnest($1::text[]) AS u(a)"
              + " WHERE x.hash = u.a AND x.status = 'active'";
      case ACCESS_REVOKE ->
          "UPDATE "
              + t.of(A)
              + " AS x SET revoked_at = u.b FROM unnest($1::text[], $2::timestamptz[]) AS u(a, b)"
              + " WHERE x.jti = u.a AND x.revoked_at IS NULL";
      case GRANT_REVOKE ->
          "UPDATE "
              + t.of(G)
              + " AS x SET status = 'revoked', revoked_at = u.b, revoked_reason = u.c, updated_at = u.b"
              + " FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(a, b, c) WHERE x.grant_id = u.a AND x.status <> 'revoked'";
      case GRANT_REVOKE_ACCESS ->
          "UPDATE "
              + t.of(A)
              + " AS x SET revoked_at = u.b FROM unnest($1::text[], $2::timestamptz[]) AS u(a, b)"
              + " WHERE x.grant_id = u.a AND x.revoked_at IS NULL";
      case GRANT_REVOKE_REFRESH ->
          "UPDATE "
              + t.of(R)
              + " AS x SET status = 'revoked' FROM unnest($1::text[]) AS u(a)"
              + " WHERE x.grant_id = u.a AND x.status <> 'revoked'";
    };
  }

  /**
   * {@link #setSql} for events of new streams: the inserts without their {@code ON CONFLICT} clause
   * (see {@link #applyNew}).
   */
  static String freshSql(Kind k, TableNames t) {
    String sql = setSql(k, t);
    int conflict = sql.lastIndexOf(" ON CONFLICT ");
    return conflict < 0 ? sql : sql.substring(0, conflict);
  }

  /**
   * The rows of one kind as one array per column (the same values {@link #statements} puts in each
   * tuple).
   */
  static Tuple columns(Kind k, Collection<Tuple> rows) {
    int n = rows.size();
    int width = rows.iterator().next().size();
    Object[][] cols = new Object[width][];
    Tuple first = rows.iterator().next();
    for (int c = 0; c < width; c++) {
      cols[c] = first.getValue(c) instanceof OffsetDateTime ? new OffsetDateTime[n] : new String[n];
    }
    int i = 0;
    for (Tuple t : rows) {
      for (int c = 0; c < width; c++) {
        cols[c][i] = t.getValue(c);
      }
      i++;
    }
    Tuple out = Tuple.tuple();
    for (Object[] col : cols) {
      out.addValue(col);
    }
    return out;
  }

  /**
   * A replay recreates the rows the retention job deleted (the ledger keeps their events); drop
   * them again with the cutoff the live tables were last pruned with, so a rebuild equals the live
   * projection.
   */
  @Override
  public Future<Void> afterReplay(SqlClient client, TableNames tables) {
    return TokenStatePruner.recordedCutoff(client)
        .compose(
            cutoff ->
                cutoff.isEmpty()
                    ? Future.succeededFuture()
                    : TokenStatePruner.prune(client, tables, cutoff.get(), 5000).mapEmpty());
  }

  static OffsetDateTime ts(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
