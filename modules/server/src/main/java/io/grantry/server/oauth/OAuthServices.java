package io.grantry.server.oauth;

import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.TokenLifetimes;
import io.grantry.domain.user.UserState;
import io.grantry.eventstore.EventStore;
import io.grantry.server.ServerResources;
import io.grantry.server.app.Aggregate;
import io.grantry.server.browser.BrowserCookies;
import io.grantry.server.browser.Csrf;
import io.grantry.server.browser.LoginThrottle;
import io.grantry.server.browser.SessionCookie;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.sessions.BrowserSessions;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.tokens.TokenIssuer;
import io.grantry.server.users.UserDirectory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * What the OAuth endpoints of one HTTP verticle work with: the directories of clients and users,
 * the grant and consent aggregates on the verticle's event store, token minting, the browser
 * session, and the configured lifetimes.
 */
public final class OAuthServices {
  public final ServerResources resources;
  public final ClientDirectory clients;
  public final UserDirectory users;
  public final Aggregate<GrantState, GrantEvent> grants;
  public final Aggregate<Consent.State, ConsentEvent> consents;
  public final TokenIssuer tokens;
  public final Csrf csrf;
  public final BrowserSessions sessions;
  public final Clock clock;
  public final String issuer;
  public final Duration codeLifetime;
  public final TokenLifetimes lifetimes;
  public final Duration idTokenLifetime;

  public OAuthServices(
      Vertx vertx,
      EventStore store,
      ServerResources resources,
      ClientDirectory clients,
      UserDirectory users) {
    this.resources = resources;
    this.clients = clients;
    this.users = users;
    this.grants =
        new Aggregate<>(store, GrantEventCodec.INSTANCE, GrantState.initial(), GrantDecider::evolve)
            .withCache(resources.grantStates())
            .withSnapshots(grantSnapshots(resources.pool(), resources.config().raw()));
    this.consents = new Aggregate<>(store, Consent.CODEC, Consent.State.NONE, Consent::evolve);
    this.issuer = resources.config().issuer();
    this.tokens =
        new TokenIssuer(
            issuer,
            resources.config().raw().getString("GRANTRY_TOKEN_AUDIENCE", issuer),
            resources.keys());
    BrowserCookies cookies = BrowserCookies.forIssuer(issuer);
    this.csrf = new Csrf(resources.secrets().pepper(), cookies);
    this.sessions =
        new BrowserSessions(
            new SessionService(
                store, resources.sessionCache(), resources.sessionLifetimes(), resources.clock()),
            new SessionCookie(
                resources.secrets().pepper(), cookies, resources.sessionLifetimes().idle()),
            csrf,
            resources.clock());
    this.clock = resources.clock();
    var raw = resources.config().raw();
    this.codeLifetime = Duration.ofSeconds(seconds(raw, "GRANTRY_CODE_TTL_SECONDS", 60));
    this.lifetimes =
        new TokenLifetimes(
            Duration.ofSeconds(seconds(raw, "GRANTRY_ACCESS_TOKEN_TTL_SECONDS", 3600)),
            Duration.ofSeconds(seconds(raw, "GRANTRY_REFRESH_TOKEN_TTL_SECONDS", 15 * 24 * 3600)),
            Optional.ofNullable(raw.getString("GRANTRY_GRANT_MAX_SECONDS"))
                .filter(s -> !s.isBlank())
                .map(s -> Duration.ofSeconds(Long.parseLong(s.trim()))));
    this.idTokenLifetime = Duration.ofSeconds(seconds(raw, "GRANTRY_ID_TOKEN_TTL_SECONDS", 3600));
  }

  /**
   * Checks a person's username and password for a sign-in form, slowed down after repeated failures
   * for the account or the address ({@link LoginThrottle}); empty on any failure.
   */
  public Future<Optional<UserState.Registered>> signIn(
      RoutingContext ctx, String username, String password) {
    String account = username.trim().toLowerCase(java.util.Locale.ROOT);
    String address = io.grantry.server.http.TrustedProxies.clientAddress(ctx);
    LoginThrottle throttle = resources.loginThrottle();
    long delay = throttle.delayMillis(account, address);
    Future<Void> wait = delay == 0 ? Future.succeededFuture() : ctx.vertx().timer(delay).mapEmpty();
    return wait.compose(v -> users.authenticate(username, password))
        .onSuccess(
            user -> {
              if (user.isEmpty()) {
                throttle.failed(account, address);
              } else {
                throttle.succeeded(account);
              }
            });
  }

  /**
   * The grant-state cache of one server, from {@code GRANTRY_GRANT_CACHE_ENTRIES} (the most entries
   * its states may hold together: a grant counts one plus its kept access tokens; 0: no cache). A
   * state unused for {@code GRANTRY_GRANT_CACHE_IDLE_SECONDS} (60) is dropped: a grant refreshed
   * less often than that reads its whole stream at every refresh, so a deployment whose clients
   * refresh every few minutes may keep states longer, within the same bound on entries.
   */
  public static io.grantry.server.app.StateCache<GrantState> grantStateCache(
      io.vertx.core.json.JsonObject raw) {
    long max =
        io.grantry.server.config.GrantryConfig.longSetting(
            raw, "GRANTRY_GRANT_CACHE_ENTRIES", 100_000, 0, 10_000_000);
    long idle =
        io.grantry.server.config.GrantryConfig.longSetting(
            raw, "GRANTRY_GRANT_CACHE_IDLE_SECONDS", 60, 1, 86_400);
    return max == 0
        ? null
        : new io.grantry.server.app.StateCache<>(
            max, Duration.ofSeconds(idle), OAuthServices::weight);
  }

  /**
   * Grant-state snapshots at every {@code GRANTRY_GRANT_SNAPSHOT_EVERY}-th event of a grant (16; 0:
   * none), so that a refresh of a grant not in memory reads at most that many rows.
   */
  public static io.grantry.server.app.Snapshots<GrantState> grantSnapshots(
      io.vertx.sqlclient.Pool pool, io.vertx.core.json.JsonObject raw) {
    long every = snapshotEvery(raw);
    return every == 0
        ? null
        : new io.grantry.server.app.Snapshots<>(
            pool,
            io.grantry.domain.grant.GrantTokens.STREAM_PREFIX,
            (int) every,
            io.grantry.domain.grant.GrantSnapshotCodec::encode,
            io.grantry.domain.grant.GrantSnapshotCodec::decode);
  }

  /** {@code GRANTRY_GRANT_SNAPSHOT_EVERY}: 0 (off) or 2 to 100,000; checked at start. */
  public static long snapshotEvery(io.vertx.core.json.JsonObject raw) {
    long every =
        io.grantry.server.config.GrantryConfig.longSetting(
            raw, "GRANTRY_GRANT_SNAPSHOT_EVERY", 16, 0, 100_000);
    if (every == 1) {
      throw new io.grantry.server.config.ConfigException(
          "GRANTRY_GRANT_SNAPSHOT_EVERY must be 0 (off) or at least 2, got 1");
    }
    return every;
  }

  /** What a grant state holds, in entries: what the cache bounds. */
  static int weight(GrantState state) {
    GrantState s = state instanceof GrantState.Revoked r ? r.before() : state;
    return s instanceof GrantState.Active a ? 1 + a.accessTokens().size() : 1;
  }

  private static long seconds(io.vertx.core.json.JsonObject raw, String key, long dflt) {
    return io.grantry.server.config.GrantryConfig.longSetting(
        raw, key, dflt, 1, 5L * 366 * 24 * 3600);
  }
}
