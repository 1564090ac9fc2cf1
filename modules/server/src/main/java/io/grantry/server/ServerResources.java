package io.grantry.server;

import io.grantry.server.browser.LoginThrottle;
import io.grantry.server.clients.ClientCache;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.config.ServerSecrets;
import io.grantry.server.crypto.ClientSecrets;
import io.grantry.server.crypto.PasswordHasher;
import io.grantry.server.keys.KeyService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the verticles of one server share: configuration, the connection pool, the metrics registry,
 * the signing keys and the hashing of secrets. Nothing else is shared between instances: state
 * lives in the database.
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
    PasswordHasher passwords,
    Clock clock,
    ClientCache clientCache,
    LoginThrottle loginThrottle,
    io.grantry.server.throttle.ClientAuthThrottle clientAuthThrottle,
    io.grantry.server.ops.OpsCounters opsCounters,
    io.grantry.server.token.IntrospectionCache introspectionCache,
    // Grant states shared by the verticles (null: off): see io.grantry.server.app.StateCache.
    io.grantry.server.app.StateCache<io.grantry.domain.grant.GrantState> grantStates,
    // User lookups and remembered consents, dropped by this process's commits of their streams
    // (GRANTRY_USER_CACHE_MS): see io.grantry.server.app.ProjectionCache.
    io.grantry.server.app.ProjectionCache<
            java.util.Optional<io.grantry.domain.user.UserState.Registered>>
        userCache,
    io.grantry.server.app.ProjectionCache<io.grantry.domain.consent.Consent.State> consentCache,
    // Live browser sessions by user, dropped by this process's commits of the user's stream
    // (GRANTRY_USER_CACHE_MS): see io.grantry.server.sessions.SessionService.
    io.grantry.server.app.ProjectionCache<
            java.util.Map<String, io.grantry.server.sessions.SessionService.Stored>>
        sessionCache,
    io.grantry.server.sessions.SessionService.Lifetimes sessionLifetimes) {

  /**
   * Makes {@code store}'s commits drop what the shared caches hold of the streams they write (the
   * introspection answers, user lookups and remembered consents), before the appending request is
   * answered. Every event store of the server that may append those streams calls this.
   */
  public void followCommits(io.grantry.eventstore.EventStore store) {
    store.addCommitListener(introspectionCache::onCommitted);
    store.addCommitListener(userCache::onCommitted);
    store.addCommitListener(consentCache::onCommitted);
    store.addCommitListener(sessionCache::onCommitted);
  }
}
