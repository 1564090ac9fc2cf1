package io.grantry.server.tokenstate;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.DeviceCodeRedeemed;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.eventstore.LedgerCopy;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills {@link AccessTokenMirror} and keeps it following the ledger. Deployed as a worker verticle
 * (one instance): the start-up load and the decoding of every event read run on a worker thread,
 * never on an event loop.
 *
 * <p><b>Commit order is not position order here.</b> Positions come from a sequence taken at
 * insert, and the hash chain is per stream, so it serialises nothing across streams: the group
 * commits of several verticles and several server processes run concurrently, and one holding lower
 * positions may commit after one holding higher ones (see {@code GlobalPosition}). Even the
 * transaction ids that readers order by are assigned before the commit. A follower that remembered
 * only the highest (txid, position) it had read would skip such a late commit forever. So this feed
 * keeps, beside that cursor, the transactions still running when it read (the snapshot's {@code
 * pg_snapshot_xip}) whose ids are below the cursor, and asks for their events again in every read
 * until they have committed (and been read) or aborted. A transaction below the cursor that was not
 * running at a read was either visible to it (and read) or did not exist yet, and then its id would
 * be above the cursor. Each read is one statement, so one snapshot: everything committed before it
 * started is either below the cursor (applied earlier), among the pending ids, or above the cursor,
 * and the read returns it. A read that hits its row limit keeps only whole transactions (the last
 * one, cut, is read again) and the next read continues at once; when a read ends short of its
 * limit, everything committed before the first read of that round has been applied, and the mirror
 * is stamped fresh as of that first read's start.
 *
 * <p><b>Start.</b> The live tokens, those that expire last first and at most the mirror's bound,
 * are loaded with a cursor in one repeatable-read transaction, their rows as the projection has
 * them (the grant's revocation and its exchange chain's folded in); the cursor starts at that
 * snapshot's {@code xmax} with its running transactions pending. Until the load is done the mirror
 * does not answer.
 */
public final class AccessTokenMirrorFeed extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(AccessTokenMirrorFeed.class);

  /** The events that change an access token's answer: issuances and revocations. */
  static final String[] TYPES = {
    AuthorizationCodeRedeemed.TYPE,
    DeviceCodeRedeemed.TYPE,
    RefreshTokenRotated.TYPE,
    ClientCredentialsIssued.TYPE,
    TokenExchanged.TYPE,
    AccessTokenRevoked.TYPE,
    GrantRevoked.TYPE
  };

  /** Transactions visible or not at this statement's snapshot: its xmax and running ids. */
  private static final String SNAPSHOT =
      "SELECT pg_snapshot_xmax(s)::text::bigint AS xmax,"
          + " ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x) AS xip"
          + " FROM (SELECT pg_current_snapshot() AS s) AS snap";

  private static final String LOAD =
      "SELECT a.jti, a.grant_id, a.client_id, a.subject, a.scope, a.issued_at, a.expires_at,"
          + " a.token_hash,"
          + " a.revoked_at IS NOT NULL OR "
          + TokenState.GRANT_REVOKED
          + " AS revoked, g.audience, g.act, g.grant_chain"
          + " FROM access_tokens a LEFT JOIN grants g ON g.grant_id = a.grant_id"
          + " WHERE a.expires_at > $1"
          // The bound's worth that expire last (access_tokens_by_expiry, read backwards).
          + " ORDER BY a.expires_at DESC LIMIT $2";

  /**
   * The events after the cursor ($1, $2) and those of the pending transactions ($3), of the types
   * that matter ($4), in commit order, at most $5; every row carries the snapshot's running ids
   * (one statement: the ids and the rows are of the same snapshot). Two index ranges, not one
   * condition with OR, so neither reads the ledger from its start.
   */
  private static final String READ =
      "SELECT snap.xip, e.txid, e.position, e.type, e.payload::text AS payload,"
          + " g.grant_chain, g.audience, g.act FROM"
          + " (SELECT ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(pg_current_snapshot()) AS x)"
          + " AS xip) AS snap LEFT JOIN LATERAL (SELECT * FROM ("
          + "(SELECT txid, position, type, payload FROM events WHERE (txid, position) > ($1, $2)"
          + " AND type = ANY($4) ORDER BY txid, position LIMIT $5)"
          + " UNION ALL (SELECT txid, position, type, payload FROM events"
          + " WHERE txid = ANY($3) AND type = ANY($4))"
          + ") AS u ORDER BY txid, position LIMIT $5) AS e ON true"
          // A rotation's event does not say whether its grant was made by a token exchange: its
          // grants row does (written before the rotation committed), as the database path reads it.
          + " LEFT JOIN grants g ON e.type = '"
          + RefreshTokenRotated.TYPE
          + "' AND g.grant_id = e.payload->>'grant_id'"
          + " ORDER BY e.txid, e.position";

  private static final int LOAD_BATCH = 2000;
  private static final int READ_LIMIT = 2000;
  private static final long SWEEP_EVERY_NANOS = 5_000_000_000L;

  private final AccessTokenMirror mirror;
  private final PgConnectOptions connectOptions;
  private final Clock clock;
  private final long intervalMs;

  private long cursorTxid;
  private long cursorPosition;
  private Long[] pending = new Long[0];
  private int limit = READ_LIMIT;
  private long lastSweep;
  private long timer = -1;
  private volatile boolean stopped;
  private boolean failing;

  /** The feed's own connection (null until connected, or after it broke). */
  private PgConnection conn;

  /**
   * @param connectOptions the database: the feed reads over a connection of its own, so a busy pool
   *     does not delay it past the freshness bound
   * @param intervalMs the pause between two catch-up rounds: well within the freshness bound
   */
  public AccessTokenMirrorFeed(
      AccessTokenMirror mirror, PgConnectOptions connectOptions, Clock clock, long intervalMs) {
    this.mirror = mirror;
    this.connectOptions = connectOptions;
    this.clock = clock;
    this.intervalMs = intervalMs;
  }

  @Override
  public Future<?> start() {
    // The server does not wait for the load: introspection reads the database until it is done.
    vertx.runOnContext(v -> startLoad());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return conn == null ? Future.succeededFuture() : conn.close();
  }

  private Future<PgConnection> connection() {
    if (conn != null) {
      return Future.succeededFuture(conn);
    }
    return PgConnection.connect(vertx, connectOptions)
        .onSuccess(
            c -> {
              conn = c;
              c.closeHandler(v -> conn = null);
            });
  }

  private void startLoad() {
    if (stopped) {
      return;
    }
    long startedAt = mirror.nanoTime();
    connection()
        .compose(this::load)
        .onSuccess(
            loaded -> {
              if (stopped) {
                return;
              }
              log.info("The introspection mirror holds {} access tokens", mirror.size());
              lastSweep = startedAt;
              mirror.caughtUp(startedAt);
              schedule();
            })
        .onFailure(
            err -> {
              log.warn(
                  "The introspection mirror could not load ({}); the database answers, trying"
                      + " again in 5 s",
                  err.toString());
              // Rows of a snapshot the next load will not continue from must not stay, nor the
              // revocations remembered meanwhile (that load's snapshot holds them).
              mirror.reset();
              if (!stopped) {
                timer = vertx.setTimer(5000, id -> startLoad());
              }
            });
  }

  private Future<Integer> load(SqlConnection c) {
    return c.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute()
        .compose(v -> c.query(SNAPSHOT).execute())
        .compose(
            rows -> {
              Row r = rows.iterator().next();
              // Everything below xmax not running is in this snapshot, so in the rows read below.
              cursorTxid = r.getLong("xmax") - 1;
              cursorPosition = Long.MAX_VALUE;
              pending = r.getArrayOfLongs("xip");
              return c.prepare(LOAD);
            })
        .compose(
            ps ->
                readRows(
                        ps.cursor(
                            Tuple.of(
                                clock.instant().atOffset(ZoneOffset.UTC), (long) mirror.max())),
                        new int[1])
                    .compose(n -> ps.close().map(n)))
        .transform(
            ar ->
                c.query(ar.succeeded() ? "COMMIT" : "ROLLBACK")
                    .execute()
                    .transform(
                        end ->
                            ar.succeeded()
                                ? Future.<Integer>succeededFuture(ar.result())
                                : Future.<Integer>failedFuture(ar.cause())));
  }

  private Future<Integer> readRows(Cursor cursor, int[] count) {
    return cursor
        .read(LOAD_BATCH)
        .compose(
            rows -> {
              for (Row r : rows) {
                mirror.insertRow(
                    r.getString("jti"),
                    r.getString("grant_id"),
                    r.getString("client_id"),
                    r.getString("subject"),
                    r.getString("scope"),
                    LedgerCopy.pgMicros(r.getOffsetDateTime("issued_at").toInstant()),
                    LedgerCopy.pgMicros(r.getOffsetDateTime("expires_at").toInstant()),
                    r.getBoolean("revoked"),
                    r.getString("token_hash"),
                    TokenState.words(r.getString("audience")),
                    Optional.ofNullable(r.getString("act")),
                    TokenState.words(r.getString("grant_chain")));
                count[0]++;
              }
              return cursor.hasMore() && !stopped
                  ? readRows(cursor, count)
                  : cursor.close().map(count[0]);
            });
  }

  private void schedule() {
    if (!stopped) {
      timer = vertx.setTimer(intervalMs, id -> round());
    }
  }

  /** One catch-up round: reads until a read ends short of its limit. */
  private void round() {
    timer = -1;
    if (stopped) {
      return;
    }
    long startedAt = mirror.nanoTime();
    read(startedAt);
  }

  private void read(long roundStartedAt) {
    connection()
        .compose(
            c ->
                c.preparedQuery(READ)
                    .execute(Tuple.of(cursorTxid, cursorPosition, pending, TYPES, (long) limit)))
        .onSuccess(
            rows -> {
              boolean more;
              try {
                more = accept(rows);
              } catch (RuntimeException e) {
                mirror.broken("an event could not be read: " + e);
                return;
              }
              if (more && !stopped) {
                read(roundStartedAt);
                return;
              }
              mirror.caughtUp(roundStartedAt);
              if (failing) {
                failing = false;
                log.info("The introspection mirror has caught up again");
              }
              if (mirror.nanoTime() - lastSweep >= SWEEP_EVERY_NANOS) {
                lastSweep = mirror.nanoTime();
                mirror.sweep(floor());
              }
              schedule();
            })
        .onFailure(
            err -> {
              if (!failing) {
                failing = true;
                log.warn(
                    "The introspection mirror cannot catch up ({}); the database answers until it"
                        + " does",
                    err.toString());
              }
              if (stopped) {
                return;
              }
              if (mirror.nanoTime() - mirror.freshAtOwnClock()
                  > AccessTokenMirror.FORGET_AFTER_NANOS) {
                // Failing for longer than revocations are remembered: start afresh rather than
                // remember them for as long as this lasts (review 6, L1).
                log.warn("The introspection mirror starts again with a new load");
                mirror.reset();
                timer = vertx.setTimer(Math.max(intervalMs, 1000), id -> startLoad());
                return;
              }
              timer = vertx.setTimer(Math.max(intervalMs, 1000), id -> round());
            });
  }

  /**
   * Applies a read's whole transactions and moves the cursor; true when the read hit its limit
   * (read again at once).
   */
  private boolean accept(RowSet<Row> rows) {
    Long[] running = null;
    List<Row> events = new ArrayList<>(rows.size());
    for (Row r : rows) {
      running = r.getArrayOfLongs("xip");
      if (r.getValue("txid") != null) {
        events.add(r);
      }
    }
    boolean full = events.size() >= limit;
    long cut = -1;
    if (full) {
      // The last transaction may go on past the limit: read it again, whole, next time.
      cut = events.get(events.size() - 1).getLong("txid");
      int keep = events.size();
      while (keep > 0 && events.get(keep - 1).getLong("txid") == cut) {
        keep--;
      }
      if (keep == 0) {
        limit *= 2; // one transaction larger than a read: read more at once
        return true;
      }
      events = events.subList(0, keep);
    }
    long now = mirror.nanoTime();
    long maxTxid = cursorTxid;
    long maxPosition = cursorPosition;
    for (Row r : events) {
      long txid = r.getLong("txid");
      long position = r.getLong("position");
      // Parsed here, on the worker, not by the connection's event loop (the column is text).
      TokenChange change =
          TokenChange.of(
              GrantEventCodec.INSTANCE.fromJson(
                  r.getString("type"), new JsonObject(r.getString("payload"))));
      String chain = r.getString("grant_chain");
      String audience = r.getString("audience");
      String act = r.getString("act");
      if (chain == null && audience == null && act == null) {
        mirror.apply(txid, change, now);
      }
      // else a token from the refresh of a grant made by a token exchange: as the exchange's own
      // token (AccessTokenMirror#apply), the database answers it (review 6, L2).
      if (txid > maxTxid || txid == maxTxid && position > maxPosition) {
        maxTxid = txid;
        maxPosition = position;
      }
    }
    cursorTxid = maxTxid;
    cursorPosition = maxPosition;
    long top = cursorTxid;
    List<Long> still = new ArrayList<>();
    for (Long x : running == null ? new Long[0] : running) {
      if (x <= top) {
        still.add(x);
      }
    }
    if (full) {
      // The rows sort by transaction: pending ones from the cut on may not have been returned
      // (whole or at all) though committed; they stay pending (review 6, H1).
      for (Long x : pending) {
        if (x >= cut && x <= top && !still.contains(x)) {
          still.add(x);
        }
      }
      if (cut <= top && !still.contains(cut)) {
        still.add(cut);
      }
    } else {
      limit = READ_LIMIT;
    }
    pending = still.toArray(Long[]::new);
    return full;
  }

  /** Every transaction with a smaller id has been applied (or wrote nothing that matters). */
  private long floor() {
    long floor = cursorTxid == Long.MAX_VALUE ? cursorTxid : cursorTxid + 1;
    for (Long x : pending) {
      floor = Math.min(floor, x);
    }
    return floor;
  }

  @Override
  public String toString() {
    return "AccessTokenMirrorFeed[cursor "
        + cursorTxid
        + ":"
        + cursorPosition
        + ", pending "
        + Arrays.toString(pending)
        + "]";
  }
}
