package io.grantry.server.consents;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.consent.ConsentEvent.ConsentGranted;
import io.grantry.domain.consent.ConsentEvent.ConsentRevoked;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.Projection;
import io.grantry.projections.TableNames;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The {@code consents} table from the {@code consent:<userId>:<clientId>} streams: one row per
 * user and client with the scopes allowed, when, and whether the consent was taken back. Applied
 * inline; idempotent through the stream version (an event at or below a row's version changes
 * nothing), like {@code UsersProjection}.
 */
public final class ConsentsProjection implements Projection {
  public static final String NAME = "consents";
  public static final String TABLE = "consents";
  static final String STREAM_PREFIX = "consent:";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> tables() {
    return List.of(TABLE);
  }

  @Override
  public Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
    String table = tables.of(TABLE);
    Future<Void> f = Future.succeededFuture();
    for (RecordedEvent e : events) {
      if (!e.streamId().startsWith(STREAM_PREFIX) || !Consent.CODEC.types().contains(e.type())) {
        continue;
      }
      ConsentEvent event = Consent.CODEC.fromJson(e.type(), e.payload());
      f = f.compose(v -> apply(tx, table, event, e.version()));
    }
    return f;
  }

  private static Future<Void> apply(SqlConnection tx, String table, ConsentEvent event, long version) {
    if (event instanceof ConsentGranted g) {
      return tx.preparedQuery("INSERT INTO " + table + " AS c (user_id, client_id, scopes, granted_at, revoked_at,"
              + " stream_version) VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (user_id, client_id) DO UPDATE"
              + " SET scopes = EXCLUDED.scopes, granted_at = EXCLUDED.granted_at, revoked_at = NULL,"
              + " stream_version = EXCLUDED.stream_version WHERE c.stream_version < EXCLUDED.stream_version")
          .execute(Tuple.of(g.userId(), g.clientId(), Scopes.of(g.scopes()).value(), utc(g.at()), version))
          .mapEmpty();
    }
    ConsentRevoked r = (ConsentRevoked) event;
    return tx.preparedQuery("UPDATE " + table + " SET revoked_at = $3, stream_version = $4"
            + " WHERE user_id = $1 AND client_id = $2 AND stream_version < $4")
        .execute(Tuple.of(r.userId(), r.clientId(), utc(r.at()), version))
        .mapEmpty();
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
