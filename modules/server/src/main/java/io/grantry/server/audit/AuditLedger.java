package io.grantry.server.audit;

import io.grantry.domain.authorize.PushedRequestEvent;
import io.grantry.domain.client.ClientRegistered;
import io.grantry.domain.client.ClientUpdated;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.TokenExchanged;
import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The auditors' reads of the ledger: the ordered history of a grant, a user or a client, and the
 * state as of an instant ({@link AsOfState}). Everything is read from the events table itself,
 * never from a projection, so it holds for grants whose token-state rows are long pruned.
 *
 * <h2>Whose events</h2>
 *
 * <ul>
 *   <li>A grant: its stream {@code grant:<id>}, and the streams of the grants exchanged from it
 *       (RFC 8693), and from those in turn: who acted for whom with what it granted, and what dies
 *       with it.
 *   <li>A user: the stream {@code user:<id>}, every grant stream whose authorization code was
 *       issued for the user or whose device the user approved or denied (all its events:
 *       redemption, rotations, reuse, revocations, whoever the actor), every grant exchanged for
 *       the user, and every consent stream {@code consent:<user>:<client>} of the user.
 *   <li>A client: the stream {@code client:<id>}, every grant stream issued to it (codes, device
 *       authorizations, client_credentials tokens, exchanges), every consent stream given to it,
 *       and every authorization request it pushed ({@code par:<hash>}, RFC 9126).
 * </ul>
 *
 * The first event of each grant or consent stream names its user and client (a device grant's first
 * names its client, its answer the user), and the partial indexes of migration V7 (as V14 and V18
 * redefine them) find those events; the type lists below must stay verbatim the same.
 *
 * <h2>Order</h2>
 *
 * Commit order ({@code txid, position}), the order in which the events became true, with the same
 * rule as every ledger reader: only transactions older than the oldest one still running are read,
 * so a page boundary never skips an event that commits late. An as-of read is one replay, not pages
 * an auditor follows over time: it reads every committed event recorded by then, also those behind
 * a transaction still running (which the rule above would hold back), as the token-state projection
 * written in the appending transaction shows them.
 *
 * <p>Why one long file: the three histories and the as-of read share the commit-order rule and the
 * verbatim type lists above; as-of's state replay is in {@link AsOfState}.
 */
public final class AuditLedger {
  public static final String CLIENT_PREFIX = "client:";
  public static final String USER_PREFIX = "user:";
  public static final String CONSENT_PREFIX = "consent:";

  /** Events of one as-of read or history page query at a time. */
  static final int PAGE = 5000;

  private static final String COLUMNS =
      "position, txid, event_id, stream_id, version, type, payload, metadata, recorded_at, prev_hash, hash";
  private static final String VISIBLE =
      " AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint";
  private static final String USER_TYPES =
      "('grant.authorization_code_issued.v1', 'consent.granted.v1', 'consent.revoked.v1',"
          + " 'backchannel.logout_delivered.v1', 'backchannel.logout_attempt_failed.v1',"
          + " 'backchannel.logout_abandoned.v1',"
          + " 'grant.device_authorization_approved.v1', 'grant.device_authorization_denied.v1')";
  private static final String CLIENT_TYPES =
      "('grant.authorization_code_issued.v1', 'grant.client_credentials_issued.v1',"
          + " 'consent.granted.v1', 'consent.revoked.v1',"
          + " 'grant.device_authorization_requested.v1')";
  private static final String EXCHANGED = TokenExchanged.TYPE;
  private static final String PUSHED = PushedRequestEvent.Pushed.TYPE;

  /** What a history or an as-of state is about. */
  public enum Kind {
    GRANT,
    USER,
    CLIENT;

    public String noun() {
      return name().toLowerCase();
    }
  }

  /** A grant, user or client by id. */
  public record Subject(Kind kind, String id) {
    /** The subject's own stream. */
    public String stream() {
      return switch (kind) {
        case GRANT -> GrantTokens.STREAM_PREFIX + id;
        case USER -> USER_PREFIX + id;
        case CLIENT -> CLIENT_PREFIX + id;
      };
    }

    /**
     * The streams concerning the subject besides its own ($1: its id), found through the partial
     * indexes of migrations V7, V17 and V19.
     */
    String streamsSql() {
      return switch (kind) {
        case GRANT ->
            // The grants exchanged from it, and from those, through the link of each exchange.
            "WITH RECURSIVE d(grant_id) AS (SELECT payload->>'grant_id' FROM events"
                + " WHERE payload->>'subject_grant_id' = $1 AND type = '"
                + EXCHANGED
                + "' UNION SELECT e.payload->>'grant_id' FROM events e JOIN d"
                + " ON e.payload->>'subject_grant_id' = d.grant_id WHERE e.type = '"
                + EXCHANGED
                + "') SELECT '"
                + GrantTokens.STREAM_PREFIX
                + "' || grant_id FROM d";
        // Exchanges (RFC 8693) for the user and by the client have partial indexes of their own
        // (V17), as have the requests a client pushed (RFC 9126, V19), so the lists of V7 and the
        // migrations after it stay as they are.
        case USER ->
            "SELECT DISTINCT stream_id FROM events WHERE payload->>'user_id' = $1 AND type IN "
                + USER_TYPES
                + " UNION SELECT stream_id FROM events WHERE payload->>'user_id' = $1 AND type = '"
                + EXCHANGED
                + "'";
        case CLIENT ->
            "SELECT DISTINCT stream_id FROM events WHERE payload->>'client_id' = $1 AND type IN "
                + CLIENT_TYPES
                + " UNION SELECT stream_id FROM events WHERE payload->>'client_id' = $1 AND type = '"
                + EXCHANGED
                + "' UNION SELECT stream_id FROM events WHERE payload->>'client_id' = $1 AND type = '"
                + PUSHED
                + "'";
      };
    }
  }

  /**
   * One page of history: entries in commit order, and where the next page starts (empty on the
   * last).
   */
  public record HistoryPage(
      List<JsonObject> items, Optional<GlobalPosition> next, List<JsonObject> archived) {}

  /** An as-of read that would replay more events than its caller allows. */
  public static final class TooManyEvents extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooManyEvents(long max) {
      super("more than " + max + " events to replay", null, false, false);
    }
  }

  private final Pool pool;

  public AuditLedger(Pool pool) {
    this.pool = pool;
  }

  /** True if the subject's own stream exists (a grant, user or client the ledger knows). */
  public Future<Boolean> exists(Subject s) {
    if (s.kind() == Kind.GRANT && !GrantTokens.isGrantId(s.id())) {
      return Future.succeededFuture(false);
    }
    return pool.preparedQuery("SELECT 1 FROM streams WHERE stream_id = $1")
        .execute(Tuple.of(s.stream()))
        .map(rows -> rows.size() > 0);
  }

  // ---------------------------------------------------------------- history

  /**
   * The ids of the streams concerning {@code s}: its own and those the audit indexes find. Looked
   * up first and then read by {@code stream_id = ANY(...)} (the stream index), because one query
   * with the lookup as a subquery let the planner walk the whole ledger in commit order testing
   * each event against it: minutes on 300,000 events instead of milliseconds.
   */
  public Future<List<String>> streams(Subject s) {
    if (s.streamsSql() == null) {
      return Future.succeededFuture(List.of(s.stream()));
    }
    return pool.preparedQuery(s.streamsSql())
        .execute(Tuple.of(s.id()))
        .map(
            rows -> {
              List<String> out = new ArrayList<>(rows.size() + 1);
              out.add(s.stream());
              rows.forEach(r -> out.add(r.getString(0)));
              return out;
            });
  }

  /** Up to {@code limit} history entries of {@code s} after {@code after}, in commit order. */
  public Future<HistoryPage> history(Subject s, GlobalPosition after, int limit) {
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM events WHERE stream_id = ANY($1) AND (txid, position) > ($2, $3)"
            + VISIBLE
            + " ORDER BY txid, position LIMIT $4";
    return streams(s)
        .compose(
            streams ->
                pool.preparedQuery(sql)
                    .execute(
                        Tuple.of(
                            streams.toArray(String[]::new),
                            after.txid(),
                            after.position(),
                            limit + 1)))
        .compose(
            rows -> {
              List<RecordedEvent> events = new ArrayList<>(rows.size());
              rows.forEach(r -> events.add(EventStore.toEvent(r)));
              boolean more = events.size() > limit;
              List<RecordedEvent> shown = more ? events.subList(0, limit) : events;
              return clientDiffs(shown)
                  .map(
                      diffs -> {
                        List<JsonObject> items = new ArrayList<>(shown.size());
                        for (RecordedEvent e : shown) {
                          items.add(entry(e, diffs.get(e.eventId().toString())));
                        }
                        Optional<GlobalPosition> next =
                            more
                                ? Optional.of(shown.get(shown.size() - 1).commitOrder())
                                : Optional.empty();
                        return new HistoryPage(items, next, List.of());
                      });
            })
        .compose(page -> archived(s).map(a -> new HistoryPage(page.items(), page.next(), a)));
  }

  /**
   * Where the events of the subject's streams went that {@code grantry audit archive} moved out of
   * the ledger: per archive, its file and SHA-256 (from its manifest) and how many events. (A
   * user's or client's grants are found through their events; a grant archived whole is no longer
   * linked to them, only to its own id.)
   */
  public Future<List<JsonObject>> archived(Subject s) {
    return streams(s)
        .compose(
            streams ->
                pool.preparedQuery(
                        "SELECT a.archive_id, count(*), m.payload->>'file', m.payload->>'sha256'"
                            + " FROM archived_events a LEFT JOIN events m ON m.stream_id = 'archives'"
                            + " AND m.payload->>'archive_id' = a.archive_id"
                            + " WHERE a.stream_id = ANY($1)"
                            + " GROUP BY a.archive_id, m.payload->>'file', m.payload->>'sha256'"
                            + " ORDER BY a.archive_id")
                    .execute(Tuple.of((Object) streams.toArray(String[]::new))))
        .map(
            rows -> {
              List<JsonObject> out = new ArrayList<>();
              for (Row r : rows) {
                out.add(
                    new JsonObject()
                        .put("archive_id", r.getString(0))
                        .put("events", r.getLong(1))
                        .put("file", r.getString(2))
                        .put("sha256", r.getString(3)));
              }
              return out;
            });
  }

  /**
   * One history entry: where the event stands in the ledger, who caused it in which request (from
   * the metadata written with it), and what changed ({@link #changes}).
   */
  public static JsonObject entry(RecordedEvent e, JsonObject diff) {
    JsonObject meta = e.metadata();
    return new JsonObject()
        .put("commit_order", e.commitOrder().toString())
        .put("position", e.position())
        .put("recorded_at", e.recordedAt().toString())
        .put("stream_id", e.streamId())
        .put("version", e.version())
        .put("type", e.type())
        .put("actor", meta.getString("actor"))
        .put("request_id", meta.getString("request_id"))
        .put("changes", diff != null ? diff : changes(e.payload()))
        .put("hash", HexFormat.of().formatHex(e.hash()));
  }

  /**
   * What an event says, as an auditor may see it: the payload, in which codes, refresh tokens and
   * access tokens already appear only as SHA-256 hashes or ids (the codecs never write a secret).
   * Password hashes (Argon2id, crackable offline if leaked) and client secret hashes are shown as
   * fingerprints: enough to see that one changed, nothing to attack.
   */
  public static JsonObject changes(JsonObject payload) {
    JsonObject out = payload.copy();
    for (String field : List.of("password_hash", "secret_hash", "previous_secret_hash")) {
      Object v = out.getValue(field);
      if (v instanceof String s) {
        out.put(field, fingerprint(s));
      }
    }
    return out;
  }

  /** {@code sha256:} and the first 16 hex digits of SHA-256 over the stored value. */
  static String fingerprint(String value) {
    byte[] d = EventHash.sha256().digest(value.getBytes(StandardCharsets.UTF_8));
    return "sha256:" + HexFormat.of().formatHex(d, 0, 8);
  }

  /** The metadata fields of a client event, as compared by an update's diff. */
  private static JsonObject clientConfig(JsonObject payload) {
    JsonObject c = payload.copy();
    for (String f : List.of("client_id", "registered_at", "updated_at", "secret_hash")) {
      c.remove(f);
    }
    return c;
  }

  /**
   * For each {@code client.updated} event among {@code events} (by event id): what it changed,
   * {@code {field: {from, to}}}, against the client's configuration just before it.
   */
  private Future<Map<String, JsonObject>> clientDiffs(List<RecordedEvent> events) {
    Map<String, Long> upTo = new HashMap<>();
    for (RecordedEvent e : events) {
      if (ClientUpdated.TYPE.equals(e.type())) {
        upTo.merge(e.streamId(), e.version(), Math::max);
      }
    }
    Map<String, JsonObject> diffs = new HashMap<>();
    Future<Void> f = Future.succeededFuture();
    for (var entry : upTo.entrySet()) {
      f =
          f.compose(
              v ->
                  pool.preparedQuery(
                          "SELECT "
                              + COLUMNS
                              + " FROM events WHERE stream_id = $1 AND version <= $2"
                              + " ORDER BY version")
                      .execute(Tuple.of(entry.getKey(), entry.getValue()))
                      .map(
                          rows -> {
                            JsonObject before = new JsonObject();
                            for (Row r : rows) {
                              RecordedEvent e = EventStore.toEvent(r);
                              if (ClientRegistered.TYPE.equals(e.type())) {
                                before = clientConfig(e.payload());
                              } else if (ClientUpdated.TYPE.equals(e.type())) {
                                JsonObject after = clientConfig(e.payload());
                                diffs.put(e.eventId().toString(), diff(before, after));
                                before = after;
                              }
                            }
                            return null;
                          }));
    }
    return f.map(v -> diffs);
  }

  static JsonObject diff(JsonObject before, JsonObject after) {
    Set<String> fields = new TreeSet<>(before.fieldNames());
    fields.addAll(after.fieldNames());
    JsonObject d = new JsonObject();
    for (String f : fields) {
      Object a = before.getValue(f);
      Object b = after.getValue(f);
      if (a == null ? b != null : !a.equals(b)) {
        d.put(f, new JsonObject().put("from", a).put("to", b));
      }
    }
    return d;
  }

  // ---------------------------------------------------------------- as of

  /**
   * The state at {@code at}: every event recorded at or before it is folded in commit order, of the
   * whole ledger or, with a subject, only of the streams concerning it (plus, for a user, the
   * streams of the clients its grants and consents belong to).
   *
   * @param maxEvents fail with {@link TooManyEvents} past this many events folded
   * @param progress told the number of events folded after each page
   */
  public Future<AsOfState> asOf(
      Optional<Subject> subject, Instant at, long maxEvents, LongConsumer progress) {
    AsOfState state = new AsOfState(at);
    OffsetDateTime t = OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    if (subject.isEmpty()) {
      String sql =
          "SELECT "
              + COLUMNS
              + " FROM events WHERE recorded_at <= $1 AND (txid, position) > ($2, $3)"
              + " AND (stream_id LIKE 'grant:%' OR stream_id LIKE 'client:%' OR stream_id LIKE 'consent:%')"
              + " ORDER BY txid, position LIMIT $4";
      return fold(state, state::accept, sql, Tuple.of(t), GlobalPosition.START, maxEvents, progress)
          .map(state);
    }
    String byStreams =
        "SELECT "
            + COLUMNS
            + " FROM events WHERE stream_id = ANY($1) AND recorded_at <= $2"
            + " AND (txid, position) > ($3, $4) ORDER BY txid, position LIMIT $5";
    return streams(subject.get())
        .compose(
            streams ->
                fold(
                    state,
                    state::accept,
                    byStreams,
                    Tuple.of(streams.toArray(String[]::new), t),
                    GlobalPosition.START,
                    maxEvents,
                    progress))
        .compose(v -> foldChains(state, byStreams, t, maxEvents, progress))
        .compose(
            v -> {
              if (subject.get().kind() != Kind.USER) {
                return Future.succeededFuture(state);
              }
              // The configuration of the clients the user dealt with.
              List<String> clients = new ArrayList<>();
              state.clientIdsReferenced().forEach(id -> clients.add(CLIENT_PREFIX + id));
              return fold(
                      state,
                      state::accept,
                      byStreams,
                      Tuple.of(clients.toArray(String[]::new), t),
                      GlobalPosition.START,
                      maxEvents,
                      progress)
                  .map(state);
            });
  }

  /**
   * Folds, for their status only, the grants the folded ones were exchanged from and that are not
   * among them (another client's, another subject's): their revocation ends the folded ones.
   */
  private Future<Void> foldChains(
      AsOfState state, String byStreams, OffsetDateTime t, long maxEvents, LongConsumer progress) {
    List<String> missing = new ArrayList<>(state.missingChainStreams());
    if (missing.isEmpty()) {
      return Future.succeededFuture();
    }
    return fold(
        state,
        state::acceptContext,
        byStreams,
        Tuple.of(missing.toArray(String[]::new), t),
        GlobalPosition.START,
        maxEvents,
        progress);
  }

  /**
   * Feeds the events {@code sql} selects, a page at a time in commit order, to {@code accept} (the
   * state's own events, or the context it needs to read them), stopping past {@code maxEvents}.
   */
  private Future<Void> fold(
      AsOfState state,
      Consumer<RecordedEvent> accept,
      String sql,
      Tuple base,
      GlobalPosition after,
      long maxEvents,
      LongConsumer progress) {
    Tuple params = Tuple.tuple();
    for (int i = 0; i < base.size(); i++) {
      params.addValue(base.getValue(i));
    }
    params.addLong(after.txid()).addLong(after.position()).addInteger(PAGE);
    return pool.preparedQuery(sql)
        .execute(params)
        .compose(
            rows -> {
              GlobalPosition last = after;
              for (Row r : rows) {
                RecordedEvent e = EventStore.toEvent(r);
                accept.accept(e);
                last = e.commitOrder();
              }
              if (state.events() > maxEvents) {
                return Future.failedFuture(new TooManyEvents(maxEvents));
              }
              progress.accept(state.events());
              return rows.size() < PAGE
                  ? Future.succeededFuture()
                  : fold(state, accept, sql, base, last, maxEvents, progress);
            });
  }

  /** How many events an as-of read of the whole ledger at {@code at} folds at most (for an ETA). */
  public Future<Long> countUpTo(Instant at) {
    return pool.preparedQuery(
            "SELECT count(*) FROM events WHERE recorded_at <= $1"
                + " AND (stream_id LIKE 'grant:%' OR stream_id LIKE 'client:%' OR stream_id LIKE 'consent:%')")
        .execute(Tuple.of(OffsetDateTime.ofInstant(at, ZoneOffset.UTC)))
        .map(rows -> rows.iterator().next().getLong(0));
  }
}
