package io.grantry.server.tokenstate;

import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.eventstore.InlineProjection;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.Projection;
import io.grantry.projections.TableNames;
import io.grantry.server.app.EncodedEvents;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Grant and token rows from grant events: a pure mapping from each event's {@link TokenChange} to
 * statements (testable without a database), run in the append's transaction. Every statement is
 * idempotent (inserts do nothing on conflict, updates never undo a revocation). Statements run
 * grouped by kind, issuing before revoking, so a batch that issues and revokes ends revoked. Rows
 * expired long ago are pruned by {@link TokenStatePruner}; a replay prunes them again ({@link
 * #afterReplay}).
 *
 * <p>These statements are the rules of token state. A rebuild from the start of the ledger does not
 * run them: module {@code grantry-rebuild} folds the same changes in memory with the same rules and
 * writes the rows with COPY, and its tests prove the two give equal rows (see its {@code
 * TokenStateFold} for why there are two forms).
 */
public final class TokenStateProjection implements Projection {
  public static final String NAME = "token_state";
  private static final String G = "grants";
  private static final String A = "access_tokens";
  private static final String R = "refresh_tokens";

  /**
   * {@code grants.kind} of a grant made by a token exchange: the grant type's wire name, as for the
   * others (and as the audit's as-of state shows it).
   */
  public static final String KIND_EXCHANGE = GrantType.TOKEN_EXCHANGE.wire();

  /** {@code grants.kind} of a device authorization grant (RFC 8628). */
  public static final String KIND_DEVICE = GrantType.DEVICE_CODE.wire();

  /** The kinds of statement, in the order they run within a batch. */
  enum Statement {
    GRANT_INSERT,
    GRANT_EXCHANGED,
    GRANT_ANSWERED,
    GRANT_ACTIVE,
    ACCESS_INSERT,
    REFRESH_INSERT,
    REFRESH_ROTATED,
    ACCESS_REVOKE,
    GRANT_REVOKE,
    GRANT_REVOKE_ACCESS,
    GRANT_REVOKE_REFRESH;

    /** Whether the statement only inserts rows (it depends on no row of the same batch). */
    boolean inserts() {
      return this == GRANT_INSERT
          || this == GRANT_EXCHANGED
          || this == ACCESS_INSERT
          || this == REFRESH_INSERT;
    }
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

  /**
   * The statements one grant event calls for (none for events that change no token state), from
   * what {@link TokenChange} takes from it.
   */
  static List<Map.Entry<Statement, Tuple>> statements(TokenChange c) {
    if (c == null) {
      return List.of();
    }
    OffsetDateTime at = TokenChange.time(c.at());
    return switch (c.kind()) {
      case CODE_ISSUED ->
          List.of(
              Map.entry(
                  Statement.GRANT_INSERT,
                  Tuple.of(
                      c.grantId(),
                      "authorization_code",
                      c.clientId(),
                      c.userId(),
                      c.scope(),
                      "code_issued",
                      at)));
      case CODE_REDEEMED ->
          c.hash() == null
              ? List.of(activated(c, at), accessInserted(c, at))
              : List.of(activated(c, at), accessInserted(c, at), refreshInserted(c, at));
      case REFRESH_ROTATED ->
          List.of(
              Map.entry(Statement.REFRESH_ROTATED, Tuple.of(c.oldHash())),
              refreshInserted(c, at),
              accessInserted(c, at));
      case CLIENT_CREDENTIALS ->
          List.of(
              Map.entry(
                  Statement.GRANT_INSERT,
                  Tuple.of(
                      c.grantId(),
                      "client_credentials",
                      c.clientId(),
                      null,
                      c.scope(),
                      "active",
                      at)),
              accessInserted(c, at));
      case TOKEN_EXCHANGED -> exchanged(c, at);
      // A device grant's row waits for its user ('authorization_pending'), is answered ('approved'
      // or 'denied', naming the user), then made active by its redemption (CODE_REDEEMED).
      case DEVICE_REQUESTED ->
          List.of(
              Map.entry(
                  Statement.GRANT_INSERT,
                  Tuple.of(
                      c.grantId(),
                      KIND_DEVICE,
                      c.clientId(),
                      null,
                      c.scope(),
                      "authorization_pending",
                      at)));
      case DEVICE_APPROVED ->
          List.of(
              Map.entry(
                  Statement.GRANT_ANSWERED, Tuple.of(c.grantId(), c.userId(), "approved", at)));
      case DEVICE_DENIED ->
          List.of(
              Map.entry(Statement.GRANT_ANSWERED, Tuple.of(c.grantId(), c.userId(), "denied", at)));
      case ACCESS_REVOKED -> List.of(Map.entry(Statement.ACCESS_REVOKE, Tuple.of(c.jti(), at)));
      case GRANT_REVOKED ->
          List.of(
              Map.entry(Statement.GRANT_REVOKE, Tuple.of(c.grantId(), at, c.reason())),
              Map.entry(Statement.GRANT_REVOKE_ACCESS, Tuple.of(c.grantId(), at)),
              Map.entry(Statement.GRANT_REVOKE_REFRESH, Tuple.of(c.grantId())));
    };
  }

  /**
   * A grant made by a token exchange: its row names the grant of the subject token and every grant
   * before it (whose revocation ends it: {@link TokenState}), its audience and its actor; then its
   * access or refresh token.
   */
  private static List<Map.Entry<Statement, Tuple>> exchanged(TokenChange c, OffsetDateTime at) {
    TokenExchanged x = c.exchange();
    List<Map.Entry<Statement, Tuple>> out = new ArrayList<>(2);
    out.add(
        Map.entry(
            Statement.GRANT_EXCHANGED,
            Tuple.wrap(
                new Object[] {
                  c.grantId(),
                  KIND_EXCHANGE,
                  c.clientId(),
                  c.userId(),
                  c.scope(),
                  at,
                  x.subjectGrantId(),
                  String.join(" ", x.grantChain()),
                  x.audiences().isEmpty() ? null : String.join(" ", x.audiences()),
                  x.actor().map(a -> GrantEventCodec.actor(a).encode()).orElse(null)
                })));
    if (c.jti() != null) {
      out.add(accessInserted(c, at));
    }
    if (c.hash() != null) {
      out.add(refreshInserted(c, at));
    }
    return out;
  }

  private static Map.Entry<Statement, Tuple> activated(TokenChange c, OffsetDateTime at) {
    return Map.entry(Statement.GRANT_ACTIVE, Tuple.of(c.grantId(), c.scope(), at));
  }

  private static Map.Entry<Statement, Tuple> accessInserted(TokenChange c, OffsetDateTime at) {
    return Map.entry(
        Statement.ACCESS_INSERT,
        Tuple.of(
            c.jti(),
            c.grantId(),
            c.clientId(),
            c.subject(),
            c.scope(),
            at,
            TokenChange.time(c.accessExpires()),
            c.tokenHash()));
  }

  private static Map.Entry<Statement, Tuple> refreshInserted(TokenChange c, OffsetDateTime at) {
    return Map.entry(
        Statement.REFRESH_INSERT,
        Tuple.of(
            c.hash(),
            c.grantId(),
            c.clientId(),
            c.userId(),
            c.scope(),
            at,
            TokenChange.time(c.refreshExpires())));
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

  /**
   * {@link #applyNew} as inserts the store runs inside its own insert of the batch (see {@link
   * InlineProjection#newInserts}): a batch of client_credentials tokens, codes or device requests
   * is then one statement. Null when the events call for anything but inserts (an update must see
   * the rows inserted before it, which a clause of the same statement does not).
   */
  @Override
  public List<InlineProjection.Insert> newInserts(TableNames tables, List<RecordedEvent> events) {
    Map<Statement, Map<Object, Tuple>> byStatement = byStatement(events);
    List<InlineProjection.Insert> out = new ArrayList<>(byStatement.size());
    for (Statement k : Statement.values()) {
      Map<Object, Tuple> rows = byStatement.get(k);
      if (rows == null) {
        continue;
      }
      if (!k.inserts()) {
        return null;
      }
      out.add(new InlineProjection.Insert(freshSql(k, tables), columns(k, rows.values())));
    }
    return out;
  }

  private Future<Void> apply(
      SqlConnection tx, TableNames tables, List<RecordedEvent> events, boolean fresh) {
    Map<Statement, Map<Object, Tuple>> byStatement = byStatement(events);
    // Sent together, in kind order, not each after the previous one's answer: one connection runs
    // its statements in the order they were sent (so issuing still comes before revoking), and a
    // group commit of client_credentials tokens waits for one round trip here instead of two.
    List<Future<?>> sent = new ArrayList<>(byStatement.size());
    for (Statement k : Statement.values()) {
      Map<Object, Tuple> rows = byStatement.get(k);
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
  static Map<Statement, Map<Object, Tuple>> byStatement(List<RecordedEvent> events) {
    Map<Statement, Map<Object, Tuple>> byStatement = new EnumMap<>(Statement.class);
    for (RecordedEvent re : events) {
      if (!re.streamId().startsWith(GrantTokens.STREAM_PREFIX)) {
        continue;
      }
      for (var st : statements(TokenChange.of(decoded(re)))) {
        byStatement
            .computeIfAbsent(st.getKey(), k -> new LinkedHashMap<>())
            .putIfAbsent(st.getValue().getValue(0), st.getValue());
      }
    }
    return byStatement;
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
   * The kind's statement over arrays: one array per value of {@link #statements}' tuples, in their
   * order ($1 the keys).
   */
  static String setSql(Statement k, TableNames t) {
    return switch (k) {
      case GRANT_INSERT ->
          "INSERT INTO "
              + t.of(G)
              + " (grant_id, kind, client_id, user_id, scope, status, created_at, updated_at)"
              + " SELECT a, b, c, d, e, f, g, g FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
              + " $6::text[], $7::timestamptz[]) AS u(a, b, c, d, e, f, g) ON CONFLICT (grant_id) DO NOTHING";
      case GRANT_EXCHANGED ->
          "INSERT INTO "
              + t.of(G)
              + " (grant_id, kind, client_id, user_id, scope, status, created_at, updated_at,"
              + " subject_grant_id, grant_chain, audience, act)"
              + " SELECT a, b, c, d, e, 'active', f, f, g, h, i, j FROM unnest($1::text[], $2::text[],"
              + " $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[],"
              + " $9::text[], $10::text[]) AS u(a, b, c, d, e, f, g, h, i, j) ON CONFLICT (grant_id) DO NOTHING";
      case GRANT_ANSWERED ->
          "UPDATE "
              + t.of(G)
              + " AS x SET user_id = u.b, status = u.c, updated_at = u.d"
              + " FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS u(a, b, c, d)"
              + " WHERE x.grant_id = u.a AND x.status = 'authorization_pending'";
      case GRANT_ACTIVE ->
          "UPDATE "
              + t.of(G)
              + " AS x SET status = 'active', scope = u.b, updated_at = u.c"
              + " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(a, b, c)"
              + " WHERE x.grant_id = u.a AND x.status IN ('code_issued', 'approved')";
      case ACCESS_INSERT ->
          "INSERT INTO "
              + t.of(A)
              + " (jti, grant_id, client_id, subject, scope, issued_at, expires_at, token_hash)"
              + " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],"
              + " $7::timestamptz[], $8::text[]) ON CONFLICT (jti) DO NOTHING";
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
  static String freshSql(Statement k, TableNames t) {
    String sql = setSql(k, t);
    int conflict = sql.lastIndexOf(" ON CONFLICT ");
    return conflict < 0 ? sql : sql.substring(0, conflict);
  }

  /**
   * The rows of one kind as one array per column (the same values {@link #statements} puts in each
   * tuple).
   */
  static Tuple columns(Statement k, Collection<Tuple> rows) {
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
}
