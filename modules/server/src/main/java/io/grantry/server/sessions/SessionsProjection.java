package io.grantry.server.sessions;

import io.grantry.domain.user.SessionEnded;
import io.grantry.domain.user.SessionStarted;
import io.grantry.domain.user.UserEvent;
import io.grantry.domain.user.UserEventCodec;
import io.grantry.server.app.StreamProjection;
import io.grantry.server.users.UsersProjection;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The {@code sessions} table from the session events of the {@code user:<id>} streams: one row per
 * session with the hash of its cookie's secret, its lifetime and, once it ended, when and why.
 * Applied inline (in the append's transaction), so a sign-out is seen by the next request;
 * idempotent (a started session is inserted once, an end applies to a session not yet ended).
 */
public final class SessionsProjection extends StreamProjection<UserEvent> {
  public static final String NAME = "sessions";
  public static final String TABLE = "sessions";

  public SessionsProjection() {
    super(NAME, TABLE, UsersProjection.streamId(""), UserEventCodec.INSTANCE);
  }

  @Override
  protected Future<Void> apply(SqlConnection tx, String table, UserEvent event, long version) {
    if (event instanceof SessionStarted e) {
      return tx.preparedQuery(
              "INSERT INTO "
                  + table
                  + " (session_id, user_id, secret_hash, auth_time, method, expires_at, address,"
                  + " user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                  + " ON CONFLICT (session_id) DO NOTHING")
          .execute(
              Tuple.tuple()
                  .addString(e.sessionId())
                  .addString(e.userId())
                  .addString(e.secretHash())
                  .addOffsetDateTime(utc(e.authTime()))
                  .addString(e.method())
                  .addOffsetDateTime(utc(e.expiresAt()))
                  .addString(e.address().orElse(null))
                  .addString(e.userAgent().orElse(null)))
          .mapEmpty();
    }
    if (event instanceof SessionEnded e) {
      return tx.preparedQuery(
              "UPDATE "
                  + table
                  + " SET ended_at = $2, end_reason = $3 WHERE session_id = $1 AND ended_at IS NULL")
          .execute(Tuple.of(e.sessionId(), utc(e.endedAt()), e.reason().wire()))
          .mapEmpty();
    }
    return Future.succeededFuture(); // the account's own events: UsersProjection
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
