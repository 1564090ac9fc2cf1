package io.grantry.server.ops;

import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.projections.Projection;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What operators ask of the projections: grants by client, user and status; one token's row; the
 * stats; each projection's checkpoint and lag. Reads only, of the tables the endpoints read too, so
 * what an operator sees is what introspection sees. Never a token value or secret hash (a refresh
 * token's id is the SHA-256 of the token, which is what the projection is keyed by and cannot be
 * turned back into the token).
 *
 * <p>A grant's status is computed at the server's time: {@code revoked}; {@code denied} for a
 * device its user denied; {@code pending} for a code not yet redeemed within its lifetime, or a
 * device authorization not yet redeemed within its device code's; {@code active} while a refresh
 * token or an access token of it is valid; {@code expired} otherwise. The same rule counts the
 * active grants of the stats, which look at the unexpired tokens through their expiry indexes
 * rather than at every grant ever issued.
 */
public final class ProjectionQueries {
  private static final String LIVE_REFRESH =
      "EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = g.grant_id"
          + " AND r.status = 'active' AND r.expires_at > $1)";
  private static final String LIVE_ACCESS =
      "EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = g.grant_id"
          + " AND a.revoked_at IS NULL AND a.expires_at > $1)";

  /** $1 = now, $2 = the code lifetime in seconds, $3 = the device code lifetime in seconds. */
  private static final String STATUS =
      "CASE WHEN g.status = 'revoked' THEN 'revoked'"
          + " WHEN g.status = 'denied' THEN 'denied'"
          + " WHEN g.status = 'code_issued' THEN CASE WHEN g.created_at + make_interval(secs => $2) > $1"
          + " THEN 'pending' ELSE 'expired' END"
          + " WHEN g.status IN ('authorization_pending', 'approved') THEN CASE"
          + " WHEN g.created_at + make_interval(secs => $3) > $1 THEN 'pending' ELSE 'expired' END"
          + " WHEN "
          + LIVE_REFRESH
          + " OR "
          + LIVE_ACCESS
          + " THEN 'active' ELSE 'expired' END";

  private static final String EXPIRES =
      "CASE WHEN g.status = 'revoked' THEN NULL ELSE greatest("
          + "(SELECT max(r.expires_at) FROM refresh_tokens r WHERE r.grant_id = g.grant_id AND r.status = 'active'),"
          + "(SELECT max(a.expires_at) FROM access_tokens a WHERE a.grant_id = g.grant_id AND a.revoked_at IS NULL)) END";

  private final Pool pool;
  private final EventStore store;
  private final Clock clock;
  private final Duration codeLifetime;
  private final Duration deviceCodeLifetime;
  private final OpsCounters counters;
  private final List<Projection> inline;

  /**
   * @param inline the inline projections every event store of the server writes
   */
  public ProjectionQueries(
      Pool pool,
      EventStore store,
      Clock clock,
      Duration codeLifetime,
      Duration deviceCodeLifetime,
      OpsCounters counters,
      List<Projection> inline) {
    this.inline = List.copyOf(inline);
    this.pool = pool;
    this.store = store;
    this.clock = clock;
    this.codeLifetime = codeLifetime;
    this.deviceCodeLifetime = deviceCodeLifetime;
    this.counters = counters;
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  // ---------------------------------------------------------------- grants

  /** A filter of the grant list; empty fields do not filter. */
  public record GrantFilter(
      Optional<String> client,
      Optional<String> user,
      Optional<String> status,
      Optional<String> after,
      int fetch) {}

  /**
   * Grants in grant_id order after {@code after}, at most {@code fetch}. The SQL holds only the
   * filters given, so that each shape gets a plan that uses its index (client or user).
   */
  public Future<List<JsonObject>> grants(GrantFilter f) {
    List<Object> params =
        new ArrayList<>(
            List.of(
                now(), (double) codeLifetime.toSeconds(), (double) deviceCodeLifetime.toSeconds()));
    StringBuilder where = new StringBuilder(" WHERE true");
    f.client()
        .ifPresent(
            c -> {
              params.add(c);
              where.append(" AND g.client_id = $").append(params.size());
            });
    f.user()
        .ifPresent(
            u -> {
              params.add(u);
              where.append(" AND g.user_id = $").append(params.size());
            });
    f.after()
        .ifPresent(
            a -> {
              params.add(a);
              where.append(" AND g.grant_id > $").append(params.size());
            });
    String sql =
        "SELECT * FROM (SELECT g.grant_id, g.kind, g.client_id, g.user_id, g.scope, g.created_at, g.updated_at,"
            + " g.revoked_at, g.revoked_reason, "
            + STATUS
            + " AS computed_status, "
            + EXPIRES
            + " AS expires_at"
            + " FROM grants g"
            + where
            + " ORDER BY g.grant_id) x";
    if (f.status().isPresent()) {
      params.add(f.status().get());
      sql += " WHERE x.computed_status = $" + params.size();
    }
    params.add(f.fetch());
    sql += " ORDER BY x.grant_id LIMIT $" + params.size();
    return pool.preparedQuery(sql)
        .execute(Tuple.wrap(params))
        .map(
            rows -> {
              List<JsonObject> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new JsonObject()
                        .put("grant_id", r.getString("grant_id"))
                        .put("grant_type", r.getString("kind"))
                        .put("client_id", r.getString("client_id"))
                        .put("user_id", r.getString("user_id"))
                        .put("scope", r.getString("scope"))
                        .put("status", r.getString("computed_status"))
                        .put("created_at", ts(r.getOffsetDateTime("created_at")))
                        .put("updated_at", ts(r.getOffsetDateTime("updated_at")))
                        .put("expires_at", ts(r.getOffsetDateTime("expires_at")))
                        .put("revoked_at", ts(r.getOffsetDateTime("revoked_at")))
                        .put("revoked_reason", r.getString("revoked_reason")));
              }
              return out;
            });
  }

  // ---------------------------------------------------------------- tokens

  /** An access token by jti, else a refresh token by its hash; empty when neither is known. */
  public Future<Optional<JsonObject>> token(String id) {
    return pool.preparedQuery(
            "SELECT a.jti, a.grant_id, a.client_id, a.subject, a.scope, a.issued_at, a.expires_at,"
                + " a.revoked_at, g.kind, g.status AS grant_status, g.revoked_at AS grant_revoked_at, g.revoked_reason"
                + " FROM access_tokens a LEFT JOIN grants g ON g.grant_id = a.grant_id WHERE a.jti = $1")
        .execute(Tuple.of(id))
        .compose(
            rows -> {
              if (rows.size() > 0) {
                return Future.succeededFuture(Optional.of(accessToken(rows.iterator().next())));
              }
              if (!GrantTokens.isHash(id)) {
                return Future.succeededFuture(Optional.empty());
              }
              return pool.preparedQuery(
                      "SELECT r.hash, r.grant_id, r.client_id, r.subject, r.scope, r.issued_at,"
                          + " r.expires_at, r.status, g.kind, g.status AS grant_status, g.revoked_at AS grant_revoked_at,"
                          + " g.revoked_reason FROM refresh_tokens r LEFT JOIN grants g ON g.grant_id = r.grant_id"
                          + " WHERE r.hash = $1")
                  .execute(Tuple.of(id))
                  .map(
                      rr ->
                          rr.size() == 0
                              ? Optional.<JsonObject>empty()
                              : Optional.of(refreshToken(rr.iterator().next())));
            });
  }

  private JsonObject accessToken(Row r) {
    OffsetDateTime revokedAt = r.getOffsetDateTime("revoked_at");
    OffsetDateTime grantRevokedAt = r.getOffsetDateTime("grant_revoked_at");
    boolean grantRevoked = "revoked".equals(r.getString("grant_status"));
    String status;
    String reason = null;
    OffsetDateTime when = null;
    if (revokedAt != null
        && (!grantRevoked || grantRevokedAt == null || revokedAt.isBefore(grantRevokedAt))) {
      // Revoked on its own (RFC 7009 by jti) before any revocation of its grant.
      status = "revoked";
      reason = "access_token_revoked";
      when = revokedAt;
    } else if (grantRevoked) {
      status = "revoked";
      reason = r.getString("revoked_reason");
      when = grantRevokedAt;
    } else if (!now().isBefore(r.getOffsetDateTime("expires_at"))) {
      status = "expired";
      reason = "expired";
    } else {
      status = "active";
    }
    return token(r, r.getString("jti"), "access_token", status, when, reason);
  }

  private JsonObject refreshToken(Row r) {
    boolean grantRevoked = "revoked".equals(r.getString("grant_status"));
    String status;
    String reason = null;
    OffsetDateTime when = null;
    if (grantRevoked) {
      status = "revoked";
      reason = r.getString("revoked_reason");
      when = r.getOffsetDateTime("grant_revoked_at");
    } else if ("rotated".equals(r.getString("status"))) {
      status = "rotated";
      reason = "rotated";
    } else if ("revoked".equals(r.getString("status"))) {
      status = "revoked";
    } else if (!now().isBefore(r.getOffsetDateTime("expires_at"))) {
      status = "expired";
      reason = "expired";
    } else {
      status = "active";
    }
    return token(r, r.getString("hash"), "refresh_token", status, when, reason);
  }

  private static JsonObject token(
      Row r, String id, String type, String status, OffsetDateTime revokedAt, String reason) {
    return new JsonObject()
        .put("token_id", id)
        .put("token_type", type)
        .put("grant_id", r.getString("grant_id"))
        .put("grant_type", r.getString("kind"))
        .put("client_id", r.getString("client_id"))
        .put("subject", r.getString("subject"))
        .put("scope", r.getString("scope"))
        .put("issued_at", ts(r.getOffsetDateTime("issued_at")))
        .put("expires_at", ts(r.getOffsetDateTime("expires_at")))
        .put("active", "active".equals(status))
        .put("status", status)
        .put("revoked_at", ts(revokedAt))
        .put("revoked_reason", reason);
  }

  // ---------------------------------------------------------------- stats

  private static final String ACTIVE_GRANTS =
      "SELECT g.kind, count(*) FROM grants g WHERE g.grant_id IN ("
          + "SELECT grant_id FROM access_tokens WHERE expires_at > $1 AND revoked_at IS NULL"
          + " UNION SELECT grant_id FROM refresh_tokens WHERE expires_at > $1 AND status = 'active')"
          + " AND g.status = 'active' GROUP BY g.kind";

  private static final String COUNTERS =
      "SELECT name, label,"
          + " coalesce(sum(count) FILTER (WHERE minute > now() - interval '1 hour'), 0) AS last_hour,"
          + " sum(count) AS last_day FROM ops_counters WHERE minute > now() - interval '1 day' GROUP BY name, label";

  /** The figures of {@code GET /admin/stats}; this process's counters are written first. */
  public Future<JsonObject> stats() {
    return counters
        .flush()
        .compose(v -> pool.preparedQuery(ACTIVE_GRANTS).execute(Tuple.of(now())))
        .compose(
            active ->
                pool.query(COUNTERS)
                    .execute()
                    .map(
                        rows -> {
                          JsonObject byType = new JsonObject();
                          long total = 0;
                          for (Row r : active) {
                            byType.put(r.getString(0), r.getLong(1));
                            total += r.getLong(1);
                          }
                          JsonObject issued = new JsonObject();
                          for (String t :
                              List.of(
                                  "authorization_code",
                                  "refresh_token",
                                  "client_credentials",
                                  GrantType.DEVICE_CODE.wire())) {
                            issued.put(t, windowed(0, 0));
                          }
                          JsonObject reuse = windowed(0, 0);
                          JsonObject failures = windowed(0, 0);
                          for (Row r : rows) {
                            long hour = r.getLong("last_hour");
                            long day = r.getLong("last_day");
                            switch (r.getString("name")) {
                              case "tokens_issued" ->
                                  issued.put(r.getString("label"), windowed(hour, day));
                              case "refresh_token_reuse" -> reuse = add(reuse, hour, day);
                              case "client_auth_failures" -> failures = add(failures, hour, day);
                              default -> {}
                            }
                          }
                          return new JsonObject()
                              .put("at", clock.instant().toString())
                              .put("active_grants", total)
                              .put("active_grants_by_type", byType)
                              .put("tokens_issued", issued)
                              .put("refresh_token_reuse_detected", reuse)
                              .put("client_auth_failures", failures)
                              .put("flush_seconds", OpsCounters.FLUSH_MS / 1000);
                        }));
  }

  private static JsonObject windowed(long hour, long day) {
    return new JsonObject().put("last_hour", hour).put("last_day", day);
  }

  private static JsonObject add(JsonObject w, long hour, long day) {
    return windowed(w.getLong("last_hour") + hour, w.getLong("last_day") + day);
  }

  // ---------------------------------------------------------------- projections

  private static final String ASYNC =
      """
      SELECT c.name, c.txid, c.position, c.updated_at,
             (SELECT count(*) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS lag,
             coalesce(extract(epoch FROM now() - (SELECT min(recorded_at) FROM events e
                 WHERE (e.txid, e.position) > (c.txid, c.position))), 0) AS lag_seconds
      FROM projection_checkpoints c ORDER BY c.name""";

  /**
   * Inline projections first: written in the append's own transaction, they are always caught up,
   * so their checkpoint is the ledger's readable head and their lag 0. Then every asynchronous
   * projection that has a checkpoint row (whichever process runs it).
   */
  public Future<JsonArray> projections() {
    return store
        .head()
        .compose(
            head ->
                pool.query(ASYNC)
                    .execute()
                    .map(
                        rows -> {
                          JsonArray out = new JsonArray();
                          List<String> inline = new ArrayList<>();
                          for (Projection p : this.inline) {
                            inline.add(p.name());
                            out.add(
                                new JsonObject()
                                    .put("name", p.name())
                                    .put("mode", "inline")
                                    .put("tables", new JsonArray(p.tables()))
                                    .put("checkpoint", head.toString())
                                    .put("lag_events", 0)
                                    .put("lag_seconds", 0.0)
                                    .putNull("updated_at"));
                          }
                          for (Row r : rows) {
                            if (inline.contains(r.getString("name"))) {
                              continue;
                            }
                            out.add(
                                new JsonObject()
                                    .put("name", r.getString("name"))
                                    .put("mode", "async")
                                    .put("tables", new JsonArray())
                                    .put(
                                        "checkpoint",
                                        new GlobalPosition(r.getLong("txid"), r.getLong("position"))
                                            .toString())
                                    .put("lag_events", r.getLong("lag"))
                                    .put("lag_seconds", r.getNumeric("lag_seconds").doubleValue())
                                    .put("updated_at", ts(r.getOffsetDateTime("updated_at"))));
                          }
                          return out;
                        }));
  }

  private static String ts(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }
}
