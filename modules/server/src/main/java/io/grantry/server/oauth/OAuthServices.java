package io.grantry.server.oauth;

import io.grantry.domain.authorize.PushedRequestEvent;
import io.grantry.domain.authorize.PushedRequestEventCodec;
import io.grantry.domain.authorize.PushedRequests;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.consent.ConsentEvent;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantSnapshotCodec;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.TokenLifetimes;
import io.grantry.domain.user.UserState;
import io.grantry.eventstore.EventStore;
import io.grantry.server.app.Aggregate;
import io.grantry.server.app.ProjectionCache;
import io.grantry.server.app.Snapshots;
import io.grantry.server.app.StateCache;
import io.grantry.server.browser.Csrf;
import io.grantry.server.clients.ClientAssertions;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.config.CacheSettings;
import io.grantry.server.config.ParSettings;
import io.grantry.server.config.TokenSettings;
import io.grantry.server.http.TrustedProxies;
import io.grantry.server.keys.KeyService;
import io.grantry.server.ops.SignIns;
import io.grantry.server.sessions.BrowserSessions;
import io.grantry.server.throttle.ClientAuthThrottle;
import io.grantry.server.throttle.LoginThrottle;
import io.grantry.server.tokens.DpopProofs;
import io.grantry.server.tokens.IntrospectionCache;
import io.grantry.server.tokens.TokenIssuer;
import io.grantry.server.tokenstate.AccessTokenMirror;
import io.grantry.server.tokenstate.TokenState;
import io.grantry.server.users.UserDirectory;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * What the OAuth route groups of one HTTP verticle (authorize, token, revocation, introspection,
 * userinfo, account) work with: the directories of clients and users, the grant and consent
 * aggregates on the verticle's event store, the token-state projection, token minting and
 * verification, browser sessions, and the token settings. Built by the composition root; it reads
 * no configuration itself.
 */
public final class OAuthServices {
  public final String issuer;
  public final ClientDirectory clients;

  /** Client authentication with signed JWTs (private_key_jwt, client_secret_jwt). */
  public final ClientAssertions clientAssertions;

  /** DPoP proofs (RFC 9449). */
  public final DpopProofs dpop;

  public final UserDirectory users;
  public final Aggregate<GrantState, GrantEvent> grants;
  public final Aggregate<Consent.State, ConsentEvent> consents;
  public final ProjectionCache<Consent.State> rememberedConsents;

  /** Pushed authorization requests (RFC 9126), one stream each. */
  public final Aggregate<PushedRequests.State, PushedRequestEvent> pushedRequests;

  public final ParSettings par;
  public final TokenState tokenState;
  public final TokenIssuer tokens;
  public final KeyService keys;
  public final IntrospectionCache introspection;

  /** The live access tokens in memory: what introspection reads before the database. */
  public final AccessTokenMirror accessTokenMirror;

  public final Csrf csrf;
  public final BrowserSessions sessions;
  public final LoginThrottle logins;
  public final ClientAuthThrottle clientThrottle;
  public final MeterRegistry registry;
  public final Clock clock;
  private final SignIns signIns;

  /** The server's secret, from which purpose-bound keys are derived (signed values, successors). */
  public final byte[] serverSecret;

  public final Duration codeLifetime;
  public final TokenLifetimes lifetimes;
  public final Duration idTokenLifetime;
  public final Duration refreshGrace;

  /**
   * @param grantStates the server's grant-state cache (null: none)
   * @param grantSnapshots the grant-state snapshots (null: none)
   * @param rememberedConsents the server's cache of remembered consents
   */
  public OAuthServices(
      String issuer,
      TokenSettings settings,
      ParSettings par,
      EventStore store,
      ClientDirectory clients,
      ClientAssertions clientAssertions,
      DpopProofs dpop,
      UserDirectory users,
      StateCache<GrantState> grantStates,
      Snapshots<GrantState> grantSnapshots,
      ProjectionCache<Consent.State> rememberedConsents,
      KeyService keys,
      IntrospectionCache introspection,
      AccessTokenMirror accessTokenMirror,
      Csrf csrf,
      BrowserSessions sessions,
      LoginThrottle logins,
      ClientAuthThrottle clientThrottle,
      MeterRegistry registry,
      byte[] serverSecret,
      Clock clock) {
    this.issuer = issuer;
    this.clients = clients;
    this.clientAssertions = clientAssertions;
    this.dpop = dpop;
    this.users = users;
    this.grants =
        new Aggregate<>(store, GrantEventCodec.INSTANCE, GrantState.initial(), GrantDecider::evolve)
            .withCache(grantStates)
            .withSnapshots(grantSnapshots);
    this.consents = new Aggregate<>(store, Consent.CODEC, Consent.State.NONE, Consent::evolve);
    this.rememberedConsents = rememberedConsents;
    this.pushedRequests =
        new Aggregate<>(
            store,
            PushedRequestEventCodec.INSTANCE,
            PushedRequests.initial(),
            PushedRequests::evolve);
    this.par = par;
    this.tokenState = new TokenState(store.pool());
    this.tokens = new TokenIssuer(issuer, settings.audience(), keys);
    this.keys = keys;
    this.introspection = introspection;
    this.accessTokenMirror = accessTokenMirror;
    this.csrf = csrf;
    this.sessions = sessions;
    this.logins = logins;
    this.clientThrottle = clientThrottle;
    this.registry = registry;
    this.signIns = new SignIns(registry);
    this.serverSecret = serverSecret.clone();
    this.clock = clock;
    this.codeLifetime = settings.codeLifetime();
    this.lifetimes = settings.lifetimes();
    this.idTokenLifetime = settings.idTokenLifetime();
    this.refreshGrace = settings.refreshGrace();
  }

  /**
   * Checks a person's username and password for a sign-in form, slowed down after repeated failures
   * for the account or the address ({@link LoginThrottle}); empty on any failure. Logged and
   * counted by outcome ({@link SignIns}).
   */
  public Future<Optional<UserState.Registered>> signIn(
      RoutingContext ctx, String username, String password) {
    String account = username.trim().toLowerCase(Locale.ROOT);
    String address = TrustedProxies.clientAddress(ctx);
    long delay = logins.delayMillis(account, address);
    Future<Void> wait = delay == 0 ? Future.succeededFuture() : ctx.vertx().timer(delay).mapEmpty();
    return wait.compose(v -> users.authenticate(username, password))
        .onSuccess(
            user -> {
              if (user.isEmpty()) {
                logins.failed(account, address);
                signIns.failed();
              } else {
                logins.succeeded(account);
                signIns.succeeded(user.get().userId());
              }
            })
        .onFailure(signIns::couldNotCheck);
  }

  /**
   * The grant-state cache of one server (null when GRANTRY_GRANT_CACHE_ENTRIES is 0): at most that
   * many grants, each dropped after GRANTRY_GRANT_CACHE_IDLE_SECONDS unused. A grant refreshed less
   * often than that is loaded from its latest snapshot and the events after it.
   */
  public static StateCache<GrantState> grantStateCache(CacheSettings settings) {
    return settings.grantEntries() == 0
        ? null
        : new StateCache<>(settings.grantEntries(), settings.grantIdle(), OAuthServices::weight);
  }

  /**
   * Grant-state snapshots at every GRANTRY_GRANT_SNAPSHOT_EVERY-th event of a grant (null when 0),
   * so that a refresh of a grant not in memory reads at most that many events.
   */
  public static Snapshots<GrantState> grantSnapshots(Pool pool, CacheSettings settings) {
    return settings.grantSnapshotEvery() == 0
        ? null
        : new Snapshots<>(
            pool,
            GrantTokens.STREAM_PREFIX,
            settings.grantSnapshotEvery(),
            GrantSnapshotCodec::encode,
            GrantSnapshotCodec::decode);
  }

  /**
   * A grant state's weight in the cache: one, whatever the grant's age (its state keeps nothing
   * that grows with its history: see {@link GrantState.Active}).
   */
  static int weight(GrantState state) {
    return 1;
  }
}
