package io.grantry.server;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.user.UserState;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.ProjectionCache;
import io.grantry.server.app.StateCache;
import io.grantry.server.clients.ClientCache;
import io.grantry.server.clients.ClientKeys;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ServerSecrets;
import io.grantry.server.crypto.ClientSecrets;
import io.grantry.server.crypto.PasswordHashing;
import io.grantry.server.keys.KeyService;
import io.grantry.server.ops.OpsCounters;
import io.grantry.server.pages.Look;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.throttle.ClientAuthThrottle;
import io.grantry.server.throttle.DeviceRequestThrottle;
import io.grantry.server.throttle.LoginThrottle;
import io.grantry.server.tokens.IntrospectionCache;
import io.grantry.server.tokenstate.AccessTokenMirror;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the verticles of one server process share: configuration, the connection pool, the metrics
 * registry, the signing keys, the hashing of secrets, the throttles and the in-memory caches.
 * Nothing else is shared between instances: state lives in the database. Only the composition root
 * ({@link GrantryServer}, {@link HttpVerticle}) holds this; every route group and service is handed
 * the few parts it uses.
 *
 * @param accessTokenMirror the live access tokens in memory, for introspection (see {@link
 *     AccessTokenMirror})
 * @param grantStates grant states shared by the verticles (null: off), see {@link StateCache}
 * @param userCache user lookups, dropped by this process's commits of their streams
 * @param consentCache remembered consents, likewise
 * @param sessionCache live browser sessions by user, likewise
 * @param clientKeys the public keys of private_key_jwt clients, {@code jwks_uri}s fetched and
 *     cached once for the process
 * @param look how the pages look under the operator's branding, its stylesheet read at start
 */
public record ServerResources(
    GrantryConfig config,
    Pool pool,
    PgConnectOptions connectOptions,
    PrometheusMeterRegistry registry,
    AtomicBoolean migrated,
    ServerSecrets secrets,
    KeyService keys,
    ClientSecrets clientSecrets,
    // Argon2id with bounded concurrency and queue, on threads of its own.
    PasswordHashing passwords,
    Clock clock,
    ClientCache clientCache,
    LoginThrottle loginThrottle,
    ClientAuthThrottle clientAuthThrottle,
    DeviceRequestThrottle deviceRequests,
    OpsCounters opsCounters,
    IntrospectionCache introspectionCache,
    AccessTokenMirror accessTokenMirror,
    StateCache<GrantState> grantStates,
    ProjectionCache<Optional<UserState.Registered>> userCache,
    ProjectionCache<Consent.State> consentCache,
    ProjectionCache<Map<String, SessionService.Stored>> sessionCache,
    ClientKeys clientKeys,
    Look look) {

  /**
   * Makes {@code store}'s commits drop what the shared caches hold of the streams they write (the
   * introspection answers, user lookups, remembered consents and live sessions) and apply its
   * revocations to the access-token mirror, before the appending request is answered. Every event
   * store of the server that may append those streams calls this.
   */
  public void followCommits(EventStore store) {
    store.addCommitListener(introspectionCache::onCommitted);
    store.addCommitListener(accessTokenMirror::onCommitted);
    store.addCommitListener(userCache::onCommitted);
    store.addCommitListener(consentCache::onCommitted);
    store.addCommitListener(sessionCache::onCommitted);
  }
}
