package io.grantry.server;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.audit.LedgerProofs;
import io.grantry.eventstore.audit.LedgerTree;
import io.grantry.server.account.AccountRoutes;
import io.grantry.server.admin.AdminApi;
import io.grantry.server.app.UsedJtis;
import io.grantry.server.audit.AuditLedger;
import io.grantry.server.authorize.AuthorizeRoutes;
import io.grantry.server.browser.BrowserCookies;
import io.grantry.server.browser.Csrf;
import io.grantry.server.browser.SessionCookie;
import io.grantry.server.clients.ClientAssertions;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.clients.ClientService;
import io.grantry.server.config.GrantryConfig;
import io.grantry.server.consents.ConsentService;
import io.grantry.server.device.DeviceRoutes;
import io.grantry.server.devicecodes.DeviceCodes;
import io.grantry.server.discovery.DiscoveryRoutes;
import io.grantry.server.discovery.LedgerRoutes;
import io.grantry.server.grants.GrantRevoker;
import io.grantry.server.health.HealthRoutes;
import io.grantry.server.health.MetricsRoutes;
import io.grantry.server.http.BrandRoutes;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.HttpEdge;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.logout.LogoutRoutes;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.ops.ClientAuthFailureCounter;
import io.grantry.server.ops.ProjectionQueries;
import io.grantry.server.sessions.BrowserSessions;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.throttle.UserCodeThrottle;
import io.grantry.server.token.DeviceAuthorizationRoutes;
import io.grantry.server.token.IntrospectionRoutes;
import io.grantry.server.token.PushedAuthorizationRoutes;
import io.grantry.server.token.RevocationRoutes;
import io.grantry.server.token.TokenRoutes;
import io.grantry.server.token.UserinfoRoutes;
import io.grantry.server.tokens.DpopProofs;
import io.grantry.server.tracing.LedgerTracing;
import io.grantry.server.users.UserDirectory;
import io.grantry.server.users.UserService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One HTTP server instance; the launcher deploys one per core on the same port. Each instance
 * mounts every route group (connections are shared round-robin between instances) and has its own
 * event store, so appends from the requests of one event loop are group-committed together. Here
 * each route group is handed the services it works with, built over this instance's event store
 * from the process's shared {@link ServerResources}.
 */
public final class HttpVerticle extends VerticleBase {
  private final ServerResources r;
  private EventStore store;
  private HttpServer server;

  /** Route groups only this deployment has (development mode's callback page). */
  private final List<RouteGroup> extra;

  public HttpVerticle(ServerResources resources) {
    this(resources, List.of());
  }

  public HttpVerticle(ServerResources resources, List<RouteGroup> extra) {
    this.r = resources;
    this.extra = List.copyOf(extra);
  }

  @Override
  public Future<?> start() {
    GrantryConfig config = r.config();
    store =
        EventStore.create(
                vertx,
                r.pool(),
                EventStoreOptions.defaults()
                    .withMeterRegistry(r.registry())
                    // Events are recorded at the server's time, the time the domain decided with
                    // (audit as-of).
                    .withClock(r.clock())
                    .withBatching(
                        config.database().appendMaxBatch(), config.database().appendMaxInFlight())
                    .withCommitNotifications(GrantryServer.ANNOUNCE_COMMITS))
            // A span per group commit when tracing is on (GRANTRY_OTEL_ENDPOINT); else null.
            .traceAppends(LedgerTracing.of(vertx));
    InlineProjections.register(store);
    r.followCommits(store);

    EndpointPaths paths = new EndpointPaths(config.endpoints());
    GrantRevoker revoker = new GrantRevoker(store, r.clock());
    ClientDirectory clients =
        new ClientDirectory(r.pool(), r.clientSecrets(), r.clock(), r.clientCache());
    UserDirectory users = new UserDirectory(r.pool(), r.passwords(), r.userCache());
    SessionService sessions =
        new SessionService(store, r.sessionCache(), config.sessions(), r.clock());
    ConsentService consents = new ConsentService(store, revoker, r.clock());
    BrowserCookies cookies = BrowserCookies.forIssuer(config.issuer());
    Csrf csrf = new Csrf(r.secrets().pepper(), cookies);
    OAuthServices oauth =
        new OAuthServices(
            config.issuer(),
            config.tokens(),
            config.par(),
            store,
            clients,
            new ClientAssertions(
                config.issuer(),
                clients,
                r.clientKeys(),
                r.clientSecrets(),
                new UsedJtis(r.pool()),
                config.clients(),
                r.clock()),
            new DpopProofs(
                config.issuer(),
                new UsedJtis(r.pool()),
                config.dpop(),
                config.clients().clockSkew(),
                r.clock(),
                r.secrets().pepper()),
            users,
            r.grantStates(),
            OAuthServices.grantSnapshots(r.pool(), config.caches()),
            r.consentCache(),
            r.keys(),
            r.introspectionCache(),
            r.accessTokenMirror(),
            csrf,
            new BrowserSessions(
                sessions,
                new SessionCookie(r.secrets().pepper(), cookies, config.sessions().idle()),
                csrf,
                r.clock()),
            r.loginThrottle(),
            r.clientAuthThrottle(),
            r.registry(),
            r.secrets().pepper(),
            r.clock());
    LedgerProofs proofs = new LedgerProofs(new LedgerTree(r.pool()));
    // The device authorization grant: its user codes and poll records on this store, and the
    // throttle of wrong user codes, counted in the database (so across instances).
    DeviceCodes devices = new DeviceCodes(store, r.secrets().pepper(), config.device(), r.clock());
    AdminApi.Services admin =
        new AdminApi.Services(
            new ClientService(store, r.clientSecrets(), r.clock(), r.clientCache(), revoker),
            clients,
            new UserService(store, r.passwords(), revoker, r.clock()),
            users,
            sessions,
            consents,
            r.keys(),
            store,
            new AuditLedger(r.pool()),
            proofs,
            new ProjectionQueries(
                r.pool(),
                store,
                r.clock(),
                config.tokens().codeLifetime(),
                config.device().lifetime(),
                r.opsCounters(),
                InlineProjections.all()),
            r.loginThrottle(),
            r.clientAuthThrottle(),
            config.clients().secretGrace(),
            r.clock());
    return AdminApi.create(
            vertx, admin, config.issuer(), Optional.ofNullable(r.secrets().adminToken()))
        .compose(
            adminApi ->
                HttpEdge.listen(
                    vertx,
                    config.http(),
                    config.database().timeout(),
                    config.logs().accessLogSample(),
                    withExtra(
                        new BrandRoutes(r.look()),
                        new HealthRoutes(r.pool(), config.database().timeout(), r.migrated()::get),
                        new MetricsRoutes(r.registry(), config.metrics()),
                        new ClientAuthFailureCounter(r.registry(), paths),
                        new DiscoveryRoutes(config.issuer(), config.par(), r.keys(), paths),
                        new LedgerRoutes(r.pool(), proofs),
                        new AuthorizeRoutes(oauth, paths),
                        new TokenRoutes(oauth, paths, devices),
                        new PushedAuthorizationRoutes(oauth, paths),
                        new DeviceAuthorizationRoutes(oauth, devices, r.deviceRequests(), paths),
                        new DeviceRoutes(
                            oauth, devices, new UserCodeThrottle(r.pool(), config.device())),
                        new RevocationRoutes(oauth, paths),
                        new IntrospectionRoutes(oauth, paths),
                        new UserinfoRoutes(oauth, paths),
                        new AccountRoutes(oauth, consents),
                        new LogoutRoutes(oauth, paths),
                        adminApi)))
        .onSuccess(listening -> server = listening);
  }

  private List<RouteGroup> withExtra(RouteGroup... groups) {
    List<RouteGroup> all = new ArrayList<>(List.of(groups));
    all.addAll(extra);
    return all;
  }

  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return store == null ? Future.succeededFuture() : store.close();
  }
}
