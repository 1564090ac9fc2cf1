package io.grantry.server.consents;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.consent.ConsentEvent.ConsentGranted;
import io.grantry.domain.consent.ConsentEvent.ConsentRevoked;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.BinaryCopy;
import io.grantry.projections.BulkReplay;
import io.grantry.projections.TableNames;
import io.grantry.server.app.StreamProjection;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code consents} table from the {@code consent:<userId>:<clientId>} streams: one row per user
 * and client with the scopes allowed, when, and whether the consent was taken back. Applied inline;
 * idempotent through the stream version (an event at or below a row's version changes nothing),
 * like {@code UsersProjection}.
 */
public final class ConsentsProjection extends StreamProjection<ConsentEvent> {
  public static final String NAME = "consents";
  public static final String TABLE = "consents";
  static final String STREAM_PREFIX = "consent:";

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

  /**
   * A rebuild's replay folded in memory and written with COPY (see {@link
   * io.grantry.projections.BulkReplay}): each event does to a row held here what its statement in
   * {@link #apply} does to the table, under the same conditions (insert when absent, otherwise
   * change only a row of a lower stream version), in the same order.
   */
  @Override
  public BulkReplay<?> bulkReplay() {
    return new BulkReplay<List<Decoded<ConsentEvent>>>() {
      private final Map<String, Row> rows = new HashMap<>(1 << 16);

      @Override
      public List<Decoded<ConsentEvent>> prepare(List<RecordedEvent> page) {
        return decode(page);
      }

      @Override
      public void apply(List<Decoded<ConsentEvent>> page) {
        for (Decoded<ConsentEvent> d : page) {
          if (d.event() instanceof ConsentGranted g) {
            Row r = rows.get(key(g.userId(), g.clientId()));
            if (r == null) {
              rows.put(
                  key(g.userId(), g.clientId()),
                  new Row(
                      g.userId(),
                      g.clientId(),
                      Scopes.of(g.scopes()).value(),
                      BinaryCopy.micros(utc(g.at())),
                      d.version()));
            } else if (r.version < d.version()) {
              r.scopes = Scopes.of(g.scopes()).value();
              r.grantedAt = BinaryCopy.micros(utc(g.at()));
              r.revokedAt = BinaryCopy.NULL_TIME;
              r.version = d.version();
            }
          } else {
            ConsentRevoked v = (ConsentRevoked) d.event();
            Row r = rows.get(key(v.userId(), v.clientId()));
            if (r != null && r.version < d.version()) {
              r.revokedAt = BinaryCopy.micros(utc(v.at()));
              r.version = d.version();
            }
          }
        }
      }

      /** The table written frozen (the runner truncated the copy in the same transaction). */
      @Override
      public Map<String, BulkReplay.Write> writes(TableNames tables) {
        return Map.of(TABLE, c -> write(c, tables));
      }

      private void write(Connection c, TableNames tables) throws SQLException, IOException {
        try (var out =
            BinaryCopy.frozen(
                c,
                tables.of(TABLE),
                "user_id, client_id, scopes, granted_at, revoked_at, stream_version")) {
          for (Row r : rows.values()) {
            out.row(6)
                .text(r.userId)
                .text(r.clientId)
                .text(r.scopes)
                .timestamptz(r.grantedAt)
                .timestamptz(r.revokedAt)
                .int8(r.version);
          }
        }
      }
    };
  }

  /** The key of a consents row: user and client ids can hold neither NUL. */
  private static String key(String userId, String clientId) {
    return userId + '\0' + clientId;
  }

  /** A consents row in a bulk replay. */
  private static final class Row {
    final String userId;
    final String clientId;
    String scopes;
    long grantedAt;
    long revokedAt = BinaryCopy.NULL_TIME;
    long version;

    Row(String userId, String clientId, String scopes, long grantedAt, long version) {
      this.userId = userId;
      this.clientId = clientId;
      this.scopes = scopes;
      this.grantedAt = grantedAt;
      this.version = version;
    }
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
