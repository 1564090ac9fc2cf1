package io.grantry.server.consents;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.consent.ConsentEvent.ConsentGranted;
import io.grantry.domain.consent.ConsentEvent.ConsentRevoked;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.app.StreamProjection;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The {@code consents} table from the {@code consent:<userId>:<clientId>} streams: one row per user
 * and client with the scopes allowed, when, and whether the consent was taken back. Applied inline;
 * idempotent through the stream version (an event at or below a row's version changes nothing),
 * like {@code UsersProjection}. A rebuild folds the same rules in memory (module {@code
 * grantry-rebuild}, {@code ConsentsFold}).
 */
public final class ConsentsProjection extends StreamProjection<ConsentEvent> {
  public static final String NAME = "consents";
  public static final String TABLE = "consents";
  public static final String STREAM_PREFIX = "consent:";

  public ConsentsProjection() {
    super(NAME, TABLE, STREAM_PREFIX, Consent.CODEC);
  }

  @Override
  protected Future<Void> apply(SqlConnection tx, String table, ConsentEvent event, long version) {
    if (event instanceof ConsentGranted g) {
      return tx.preparedQuery(
              "INSERT INTO "
                  + table
                  + " AS c (user_id, client_id, scopes, granted_at, revoked_at,"
                  + " stream_version) VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (user_id, client_id) DO UPDATE"
                  + " SET scopes = EXCLUDED.scopes, granted_at = EXCLUDED.granted_at, revoked_at = NULL,"
                  + " stream_version = EXCLUDED.stream_version WHERE c.stream_version < EXCLUDED.stream_version")
          .execute(
              Tuple.of(
                  g.userId(), g.clientId(), Scopes.of(g.scopes()).value(), utc(g.at()), version))
          .mapEmpty();
    }
    ConsentRevoked r = (ConsentRevoked) event;
    return tx.preparedQuery(
            "UPDATE "
                + table
                + " SET revoked_at = $3, stream_version = $4"
                + " WHERE user_id = $1 AND client_id = $2 AND stream_version < $4")
        .execute(Tuple.of(r.userId(), r.clientId(), utc(r.at()), version))
        .mapEmpty();
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
