package io.grantry.server.users;

import io.grantry.domain.user.UserDisabled;
import io.grantry.domain.user.UserEmailVerificationSet;
import io.grantry.domain.user.UserEnabled;
import io.grantry.domain.user.UserEvent;
import io.grantry.domain.user.UserEventCodec;
import io.grantry.domain.user.UserPasswordChanged;
import io.grantry.domain.user.UserRegistered;
import io.grantry.server.app.StreamProjection;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The {@code users} table from the {@code user:<id>} streams: one row per account with its
 * normalized username (the sign-in key), its Argon2id hash (never the password) and whether it is
 * disabled. Applied inline and idempotent, like {@code ClientsProjection}.
 */
public final class UsersProjection extends StreamProjection<UserEvent> {
  public static final String NAME = "users";
  public static final String TABLE = "users";
  static final String STREAM_PREFIX = "user:";

  public UsersProjection() {
    super(NAME, TABLE, STREAM_PREFIX, UserEventCodec.INSTANCE);
  }

  /** The stream of user {@code userId}. */
  public static String streamId(String userId) {
    return STREAM_PREFIX + userId;
  }

  @Override
  protected Future<Void> apply(SqlConnection tx, String table, UserEvent event, long version) {
    if (event instanceof UserRegistered e) {
      return tx.preparedQuery(
              "INSERT INTO "
                  + table
                  + " (user_id, username, normalized_username, password_hash, email, name,"
                  + " email_verified, disabled, registered_at, updated_at, stream_version)"
                  + " VALUES ($1, $2, $3, $4, $5, $6, $9, false, $7, $7, $8)"
                  + " ON CONFLICT (user_id) DO NOTHING")
          .execute(
              Tuple.tuple()
                  .addString(e.userId())
                  .addString(e.username())
                  .addString(e.normalizedUsername())
                  .addString(e.passwordHash())
                  .addString(e.email().orElse(null))
                  .addString(e.name().orElse(null))
                  .addOffsetDateTime(utc(e.registeredAt()))
                  .addLong(version)
                  .addBoolean(e.emailVerified()))
          .mapEmpty();
    }
    if (event instanceof UserPasswordChanged e) {
      return tx.preparedQuery(
              "UPDATE "
                  + table
                  + " SET password_hash = $2, updated_at = $3, stream_version = $4"
                  + " WHERE user_id = $1 AND stream_version < $4")
          .execute(Tuple.of(e.userId(), e.passwordHash(), utc(e.changedAt()), version))
          .mapEmpty();
    }
    if (event instanceof UserEmailVerificationSet e) {
      return tx.preparedQuery(
              "UPDATE "
                  + table
                  + " SET email_verified = $2, updated_at = $3, stream_version = $4"
                  + " WHERE user_id = $1 AND stream_version < $4")
          .execute(Tuple.of(e.userId(), e.verified(), utc(e.setAt()), version))
          .mapEmpty();
    }
    if (event instanceof UserEnabled e) {
      return tx.preparedQuery(
              "UPDATE "
                  + table
                  + " SET disabled = false, updated_at = $2, stream_version = $3"
                  + " WHERE user_id = $1 AND stream_version < $3")
          .execute(Tuple.of(e.userId(), utc(e.enabledAt()), version))
          .mapEmpty();
    }
    if (!(event instanceof UserDisabled e)) {
      return Future.succeededFuture(); // session events: SessionsProjection
    }
    return tx.preparedQuery(
            "UPDATE "
                + table
                + " SET disabled = true, updated_at = $2, stream_version = $3"
                + " WHERE user_id = $1 AND stream_version < $3")
        .execute(Tuple.of(e.userId(), utc(e.disabledAt()), version))
        .mapEmpty();
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
