package io.grantry.server.authorize;

import io.grantry.domain.DomainError;
import io.grantry.domain.authorize.AuthorizationFlow;
import io.grantry.domain.authorize.AuthorizationFlow.Fail;
import io.grantry.domain.authorize.AuthorizationFlow.IssueCode;
import io.grantry.domain.authorize.AuthorizationFlow.Next;
import io.grantry.domain.authorize.AuthorizationFlow.ShowConsent;
import io.grantry.domain.authorize.AuthorizationFlow.ShowLogin;
import io.grantry.domain.authorize.AuthorizationFlow.SignedInUser;
import io.grantry.domain.authorize.AuthorizationFlow.Situation;
import io.grantry.domain.authorize.AuthorizationFlow.Step;
import io.grantry.domain.authorize.AuthorizationRequest;
import io.grantry.domain.authorize.AuthorizationRequestChecks;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Channel;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Checked;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Refused;
import io.grantry.domain.authorize.AuthorizationRequestChecks.Valid;
import io.grantry.domain.authorize.Parameters;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.server.app.Aggregate;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RequestLog;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.ConsentPage;
import io.grantry.server.pages.LoginPage;
import io.grantry.server.pages.Messages;
import io.grantry.server.pages.PageLanguage;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.ScopeTexts;
import io.grantry.server.pages.Text;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * What every step of the authorization flow does, whichever request it is (GET or POST /authorize,
 * the sign-in form, the consent form): check the request against the client's current registration
 * ({@link AuthorizationRequestChecks}), gather the situation (the session, its user, the remembered
 * consent), ask {@link AuthorizationFlow#next} what comes next, and render exactly that. Whether an
 * error is shown or redirected is decided here only, from the error's own {@link
 * OAuthError#redirectable()}.
 */
final class AuthorizationSteps {
  /** The longest life of a FAPI 2.0 client's authorization code (FAPI 2.0 §5.3.2.1). */
  static final Duration FAPI_CODE_LIFETIME = Duration.ofSeconds(60);

  private final OAuthServices s;
  private final PendingRequests pending;

  AuthorizationSteps(OAuthServices services) {
    this.s = services;
    this.pending = new PendingRequests(services.serverSecret, services.clock);
  }

  /**
   * {@code params} checked against the registration its client has now; {@code pushed} when they
   * came from a pushed request (RFC 9126).
   */
  Future<Checked> check(Parameters params, boolean pushed) {
    Optional<String> clientId = AuthorizationRequestChecks.clientId(params);
    Future<Optional<ClientState.Registered>> client =
        clientId.isPresent()
            ? s.clients.find(clientId.get())
            : Future.succeededFuture(Optional.empty());
    return client.map(
        found ->
            AuthorizationRequestChecks.check(
                params, found, pushed ? Channel.PUSHED : Channel.FRONT, s.par.required()));
  }

  /**
   * Runs the flow for a request that passed its checks, at {@code step}, with the browser's live
   * session (if any) and the session that signed in earlier in this flow (from the pending
   * request).
   */
  void proceed(
      RoutingContext ctx,
      Parameters params,
      Valid valid,
      Step step,
      Optional<String> freshSession,
      Optional<SessionService.Live> session) {
    signedIn(session)
        .compose(
            who ->
                remembered(who, valid.client())
                    .map(
                        consent ->
                            AuthorizationFlow.next(
                                new Situation(
                                    valid.request(),
                                    valid.client(),
                                    who,
                                    consent,
                                    freshSession,
                                    step,
                                    s.clock.instant()))))
        .onFailure(ctx::fail)
        .onSuccess(next -> render(ctx, params, valid, next));
  }

  /** {@link #proceed} with the live session this request's cookie holds, if any. */
  void proceedInBrowserSession(
      RoutingContext ctx,
      Parameters params,
      Valid valid,
      Step step,
      Optional<String> freshSession) {
    s.sessions
        .current(ctx)
        .onFailure(ctx::fail)
        .onSuccess(session -> proceed(ctx, params, valid, step, freshSession, session));
  }

  /**
   * The pending request a form carries, when it is ours and not too old; its {@code ui_locales}
   * (OIDC Core §3.1.2.1) then chooses the language of the pages this request shows, as it did at
   * the first step.
   */
  Optional<PendingRequests.Pending> open(RoutingContext ctx, String value) {
    Optional<PendingRequests.Pending> opened = pending.open(value);
    opened.ifPresent(p -> PageLanguage.prefer(ctx, p.params().first("ui_locales")));
    return opened;
  }

  /** What a form of the flow goes on with once its request is checked again and valid. */
  interface FormStep {
    void proceed(PendingRequests.Pending pending, Valid valid);
  }

  /**
   * {@link #posted(RoutingContext, Text, BooleanSupplier, Predicate, FormStep)} for any pending
   * request.
   */
  void posted(RoutingContext ctx, Text csrfRefusal, FormStep then) {
    posted(ctx, csrfRefusal, () -> true, p -> true, then);
  }

  /**
   * The start every form posted to a step of the flow shares (sign-in, consent, cancel, switch
   * account): its pending request opened ({@link #open}, so that even a refusal speaks the
   * request's language), the browser's CSRF token checked (refused: a page saying {@code
   * csrfRefusal}), the step's own fields looked at ({@code fields}: false when it has answered), a
   * pending request that is not ours, too old or not {@code usable} shown as expired, the client
   * named for the request log, and the request checked again against the client's current
   * registration: refused, it is answered ({@link #refuse}); valid, it goes on to {@code then}.
   */
  void posted(
      RoutingContext ctx,
      Text csrfRefusal,
      BooleanSupplier fields,
      Predicate<PendingRequests.Pending> usable,
      FormStep then) {
    MultiMap form = ctx.request().formAttributes();
    Optional<PendingRequests.Pending> opened = open(ctx, form.get("request"));
    if (!s.csrf.valid(ctx, form.get("csrf"))) {
      Pages.csrfRefused(ctx, csrfRefusal);
      return;
    }
    if (!fields.getAsBoolean()) {
      return;
    }
    if (opened.isEmpty() || !usable.test(opened.get())) {
      expired(ctx);
      return;
    }
    PendingRequests.Pending p = opened.get();
    RequestLog.nameClient(ctx, p.params().first("client_id"));
    check(p.params(), p.pushed())
        .onFailure(ctx::fail)
        .onSuccess(
            checked -> {
              if (checked instanceof Refused refused) {
                refuse(ctx, refused);
              } else {
                then.proceed(p, (Valid) checked);
              }
            });
  }

  /** The pending request of a form is not ours, or older than its lifetime. */
  static void expired(RoutingContext ctx) {
    Pages.error(
        ctx,
        400,
        Text.of("error.signInExpiredTitle"),
        Text.of("error.signInExpired"),
        "invalid_request");
  }

  private Future<Optional<SignedInUser>> signedIn(Optional<SessionService.Live> session) {
    if (session.isEmpty()) {
      return Future.succeededFuture(Optional.empty());
    }
    SessionService.Live live = session.get();
    return s.users
        .findById(live.userId())
        .map(user -> user.map(u -> new SignedInUser(live.sessionId(), live.authTime(), u)));
  }

  /**
   * The user's remembered consent for the client, from the server's cache when it holds it (dropped
   * when this process commits a change of the consent; another instance's change is seen within
   * GRANTRY_USER_CACHE_MS).
   */
  private Future<Consent.State> remembered(
      Optional<SignedInUser> who, ClientState.Registered client) {
    if (who.isEmpty()) {
      return Future.succeededFuture(Consent.State.NONE);
    }
    return s.rememberedConsents.get(
        Consent.streamId(who.get().user().userId(), client.clientId()),
        stream -> s.consents.load(stream).map(Aggregate.Loaded::state));
  }

  void render(RoutingContext ctx, Parameters params, Valid valid, Next next) {
    AuthorizationRequest req = valid.request();
    if (next instanceof ShowLogin) {
      showLogin(ctx, params, valid, req.loginHint().orElse(""), null, 200);
    } else if (next instanceof ShowConsent c) {
      showConsent(ctx, params, valid, c);
    } else if (next instanceof IssueCode c) {
      issueCode(ctx, valid, c);
    } else if (next instanceof Fail f) {
      fail(ctx, req, f.error());
    }
  }

  /** A refused request: redirected when its error may be (to a URI registered now), else shown. */
  void refuse(RoutingContext ctx, Refused refused) {
    if (refused.error().redirectable()) {
      OAuthResponses.authorizationError(
          ctx,
          refused.responseMode(),
          refused.redirectUri().orElseThrow(),
          refused.error(),
          refused.state().orElse(null),
          s.issuer);
    } else {
      errorPage(ctx, refused.error());
    }
  }

  private void fail(RoutingContext ctx, AuthorizationRequest req, OAuthError error) {
    if (error.redirectable()) {
      OAuthResponses.authorizationError(
          ctx, req.responseMode(), req.redirectUri(), error, req.state().orElse(null), s.issuer);
    } else {
      errorPage(ctx, error);
    }
  }

  /**
   * The person cancelled on the sign-in or consent page: back to the client exactly as a denial
   * goes (access_denied with the state and iss, to the redirect URI the request was checked
   * against, in its response mode).
   */
  void cancel(RoutingContext ctx, Valid valid) {
    fail(ctx, valid.request(), OAuthError.accessDenied("the user cancelled"));
  }

  /** {@code error} shown on a page, never redirected. */
  void showError(RoutingContext ctx, OAuthError error) {
    errorPage(ctx, error);
  }

  private static void errorPage(RoutingContext ctx, OAuthError error) {
    Pages.error(
        ctx,
        error.code().httpStatus() >= 500 ? error.code().httpStatus() : 400,
        Text.of("error.cannotComplete"),
        Messages.described(error.description()),
        error.code().wire());
  }

  void showLogin(
      RoutingContext ctx, Parameters params, Valid valid, String username, Text error, int status) {
    ClientState.Registered client = valid.client();
    Pages.send(
        ctx,
        status,
        "login.jte",
        new LoginPage(
            client.metadata().name(),
            client.metadata().logoUri().orElse(null),
            username == null ? "" : username,
            error,
            s.csrf.token(ctx),
            pending.seal(params, Optional.empty(), valid.request().pushed())));
  }

  private void showConsent(RoutingContext ctx, Parameters params, Valid valid, ShowConsent c) {
    ClientState.Registered client = valid.client();
    Pages.send(
        ctx,
        200,
        "consent.jte",
        new ConsentPage(
            client.metadata().name(),
            client.metadata().logoUri().orElse(null),
            client.metadata().clientUri().orElse(null),
            c.who().user().username(),
            ScopeTexts.inReadingOrder(valid.request().scopes()),
            s.csrf.token(ctx),
            pending.seal(
                params,
                c.freshSession(),
                valid.request().pushed(),
                Optional.of(c.who().sessionId()))));
  }

  private void issueCode(RoutingContext ctx, Valid valid, IssueCode c) {
    AuthorizationRequest req = valid.request();
    String userId = c.who().user().userId();
    String clientId = valid.client().clientId();
    Aggregate.Metadata who = new Aggregate.Metadata("user:" + userId, requestId(ctx), null);
    Future<?> consent =
        c.rememberConsent()
            ? s.consents.execute(
                Consent.streamId(userId, clientId),
                state -> Consent.grant(state, userId, clientId, req.scopes(), s.clock.instant()),
                who)
            : Future.succeededFuture();
    String grantId = TokenIssuer.grantId(s.clock.millis());
    String secret = TokenIssuer.secret();
    GrantCommand.IssueCode cmd =
        new GrantCommand.IssueCode(
            grantId,
            clientId,
            valid.client().metadata().type(),
            userId,
            req.redirectUri(),
            req.redirectUriGiven(),
            req.scopes(),
            GrantTokens.hash(secret),
            req.codeChallenge(),
            req.nonce(),
            c.who().authTime(),
            req.maxAge().isPresent()
                ? Optional.of(Duration.ofSeconds(req.maxAge().getAsLong()))
                : Optional.empty(),
            // FAPI 2.0 §5.3.2.1: a FAPI client's code lives 60 s at most.
            valid.client().metadata().security().fapi2()
                    && s.codeLifetime.compareTo(FAPI_CODE_LIFETIME) > 0
                ? FAPI_CODE_LIFETIME
                : s.codeLifetime,
            Optional.of(c.who().sessionId()),
            req.dpopJkt());
    // Remembered in the grant-state cache: the code's redemption then decides without reading the
    // stream (its append still expects version 1, so a redemption elsewhere is not missed).
    consent
        .compose(
            x -> {
              Instant now = s.clock.instant();
              return s.grants.create(
                  GrantTokens.streamId(grantId),
                  state -> GrantDecider.decide(state, cmd, now),
                  who,
                  true);
            })
        .onFailure(ctx::fail)
        .onSuccess(
            outcome -> {
              if (!outcome.accepted()) {
                OAuthError err =
                    outcome.error() instanceof DomainError.OAuth o
                        ? o.error()
                        : OAuthError.serverError("the code could not be issued");
                fail(ctx, req, err);
                return;
              }
              OAuthResponses.authorizationCode(
                  ctx,
                  req.responseMode(),
                  req.redirectUri(),
                  GrantTokens.token(grantId, secret),
                  req.state().orElse(null),
                  s.issuer);
            });
  }

  static String requestId(RoutingContext ctx) {
    return ctx.get("requestId");
  }
}
