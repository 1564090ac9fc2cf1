package io.grantry.server.grants;

import io.grantry.domain.client.GrantType;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.CommandRejected;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revokes many grants at once on behalf of a user or an operator: every live grant of a user and a
 * client (a withdrawn consent), of a client, or of a user. The grants are found in the token-state
 * projection's {@code grants} table; each is then revoked on its own stream through the grant
 * aggregate ({@link GrantCommand.RevokeGrant}), so the ledger records one {@code GrantRevoked} per
 * grant with the reason and the actor, and the token-state projection marks its tokens revoked in
 * the same transaction.
 *
 * <p>"Live" means not revoked and, for client_credentials grants (one per issued token) and grants
 * made by a token exchange, still holding an unexpired access token (or, for an exchange, refresh
 * token): expired ones need no event. Grants exchanged from a revoked grant need none either: they
 * die with it (see {@code TokenState}). A grant issued while the bulk revocation runs is not in its
 * list; a withdrawn consent stops new codes for that client at the next authorization request, so
 * at most a code already past the consent check escapes.
 */
public final class GrantRevoker {
  private static final Logger log = LoggerFactory.getLogger(GrantRevoker.class);

  /**
   * Grants revoked at the same time: enough to overlap round trips, few enough to share the pool.
   */
  private static final int PARALLEL = 8;

  private static final String LIVE =
      " g.status <> 'revoked' AND (g.kind NOT IN ('client_credentials', '"
          + GrantType.TOKEN_EXCHANGE.wire()
          + "') OR EXISTS ("
          + "SELECT 1 FROM access_tokens a WHERE a.grant_id = g.grant_id AND a.revoked_at IS NULL AND a.expires_at > $2)"
          + " OR EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = g.grant_id AND r.status = 'active'"
          + " AND r.expires_at > $2))";
  private static final String BY_USER_AND_CLIENT =
      "SELECT g.grant_id FROM grants g WHERE g.user_id = $1 AND"
          + LIVE
          + " AND g.client_id = $3 ORDER BY g.grant_id";
  private static final String BY_CLIENT =
      "SELECT g.grant_id FROM grants g WHERE g.client_id = $1 AND" + LIVE + " ORDER BY g.grant_id";
  private static final String BY_USER =
      "SELECT g.grant_id FROM grants g WHERE g.user_id = $1 AND" + LIVE + " ORDER BY g.grant_id";

  private final Pool pool;
  private final Aggregate<GrantState, GrantEvent> grants;
  private final Clock clock;

  public GrantRevoker(EventStore store, Clock clock) {
    this.pool = store.pool();
    this.grants =
        new Aggregate<>(
            store, GrantEventCodec.INSTANCE, GrantState.initial(), GrantDecider::evolve);
    this.clock = clock;
  }

  /** Every live grant {@code userId} gave {@code clientId}; the number revoked now. */
  public Future<Integer> revokeUserAndClient(
      String userId, String clientId, RevocationReason reason, Aggregate.Metadata who) {
    return revokeAll(
        BY_USER_AND_CLIENT,
        Tuple.of(userId, now(), clientId),
        reason,
        who,
        "of user " + userId + " for client " + clientId);
  }

  /** Every live grant of {@code clientId}, client_credentials tokens included. */
  public Future<Integer> revokeClient(
      String clientId, RevocationReason reason, Aggregate.Metadata who) {
    return revokeAll(BY_CLIENT, Tuple.of(clientId, now()), reason, who, "of client " + clientId);
  }

  /** Every live grant {@code userId} gave any client. */
  public Future<Integer> revokeUser(
      String userId, RevocationReason reason, Aggregate.Metadata who) {
    return revokeAll(BY_USER, Tuple.of(userId, now()), reason, who, "of user " + userId);
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  private Future<Integer> revokeAll(
      String sql, Tuple params, RevocationReason reason, Aggregate.Metadata who, String what) {
    return pool.preparedQuery(sql)
        .execute(params)
        .compose(
            rows -> {
              List<String> ids = new ArrayList<>(rows.size());
              rows.forEach(r -> ids.add(r.getString("grant_id")));
              return revokeFrom(ids, 0, 0, reason, who);
            })
        .onSuccess(
            n ->
                log.info(
                    "{} grant(s) {} revoked by {}, reason {} (request {})",
                    n,
                    what,
                    who.actor(),
                    reason.wire(),
                    who.requestId()));
  }

  /** Revokes {@code ids} from {@code from} on, {@value #PARALLEL} at a time. */
  private Future<Integer> revokeFrom(
      List<String> ids, int from, int revoked, RevocationReason reason, Aggregate.Metadata who) {
    if (from >= ids.size()) {
      return Future.succeededFuture(revoked);
    }
    List<Future<Boolean>> batch = new ArrayList<>();
    for (String id : ids.subList(from, Math.min(ids.size(), from + PARALLEL))) {
      batch.add(revoke(id, reason, who));
    }
    return Future.all(batch)
        .compose(
            all -> {
              int n = revoked;
              for (int i = 0; i < batch.size(); i++) {
                if (Boolean.TRUE.equals(all.resultAt(i))) {
                  n++;
                }
              }
              return revokeFrom(ids, from + batch.size(), n, reason, who);
            });
  }

  /** True if this call revoked the grant (false if it already was). */
  private Future<Boolean> revoke(String grantId, RevocationReason reason, Aggregate.Metadata who) {
    GrantCommand.RevokeGrant cmd =
        new GrantCommand.RevokeGrant(grantId, reason, who.actor(), Optional.empty());
    return grants
        .execute(
            GrantTokens.streamId(grantId),
            state -> GrantDecider.decide(state, cmd, clock.instant()),
            who)
        .compose(
            outcome ->
                outcome.accepted()
                    ? Future.succeededFuture(!outcome.events().isEmpty())
                    : Future.failedFuture(new CommandRejected(outcome.error())));
  }
}
