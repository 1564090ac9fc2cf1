package io.grantry.server.authorize;

import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.user.UserState;
import io.grantry.server.app.Aggregate;
import io.grantry.server.browser.BrowserSession;
import io.grantry.server.browser.SignedValues;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.ConsentPage;
import io.grantry.server.pages.LoginPage;
import io.grantry.server.pages.Pages;
import io.grantry.server.tokens.TokenIssuer;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The authorization endpoint and the pages a person sees on the way through it: sign-in and consent
 * (RFC 6749 §4.1.1–§4.1.2, RFC 7636, RFC 9207, OIDC Core §3.1.2).
 *
 * <p>The flow is a small state machine driven by the request and the browser: no valid session (or
 * prompt=login, or max_age exceeded) → sign-in page; no remembered consent covering the scopes (or
 * prompt=consent) → consent page; otherwise → a code. The pending request travels signed in the
 * forms, so any server instance can take the next step.
 */
public final class AuthorizeRoutes implements RouteGroup {
  private static final Duration PENDING_LIFETIME = Duration.ofMinutes(15);
  private static final String CSS = load("/assets/grantry.css");

  private final OAuthServices s;
  private final SignedValues pending;

  public AuthorizeRoutes(OAuthServices services) {
    this.s = services;
    this.pending = new SignedValues(services.resources.secrets().pepper(), "authorization-request");
  }

  @Override
  public void mount(Router router) {
    BodyHandler forms = BodyHandler.create(false).setBodyLimit(64 * 1024);
    router.get("/authorize").handler(this::authorize);
    router.post("/authorize").handler(forms).handler(this::authorize);
    router.post("/login").handler(forms).handler(this::login);
    router.post("/consent").handler(forms).handler(this::consent);
    router
        .get("/assets/grantry.css")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/css; charset=utf-8")
                    .putHeader("Cache-Control", "public, max-age=3600")
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .end(CSS));
  }

  // ---------------------------------------------------------------- /authorize

  private void authorize(RoutingContext ctx) {
    MultiMap params =
        ctx.request().method() == HttpMethod.POST
            ? ctx.request().formAttributes()
            : ctx.queryParams();
    Optional<String> clientId = AuthorizationRequestParser.clientId(params);
    Future<Optional<ClientState.Registered>> client =
        clientId.isPresent()
            ? s.clients.find(clientId.get())
            : Future.succeededFuture(Optional.empty());
    client
        .onFailure(ctx::fail)
        .onSuccess(
            found -> {
              AuthorizationRequestParser.Result result =
                  AuthorizationRequestParser.parse(params, found);
              if (result instanceof AuthorizationRequestParser.ShowError e) {
                Pages.error(ctx, 400, "This request cannot be completed", e.message(), e.code());
              } else if (result instanceof AuthorizationRequestParser.RedirectError e) {
                OAuthResponses.redirectError(ctx, e.redirectUri(), e.error(), e.state(), s.issuer);
              } else if (result instanceof AuthorizationRequestParser.Valid v) {
                proceed(ctx, v.request(), v.client());
              }
            });
  }

  /** The next step for a valid request: sign in, consent, or the code. */
  private void proceed(
      RoutingContext ctx, AuthorizationRequest req, ClientState.Registered client) {
    Instant now = s.clock.instant();
    Optional<BrowserSession.Session> session = s.browser.current(ctx, now);
    boolean tooOld =
        session.isPresent()
            && req.maxAge() >= 0
            && session.get().authTime().plusSeconds(req.maxAge()).isBefore(now);
    if (session.isEmpty() || req.prompts("login") || tooOld) {
      if (req.prompts("none")) {
        OAuthResponses.redirectError(
            ctx,
            req.redirectUri(),
            OAuthError.loginRequired("the user is not signed in"),
            req.state(),
            s.issuer);
        return;
      }
      showLogin(ctx, req, client, req.loginHint(), null, 200);
      return;
    }
    s.users
        .findById(session.get().userId())
        .onFailure(ctx::fail)
        .onSuccess(
            user -> {
              if (user.isEmpty() || user.get().disabled()) {
                s.browser.signOut(ctx);
                if (req.prompts("none")) {
                  OAuthResponses.redirectError(
                      ctx,
                      req.redirectUri(),
                      OAuthError.loginRequired("the user is not signed in"),
                      req.state(),
                      s.issuer);
                } else {
                  showLogin(ctx, req, client, null, null, 200);
                }
                return;
              }
              afterLogin(ctx, req, client, user.get(), session.get().authTime());
            });
  }

  private void afterLogin(
      RoutingContext ctx,
      AuthorizationRequest req,
      ClientState.Registered client,
      UserState.Registered user,
      Instant authTime) {
    if (client.metadata().skipConsent() && !req.prompts("consent")) {
      issueCode(ctx, req, client, user, authTime);
      return;
    }
    // The remembered consent from the server's cache when it holds it (dropped when this process
    // commits a change of the consent; another instance's change is seen within
    // GRANTRY_USER_CACHE_MS).
    s.resources
        .consentCache()
        .get(
            Consent.streamId(user.userId(), client.clientId()),
            stream -> s.consents.load(stream).map(Aggregate.Loaded::state))
        .onFailure(ctx::fail)
        .onSuccess(
            c -> {
              boolean remembered = c.covers(req.scopes());
              if (remembered && !req.prompts("consent")) {
                issueCode(ctx, req, client, user, authTime);
              } else if (req.prompts("none")) {
                OAuthResponses.redirectError(
                    ctx,
                    req.redirectUri(),
                    OAuthError.consentRequired("the user has not allowed these scopes"),
                    req.state(),
                    s.issuer);
              } else {
                showConsent(ctx, req, client, user);
              }
            });
  }

  // ---------------------------------------------------------------- sign-in

  private void login(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    if (!s.browser.csrfValid(ctx, form.get("csrf"))) {
      Pages.error(
          ctx,
          403,
          "Request refused",
          "This form was not sent from this browser's sign-in page. "
              + "Go back to the application and start again.",
          "csrf");
      return;
    }
    withPending(
        ctx,
        form,
        (req, client) -> {
          String username = form.get("username");
          String password = form.get("password");
          if (username == null || username.isBlank() || password == null || password.isEmpty()) {
            showLogin(ctx, req, client, username, "Enter your username and password.", 400);
            return;
          }
          s.signIn(ctx, username, password)
              .onFailure(ctx::fail)
              .onSuccess(
                  user -> {
                    if (user.isEmpty()) {
                      // The same words for an unknown user and a wrong password.
                      showLogin(ctx, req, client, username, "Wrong username or password.", 401);
                      return;
                    }
                    Instant now = s.clock.instant();
                    s.browser.signIn(
                        ctx,
                        new BrowserSession.Session(user.get().userId(), user.get().username(), now),
                        now);
                    afterLogin(ctx, req.withoutPrompt("login"), client, user.get(), now);
                  });
        });
  }

  // ---------------------------------------------------------------- consent

  private void consent(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    if (!s.browser.csrfValid(ctx, form.get("csrf"))) {
      Pages.error(
          ctx,
          403,
          "Request refused",
          "This form was not sent from this browser's consent page. "
              + "Go back to the application and start again.",
          "csrf");
      return;
    }
    withPending(
        ctx,
        form,
        (req, client) -> {
          Instant now = s.clock.instant();
          Optional<BrowserSession.Session> session = s.browser.current(ctx, now);
          if (session.isEmpty()) {
            showLogin(ctx, req, client, null, "Your session ended. Sign in again.", 200);
            return;
          }
          if ("deny".equals(form.get("decision"))) {
            OAuthResponses.redirectError(
                ctx,
                req.redirectUri(),
                OAuthError.accessDenied("the user denied access"),
                req.state(),
                s.issuer);
            return;
          }
          if (!"allow".equals(form.get("decision"))) {
            Pages.error(
                ctx,
                400,
                "This request cannot be completed",
                "Choose Allow or Deny.",
                "invalid_request");
            return;
          }
          s.users
              .findById(session.get().userId())
              .onFailure(ctx::fail)
              .onSuccess(
                  user -> {
                    if (user.isEmpty() || user.get().disabled()) {
                      s.browser.signOut(ctx);
                      showLogin(ctx, req, client, null, null, 200);
                      return;
                    }
                    String userId = user.get().userId();
                    s.consents
                        .execute(
                            Consent.streamId(userId, client.clientId()),
                            state ->
                                Consent.grant(state, userId, client.clientId(), req.scopes(), now),
                            new Aggregate.Metadata("user:" + userId, requestId(ctx), null))
                        .onFailure(ctx::fail)
                        .onSuccess(
                            o ->
                                issueCode(
                                    ctx,
                                    req.withoutPrompt("consent"),
                                    client,
                                    user.get(),
                                    session.get().authTime()));
                  });
        });
  }

  // ---------------------------------------------------------------- the code

  private void issueCode(
      RoutingContext ctx,
      AuthorizationRequest req,
      ClientState.Registered client,
      UserState.Registered user,
      Instant authTime) {
    String grantId = TokenIssuer.grantId(s.clock.millis());
    String secret = TokenIssuer.secret();
    String code = GrantTokens.token(grantId, secret);
    GrantCommand.IssueCode cmd =
        new GrantCommand.IssueCode(
            grantId,
            client.clientId(),
            client.metadata().type(),
            user.userId(),
            req.redirectUri(),
            req.redirectUriGiven(),
            req.scopes(),
            GrantTokens.hash(secret),
            Optional.ofNullable(req.codeChallenge()),
            Optional.ofNullable(req.nonce()),
            authTime,
            req.maxAge() >= 0 ? Optional.of(Duration.ofSeconds(req.maxAge())) : Optional.empty(),
            s.codeLifetime);
    Instant now = s.clock.instant();
    // Remembered in the grant-state cache: the code's redemption then decides without reading the
    // stream (its append still expects version 1, so a redemption elsewhere is not missed).
    s.grants
        .create(
            GrantTokens.streamId(grantId),
            state -> GrantDecider.decide(state, cmd, now),
            new Aggregate.Metadata("user:" + user.userId(), requestId(ctx), null),
            true)
        .onFailure(ctx::fail)
        .onSuccess(
            outcome -> {
              if (!outcome.accepted()) {
                OAuthError err =
                    outcome.error() instanceof DomainError.OAuth o
                        ? o.error()
                        : OAuthError.invalidRequest(outcome.error().message());
                OAuthResponses.redirectError(ctx, req.redirectUri(), err, req.state(), s.issuer);
                return;
              }
              OAuthResponses.redirectCode(ctx, req.redirectUri(), code, req.state(), s.issuer);
            });
  }

  // ---------------------------------------------------------------- pages

  private void showLogin(
      RoutingContext ctx,
      AuthorizationRequest req,
      ClientState.Registered client,
      String username,
      String error,
      int status) {
    Pages.send(
        ctx,
        status,
        "login.jte",
        new LoginPage(
            client.metadata().name(),
            client.metadata().logoUri().orElse(null),
            username == null ? "" : username,
            error,
            s.browser.csrfToken(ctx),
            seal(req)));
  }

  private void showConsent(
      RoutingContext ctx,
      AuthorizationRequest req,
      ClientState.Registered client,
      UserState.Registered user) {
    List<ConsentPage.ScopeText> scopes = new ArrayList<>();
    for (String scope : consentOrder(req.scopes())) {
      scopes.add(describe(scope));
    }
    Pages.send(
        ctx,
        200,
        "consent.jte",
        new ConsentPage(
            client.metadata().name(),
            client.metadata().logoUri().orElse(null),
            client.metadata().clientUri().orElse(null),
            user.username(),
            scopes,
            s.browser.csrfToken(ctx),
            seal(req)));
  }

  /** The order a person reads scopes in: sign-in first, staying connected last, others after. */
  private static final List<String> READING_ORDER =
      List.of(Scopes.OPENID, Scopes.PROFILE, Scopes.EMAIL, Scopes.OFFLINE_ACCESS);

  static List<String> consentOrder(Scopes scopes) {
    List<String> out = new ArrayList<>();
    for (String known : READING_ORDER) {
      if (scopes.contains(known)) {
        out.add(known);
      }
    }
    for (String scope : scopes) {
      if (!READING_ORDER.contains(scope)) {
        out.add(scope);
      }
    }
    return out;
  }

  /** A scope in plain words, as the consent and account pages show it. */
  public static ConsentPage.ScopeText describe(String scope) {
    return switch (scope) {
      case Scopes.OPENID ->
          new ConsentPage.ScopeText(
              "Sign you in", "Know who you are on this server (your user id).");
      case Scopes.PROFILE ->
          new ConsentPage.ScopeText("See your profile", "Your name and username.");
      case Scopes.EMAIL ->
          new ConsentPage.ScopeText("See your email address", "The email address of your account.");
      case Scopes.OFFLINE_ACCESS ->
          new ConsentPage.ScopeText(
              "Stay connected", "Keep access while you are away, until you revoke it.");
      default ->
          new ConsentPage.ScopeText(
              "Use “" + scope + "”", "Access granted under the scope " + scope + ".");
    };
  }

  private String seal(AuthorizationRequest req) {
    return pending.sign(req.toJson(), s.clock.instant().plus(PENDING_LIFETIME));
  }

  private interface PendingStep {
    void run(AuthorizationRequest req, ClientState.Registered client);
  }

  /**
   * Opens the signed pending request of a form and re-checks its client, then runs {@code step}.
   */
  private void withPending(RoutingContext ctx, MultiMap form, PendingStep step) {
    Optional<JsonObject> sealed = pending.verify(form.get("request"), s.clock.instant());
    if (sealed.isEmpty()) {
      Pages.error(
          ctx,
          400,
          "This sign-in has expired",
          "It took too long, or the page was changed. Go back to the application and start again.",
          "invalid_request");
      return;
    }
    AuthorizationRequest req = AuthorizationRequest.fromJson(sealed.get());
    s.clients
        .find(req.clientId())
        .onFailure(ctx::fail)
        .onSuccess(
            client -> {
              if (client.isEmpty() || client.get().disabled()) {
                Pages.error(
                    ctx,
                    400,
                    "This request cannot be completed",
                    "The application that sent you here is no longer available.",
                    "invalid_client");
                return;
              }
              step.run(req, client.get());
            });
  }

  static String requestId(RoutingContext ctx) {
    String id = ctx.get("requestId");
    return id;
  }

  private static String load(String resource) {
    try (InputStream in = AuthorizeRoutes.class.getResourceAsStream(resource)) {
      return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
