package io.grantry.server.backchannel;

import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.logout.BackchannelEvent;
import io.grantry.domain.logout.BackchannelEventCodec;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.SessionEnded;
import io.grantry.domain.user.UserEventCodec;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.projections.Projection;
import io.grantry.projections.TableNames;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The asynchronous projection behind back-channel logout: it follows the ledger from its checkpoint
 * (so it survives restarts, and of several servers running it each batch is applied once) and keeps
 * which clients received an ID token in each session ({@code backchannel_session_clients}: a code
 * issued in the session for {@code openid}, then redeemed) and, when a session ends, a delivery
 * owed to each of them ({@code backchannel_deliveries}), whose state then follows the delivery
 * events the sender appends. Idempotent: every statement inserts what is absent or moves a row
 * forward only.
 */
public final class BackchannelProjection implements Projection {
  public static final String NAME = "backchannel_logout";
  static final String CLIENTS = "backchannel_session_clients";
  static final String DELIVERIES = "backchannel_deliveries";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> tables() {
    return List.of(CLIENTS, DELIVERIES);
  }

  /** What {@link #apply} decodes; every other event (most of the ledger: tokens) it ignores. */
  @Override
  public Set<String> eventTypes() {
    return Set.of(
        AuthorizationCodeIssued.TYPE,
        AuthorizationCodeRedeemed.TYPE,
        SessionEnded.TYPE,
        BackchannelEvent.Delivered.TYPE,
        BackchannelEvent.AttemptFailed.TYPE,
        BackchannelEvent.Abandoned.TYPE);
  }

  /** One statement the projection runs for an event. */
  private record Step(String sql, Tuple args) {}

  /**
   * The events' statements in order, a run of the same statement sent as one batch (one round trip:
   * a page of a replay holds hundreds of code redemptions).
   */
  @Override
  public Future<Void> apply(SqlConnection tx, TableNames tables, List<RecordedEvent> events) {
    List<Step> steps = new ArrayList<>();
    try {
      for (RecordedEvent e : events) {
        // Only these types are decoded: most of the ledger is tokens this projection ignores.
        Step step =
            switch (e.type()) {
              case AuthorizationCodeIssued.TYPE ->
                  codeIssued(tables, (AuthorizationCodeIssued) grant(e));
              case AuthorizationCodeRedeemed.TYPE ->
                  redeemed(tables, (AuthorizationCodeRedeemed) grant(e));
              case SessionEnded.TYPE ->
                  sessionEnded(
                      tables,
                      (SessionEnded) UserEventCodec.INSTANCE.fromJson(e.type(), e.payload()));
              case BackchannelEvent.Delivered.TYPE,
                  BackchannelEvent.AttemptFailed.TYPE,
                  BackchannelEvent.Abandoned.TYPE ->
                  delivery(tables, BackchannelEventCodec.INSTANCE.fromJson(e.type(), e.payload()));
              default -> null;
            };
        if (step != null) {
          steps.add(step);
        }
      }
    } catch (RuntimeException undecodable) {
      return Future.failedFuture(undecodable);
    }
    Future<Void> f = Future.succeededFuture();
    int i = 0;
    while (i < steps.size()) {
      String sql = steps.get(i).sql();
      List<Tuple> run = new ArrayList<>();
      while (i < steps.size() && steps.get(i).sql().equals(sql)) {
        run.add(steps.get(i++).args());
      }
      f = f.compose(v -> tx.preparedQuery(sql).executeBatch(run).mapEmpty());
    }
    return f;
  }

  private static Object grant(RecordedEvent e) {
    return GrantEventCodec.INSTANCE.fromJson(e.type(), e.payload());
  }

  private static Step codeIssued(TableNames t, AuthorizationCodeIssued e) {
    if (e.sessionId().isEmpty() || !e.scopes().contains(Scopes.OPENID)) {
      return null;
    }
    return new Step(
        "INSERT INTO "
            + t.of(CLIENTS)
            + " (grant_id, session_id, client_id, user_id) VALUES ($1, $2, $3, $4)"
            + " ON CONFLICT (grant_id) DO NOTHING",
        Tuple.of(e.grantId(), e.sessionId().get(), e.clientId(), e.userId()));
  }

  private static Step redeemed(TableNames t, AuthorizationCodeRedeemed e) {
    return new Step(
        "UPDATE " + t.of(CLIENTS) + " SET redeemed = true WHERE grant_id = $1 AND NOT redeemed",
        Tuple.of(e.grantId()));
  }

  private static Step sessionEnded(TableNames t, SessionEnded e) {
    return new Step(
        "INSERT INTO "
            + t.of(DELIVERIES)
            + " (session_id, client_id, user_id, session_ended_at, state, next_attempt_at)"
            + " SELECT DISTINCT session_id, client_id, user_id, $2::timestamptz, 'pending',"
            + " $2::timestamptz FROM "
            + t.of(CLIENTS)
            + " WHERE session_id = $1 AND redeemed"
            + " ON CONFLICT (session_id, client_id) DO NOTHING",
        Tuple.of(e.sessionId(), utc(e.endedAt())));
  }

  private static Step delivery(TableNames t, BackchannelEvent e) {
    String state =
        e instanceof BackchannelEvent.Delivered
            ? "delivered"
            : e instanceof BackchannelEvent.Abandoned ? "abandoned" : "pending";
    Instant next = e instanceof BackchannelEvent.AttemptFailed f ? f.nextAttemptAt() : e.at();
    return new Step(
        "UPDATE "
            + t.of(DELIVERIES)
            + " SET state = $3, attempts = $4, next_attempt_at = $5, claimed_until = NULL"
            + " WHERE session_id = $1 AND client_id = $2 AND attempts < $4",
        Tuple.of(e.sessionId(), e.clientId(), state, e.attempt(), utc(next)));
  }

  private static OffsetDateTime utc(Instant i) {
    return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }
}
