package io.grantry.rebuild;

import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.consent.ConsentEvent.ConsentGranted;
import io.grantry.domain.consent.ConsentEvent.ConsentRevoked;
import io.grantry.domain.oauth.Scopes;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.projections.TableNames;
import io.grantry.server.consents.ConsentsProjection;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code consents} table folded in memory during a rebuild's first pass: each event does to a
 * row held here what its statement in {@link ConsentsProjection} does to the table, under the same
 * conditions (insert when absent, otherwise change only a row of a lower stream version), in the
 * same order. The events are picked and decoded as the projection picks them ({@link
 * ConsentsProjection#applied}).
 */
final class ConsentsFold implements Fold<List<ConsentsFold.Versioned>> {
  private static final String TABLE = ConsentsProjection.TABLE;

  private final ConsentsProjection consents = new ConsentsProjection();
  private final Map<String, Row> rows = new HashMap<>(1 << 16);

  /** A consent event and its version in its stream. */
  record Versioned(ConsentEvent event, long version) {}

  @Override
  public List<Versioned> prepare(List<LedgerCopy.Raw> page) {
    List<Versioned> out = new ArrayList<>();
    for (LedgerCopy.Raw r : page) {
      if (consents.reads(r.streamId())) {
        ConsentEvent e = consents.applied(r.decode());
        if (e != null) {
          out.add(new Versioned(e, r.version()));
        }
      }
    }
    return out;
  }

  @Override
  public void apply(List<Versioned> page) {
    for (Versioned d : page) {
      if (d.event() instanceof ConsentGranted g) {
        Row r = rows.get(key(g.userId(), g.clientId()));
        if (r == null) {
          rows.put(
              key(g.userId(), g.clientId()),
              new Row(
                  g.userId(),
                  g.clientId(),
                  Scopes.of(g.scopes()).value(),
                  LedgerCopy.pgMicros(g.at()),
                  d.version()));
        } else if (r.version < d.version()) {
          r.scopes = Scopes.of(g.scopes()).value();
          r.grantedAt = LedgerCopy.pgMicros(g.at());
          r.revokedAt = BinaryCopy.NULL_TIME;
          r.version = d.version();
        }
      } else {
        ConsentRevoked v = (ConsentRevoked) d.event();
        Row r = rows.get(key(v.userId(), v.clientId()));
        if (r != null && r.version < d.version()) {
          r.revokedAt = LedgerCopy.pgMicros(v.at());
          r.version = d.version();
        }
      }
    }
  }

  /** The table (frozen when the copy was truncated in the same transaction). */
  @Override
  public Map<String, Fold.Write> writes(TableNames tables) {
    return Map.of(TABLE, (c, frozen) -> write(c, tables, frozen));
  }

  private void write(Connection c, TableNames tables, boolean frozen)
      throws SQLException, IOException {
    try (var out =
        BinaryCopy.of(
            c,
            tables.of(TABLE),
            "user_id, client_id, scopes, granted_at, revoked_at, stream_version",
            frozen)) {
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

  /** The key of a consents row: user and client ids can hold neither NUL. */
  private static String key(String userId, String clientId) {
    return userId + '\0' + clientId;
  }

  /** A consents row. */
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
}
