package io.grantry.server.consents;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.grants.GrantRevoker;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Remembered consents, read and withdrawn: what the "Apps with access" page and the admin API show,
 * and the withdrawal that appends {@code ConsentRevoked} on the consent's stream and then revokes
 * every live grant of that user and client ({@link RevocationReason#CONSENT_REVOKED}).
 */
public final class ConsentService {
  private static final String LIST =
      "SELECT c.client_id, c.scopes, c.granted_at, c.revoked_at, k.client_name,"
          + " k.logo_uri FROM consents c LEFT JOIN clients k ON k.client_id = c.client_id WHERE c.user_id = $1"
          + " ORDER BY c.client_id";

  private final Pool pool;
  private final Aggregate<Consent.State, ConsentEvent> consents;
  private final GrantRevoker grants;
  private final Clock clock;

  /** A consent as listed: the client's name and logo when it is known. */
  public record Listed(
      String clientId,
      Optional<String> clientName,
      Optional<String> logoUri,
      String scopes,
      Instant grantedAt,
      Optional<Instant> revokedAt) {}

  /** What a withdrawal did: whether a consent was on record, and how many grants it ended. */
  public record Withdrawn(boolean consentRevoked, int grantsRevoked) {}

  public ConsentService(EventStore store, GrantRevoker grants, Clock clock) {
    this.pool = store.pool();
    this.consents = new Aggregate<>(store, Consent.CODEC, Consent.State.NONE, Consent::evolve);
    this.grants = grants;
    this.clock = clock;
  }

  /** The user's consents by client id; with {@code includeRevoked}, withdrawn ones too. */
  public Future<List<Listed>> list(String userId, boolean includeRevoked) {
    return pool.preparedQuery(LIST)
        .execute(Tuple.of(userId))
        .map(
            rows -> {
              List<Listed> out = new ArrayList<>(rows.size());
              for (Row r : rows) {
                Optional<Instant> revokedAt =
                    Optional.ofNullable(r.getOffsetDateTime("revoked_at"))
                        .map(OffsetDateTime::toInstant);
                if (revokedAt.isPresent() && !includeRevoked) {
                  continue;
                }
                out.add(
                    new Listed(
                        r.getString("client_id"),
                        Optional.ofNullable(r.getString("client_name")),
                        Optional.ofNullable(r.getString("logo_uri")),
                        r.getString("scopes"),
                        r.getOffsetDateTime("granted_at").toInstant(),
                        revokedAt));
              }
              return out;
            });
  }

  /**
   * Withdraws the consent {@code userId} gave {@code clientId} and revokes the grants it led to.
   * The grants are revoked even when no consent is on record (a client that skips consent).
   */
  public Future<Withdrawn> withdraw(String userId, String clientId, Aggregate.Metadata who) {
    return consents
        .execute(
            Consent.streamId(userId, clientId),
            state -> Consent.revoke(state, userId, clientId, who.actor(), clock.instant()),
            who)
        .compose(
            outcome ->
                grants
                    .revokeUserAndClient(userId, clientId, RevocationReason.CONSENT_REVOKED, who)
                    .map(n -> new Withdrawn(!outcome.events().isEmpty(), n)));
  }

  public GrantRevoker grants() {
    return grants;
  }
}
