package io.grantry.server.tokenstate;

import io.grantry.projections.TableNames;
import io.grantry.server.config.RetentionSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention of the token-state tables: a scheduled job deletes access and refresh token rows that
 * expired more than GRANTRY_TOKEN_RETENTION_DAYS ago (refresh tokens only once their grant has no
 * current one left that young: they are how reuse is recognized), then grants whose last change is
 * that old and that have no token row left. The ledger keeps every event; only the projection
 * forgets.
 *
 * <p>It never holds the tables for long: every batch is one short statement (its own transaction)
 * that deletes at most GRANTRY_PRUNE_BATCH_SIZE rows picked with {@code FOR UPDATE SKIP LOCKED}, so
 * rows a request is writing are skipped rather than waited for. Several servers sharing a database
 * prune one at a time: a run holds a PostgreSQL advisory lock and a server that cannot take it
 * skips its turn. Everything is asynchronous on the Vert.x SQL client, so no event loop waits.
 *
 * <p>The cutoff of each run is recorded in {@code token_state_retention}; a replay of the
 * projection applies the same cutoff ({@link #prune(SqlClient, TableNames, Instant, int)}), so a
 * rebuild gives what the live tables hold.
 */
public final class TokenStatePruner {
  private static final Logger log = LoggerFactory.getLogger(TokenStatePruner.class);

  /** The advisory lock key of the pruning job ("grantry" and 1). */
  static final long LOCK_KEY = 0x6772616e74727901L;

  /**
   * What one run did; {@code ran} is false when another server held the lock (or a run was going).
   */
  public record Result(
      boolean ran, Instant cutoff, long accessTokens, long refreshTokens, long grants) {
    public long total() {
      return accessTokens + refreshTokens + grants;
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private final Clock clock;
  private final RetentionSettings settings;
  private final Counter prunedAccess;
  private final Counter prunedRefresh;
  private final Counter prunedGrants;
  private final Timer runs;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timer = -1;

  public TokenStatePruner(
      Vertx vertx, Pool pool, Clock clock, RetentionSettings settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.pool = pool;
    this.clock = clock;
    this.settings = settings;
    this.prunedAccess = counter(registry, "access_tokens");
    this.prunedRefresh = counter(registry, "refresh_tokens");
    this.prunedGrants = counter(registry, "grants");
    this.runs =
        Timer.builder("grantry.token_state.prune.duration")
            .description("Duration of a token-state pruning run that held the lock")
            .register(registry);
  }

  private static Counter counter(MeterRegistry registry, String table) {
    return Counter.builder("grantry.token_state.pruned.rows")
        .tag("table", table)
        .description("Token-state rows deleted by the retention job")
        .register(registry);
  }

  public RetentionSettings settings() {
    return settings;
  }

  public void start() {
    if (settings.interval().isZero()) {
      log.info("Token-state pruning is off (GRANTRY_PRUNE_INTERVAL_MS=0)");
      return;
    }
    timer =
        vertx.setPeriodic(
            settings.interval().toMillis(),
            id ->
                pruneNow()
                    .onSuccess(
                        r -> {
                          if (r.total() > 0) {
                            log.info(
                                "Pruned {} access token, {} refresh token and {} grant rows expired before {}",
                                r.accessTokens(),
                                r.refreshTokens(),
                                r.grants(),
                                r.cutoff());
                          }
                        })
                    .onFailure(err -> log.warn("Token-state pruning failed: {}", err.toString())));
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /**
   * One run now: rows expired before now minus the retention go, unless another server is pruning.
   */
  public Future<Result> pruneNow() {
    Instant cutoff = clock.instant().minus(Duration.ofDays(settings.retentionDays()));
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(new Result(false, cutoff, 0, 0, 0));
    }
    long started = System.nanoTime();
    return pool.getConnection()
        .compose(
            conn ->
                conn.query("SELECT pg_try_advisory_lock(" + LOCK_KEY + ")")
                    .execute()
                    .compose(
                        rows -> {
                          if (!rows.iterator().next().getBoolean(0)) {
                            return Future.succeededFuture(new Result(false, cutoff, 0, 0, 0));
                          }
                          return recordCutoff(conn, cutoff)
                              .compose(
                                  v ->
                                      prune(
                                          conn,
                                          TableNames.live(new TokenStateProjection()),
                                          cutoff,
                                          settings.batchSize()))
                              .compose(r -> pruneDevicePolls(conn).map(r))
                              .onSuccess(
                                  r -> {
                                    prunedAccess.increment(r.accessTokens());
                                    prunedRefresh.increment(r.refreshTokens());
                                    prunedGrants.increment(r.grants());
                                    runs.record(Duration.ofNanos(System.nanoTime() - started));
                                  })
                              .eventually(
                                  () ->
                                      conn.query("SELECT pg_advisory_unlock(" + LOCK_KEY + ")")
                                          .execute());
                        })
                    .eventually(conn::close))
        .onComplete(ar -> running.set(false));
  }

  /**
   * The device grant's operational rows whose time is over (not token state): the poll records of
   * expired device codes (a poll then gets expired_token without reading them) and the counts of
   * wrong user codes whose window ended.
   */
  private Future<Long> pruneDevicePolls(SqlClient conn) {
    int batch = settings.batchSize();
    Tuple now = Tuple.of(ts(clock.instant()), batch);
    return repeat(
            conn,
            "WITH doomed AS (SELECT grant_id FROM device_polls WHERE expires_at < $1 LIMIT $2"
                + " FOR UPDATE SKIP LOCKED) DELETE FROM device_polls t USING doomed d"
                + " WHERE t.grant_id = d.grant_id",
            now,
            batch)
        .compose(
            polls ->
                repeat(
                        conn,
                        "WITH doomed AS (SELECT key FROM device_user_code_failures"
                            + " WHERE window_ends_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
                            + " DELETE FROM device_user_code_failures t USING doomed d"
                            + " WHERE t.key = d.key",
                        now,
                        batch)
                    .map(failures -> polls + failures));
  }

  private static Future<Void> recordCutoff(SqlClient conn, Instant cutoff) {
    return conn.preparedQuery(
            "INSERT INTO token_state_retention (id, cutoff) VALUES (true, $1) ON CONFLICT (id)"
                + " DO UPDATE SET cutoff = greatest(token_state_retention.cutoff, EXCLUDED.cutoff), updated_at = now()")
        .execute(Tuple.of(ts(cutoff)))
        .mapEmpty();
  }

  /** The cutoff the live tables were last pruned with; empty when pruning never ran. */
  public static Future<Optional<Instant>> recordedCutoff(SqlClient client) {
    return client
        .query("SELECT cutoff FROM token_state_retention")
        .execute()
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(rows.iterator().next().getOffsetDateTime(0).toInstant()));
  }

  /**
   * Deletes, in statements of at most {@code batch} rows, the token rows of {@code tables} that
   * expired before {@code cutoff} (refresh tokens of a grant still in use excepted), then the
   * grants last changed before it that have no token left. Each statement is its own transaction
   * unless {@code client} is in one.
   */
  public static Future<Result> prune(
      SqlClient client, TableNames tables, Instant cutoff, int batch) {
    String a = tables.of("access_tokens");
    String r = tables.of("refresh_tokens");
    String g = tables.of("grants");
    String access =
        "WITH doomed AS (SELECT jti FROM "
            + a
            + " WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
            + " DELETE FROM "
            + a
            + " t USING doomed d WHERE t.jti = d.jti";
    return repeat(client, access, Tuple.of(ts(cutoff), batch), batch)
        .compose(
            na ->
                pruneRefresh(client, r, cutoff, batch)
                    .compose(
                        nr ->
                            pruneGrants(client, g, a, r, cutoff, batch)
                                .map(ng -> new Result(true, cutoff, na, nr, ng))));
  }

  /** Runs a bounded delete until it deletes fewer than a batch; answers the rows deleted. */
  private static Future<Long> repeat(SqlClient client, String sql, Tuple args, int batch) {
    Promise<Long> done = Promise.promise();
    step(client, sql, args, batch, 0, done);
    return done.future();
  }

  private static void step(
      SqlClient client, String sql, Tuple args, int batch, long sofar, Promise<Long> done) {
    client
        .preparedQuery(sql)
        .execute(args)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
                return;
              }
              int n = ar.result().rowCount();
              if (n < batch) {
                done.complete(sofar + n);
              } else {
                step(client, sql, args, batch, sofar + n, done);
              }
            });
  }

  /**
   * Refresh tokens expired before the cutoff go, except those of a grant that still has a current
   * refresh token not expired before it: the grant state keeps only the current token, and this
   * table is what tells a rotated token presented again (reuse, which revokes the grant) from a
   * guess (see {@code GrantDecider.needsIssuedLookup}). So a grant in use keeps every token it ever
   * rotated, and they all go once the grant itself ends: its last token expired (or revoked) and
   * the retention passed. Keyset pages over (expires_at, hash), like the grants below, so the kept
   * rows are read once per run, not once per batch.
   */
  private static Future<Long> pruneRefresh(SqlClient client, String r, Instant cutoff, int batch) {
    String page =
        "SELECT hash, expires_at FROM "
            + r
            + " WHERE expires_at < $1 AND (expires_at, hash) > ($2, $3)"
            + " ORDER BY expires_at, hash LIMIT $4";
    String delete =
        "WITH doomed AS (SELECT hash FROM "
            + r
            + " x WHERE hash = ANY($1) AND expires_at < $2"
            + " AND NOT EXISTS (SELECT 1 FROM "
            + r
            + " c WHERE c.grant_id = x.grant_id AND c.status = 'active'"
            + " AND c.expires_at >= $2) FOR UPDATE SKIP LOCKED)"
            + " DELETE FROM "
            + r
            + " t USING doomed d WHERE t.hash = d.hash";
    Promise<Long> done = Promise.promise();
    keysetPage(
        client,
        page,
        delete,
        cutoff,
        batch,
        OffsetDateTime.of(1, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC),
        "",
        0,
        done);
    return done.future();
  }

  /**
   * Grants go in keyset pages over (updated_at, grant_id), so grants that are old but still hold
   * live tokens (a long-lived grant whose refresh tokens rotate) are read once per run, not once
   * per batch. A grant another was exchanged from stays while that one has a row: its revocation is
   * what makes the other inactive (a later run takes it).
   */
  private static Future<Long> pruneGrants(
      SqlClient client, String g, String a, String r, Instant cutoff, int batch) {
    String page =
        "SELECT grant_id, updated_at FROM "
            + g
            + " WHERE updated_at < $1 AND (updated_at, grant_id) > ($2, $3)"
            + " ORDER BY updated_at, grant_id LIMIT $4";
    String delete =
        "WITH doomed AS (SELECT grant_id FROM "
            + g
            + " x WHERE grant_id = ANY($1) AND updated_at < $2"
            + " AND NOT EXISTS (SELECT 1 FROM "
            + a
            + " WHERE grant_id = x.grant_id)"
            + " AND NOT EXISTS (SELECT 1 FROM "
            + r
            + " WHERE grant_id = x.grant_id)"
            // A grant exchanged from this one reads its status (a revocation must stay seen): the
            // row stays until that grant's own row is gone.
            + " AND NOT EXISTS (SELECT 1 FROM "
            + g
            + " c WHERE c.subject_grant_id = x.grant_id) FOR UPDATE SKIP LOCKED)"
            + " DELETE FROM "
            + g
            + " t USING doomed d WHERE t.grant_id = d.grant_id";
    Promise<Long> done = Promise.promise();
    keysetPage(
        client,
        page,
        delete,
        cutoff,
        batch,
        OffsetDateTime.of(1, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC),
        "",
        0,
        done);
    return done.future();
  }

  /**
   * One page of {@code page} (keys and times after ({@code afterTime}, {@code afterId}), older than
   * the cutoff), then {@code delete} over its keys, until a page is short.
   */
  private static void keysetPage(
      SqlClient client,
      String page,
      String delete,
      Instant cutoff,
      int batch,
      OffsetDateTime afterTime,
      String afterId,
      long sofar,
      Promise<Long> done) {
    client
        .preparedQuery(page)
        .execute(Tuple.of(ts(cutoff), afterTime, afterId, batch))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
                return;
              }
              List<String> ids = new ArrayList<>();
              OffsetDateTime lastTime = afterTime;
              String lastId = afterId;
              for (Row row : ar.result()) {
                ids.add(row.getString(0));
                lastTime = row.getOffsetDateTime(1);
                lastId = row.getString(0);
              }
              if (ids.isEmpty()) {
                done.complete(sofar);
                return;
              }
              OffsetDateTime t = lastTime;
              String id = lastId;
              client
                  .preparedQuery(delete)
                  .execute(Tuple.of(ids.toArray(new String[0]), ts(cutoff)))
                  .onComplete(
                      del -> {
                        if (del.failed()) {
                          done.fail(del.cause());
                        } else if (ids.size() < batch) {
                          done.complete(sofar + del.result().rowCount());
                        } else {
                          keysetPage(
                              client,
                              page,
                              delete,
                              cutoff,
                              batch,
                              t,
                              id,
                              sofar + del.result().rowCount(),
                              done);
                        }
                      });
            });
  }

  static OffsetDateTime ts(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
