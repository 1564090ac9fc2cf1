package io.grantry.server.logout;

import io.grantry.domain.authorize.Parameters;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.logout.LogoutFlow;
import io.grantry.domain.logout.LogoutFlow.After;
import io.grantry.domain.logout.LogoutFlow.AskToConfirm;
import io.grantry.domain.logout.LogoutFlow.Done;
import io.grantry.domain.logout.LogoutFlow.EndSession;
import io.grantry.domain.logout.LogoutFlow.Hint;
import io.grantry.domain.logout.LogoutFlow.Next;
import io.grantry.domain.logout.LogoutFlow.RedirectTo;
import io.grantry.domain.logout.LogoutFlow.ShowError;
import io.grantry.domain.logout.LogoutFlow.Situation;
import io.grantry.server.browser.SignedParameters;
import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.OAuthResponses;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.LogoutPage;
import io.grantry.server.pages.Messages;
import io.grantry.server.pages.PageLanguage;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.SignedOutPage;
import io.grantry.server.pages.Text;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0), {@code GET} and {@code POST
 * /logout} and, with the endpoint profiles, {@code /connect/endsession} and {@code /v1/logout} (the
 * confirmation form posts to /logout): checks the request, then does what {@link LogoutFlow}
 * decides: ends the browser's session on the server (so a following {@code prompt=none} is {@code
 * login_required}, on every instance), asks the person to confirm on a page whose form carries the
 * browser's CSRF token, and goes to a registered {@code post_logout_redirect_uri} with {@code
 * state}, or shows that the person is signed out. {@code ui_locales} is accepted (the pages are in
 * English).
 */
public final class LogoutRoutes implements RouteGroup {
  private static final Duration PENDING = Duration.ofMinutes(15);

  private final OAuthServices s;
  private final SignedParameters pending;
  private final EndpointPaths paths;

  /** {@code paths}: where the endpoint is served besides /logout (the endpoint profiles). */
  public LogoutRoutes(OAuthServices services, EndpointPaths paths) {
    this.paths = paths;
    this.s = services;
    this.pending =
        new SignedParameters(services.serverSecret, "logout-request/v1", PENDING, services.clock);
  }

  @Override
  public void mount(Router router) {
    BodyHandler forms = BodyHandler.create(false).setBodyLimit(64 * 1024);
    for (Route r : paths.routes(router, HttpMethod.GET, Endpoint.END_SESSION)) {
      r.handler(this::logout);
    }
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.END_SESSION)) {
      r.handler(forms).handler(this::logout);
    }
  }

  private void logout(RoutingContext ctx) {
    boolean post = ctx.request().method() == HttpMethod.POST;
    MultiMap sent = post ? ctx.request().formAttributes() : ctx.queryParams();
    boolean confirmed = post && "yes".equals(sent.get("confirm"));
    Parameters params;
    if (confirmed) {
      if (!s.csrf.valid(ctx, sent.get("csrf"))) {
        Pages.csrfRefused(ctx, Text.of("error.csrfLogout"));
        return;
      }
      Optional<Parameters> opened =
          pending.open(sent.get("request")).map(SignedParameters.Opened::params);
      if (opened.isEmpty()) {
        Pages.error(
            ctx,
            400,
            Text.of("error.signOutExpiredTitle"),
            Text.of("error.signOutExpired"),
            "invalid_request");
        return;
      }
      params = opened.get();
    } else {
      params = SignedParameters.of(sent);
    }
    // RP-Initiated Logout 1.0 §2: the language of the sign-out pages.
    PageLanguage.prefer(ctx, params.first("ui_locales"));
    for (String name : List.of("id_token_hint", "client_id", "post_logout_redirect_uri", "state")) {
      if (params.all(name).size() > 1) {
        Pages.cannotComplete(ctx, Text.of("error.repeated", name), "invalid_request");
        return;
      }
    }
    LogoutFlow.Request request =
        new LogoutFlow.Request(
            hint(params.first("id_token_hint")),
            Optional.ofNullable(params.first("client_id")).filter(c -> c.length() <= 256),
            Optional.ofNullable(params.first("post_logout_redirect_uri")),
            Optional.ofNullable(params.first("state")));
    Future<Optional<ClientState.Registered>> client =
        request.identifiedClient().isPresent()
            ? s.clients.find(request.identifiedClient().get())
            : Future.succeededFuture(Optional.empty());
    client
        .compose(
            found ->
                s.sessions
                    .current(ctx)
                    .map(
                        session ->
                            new Situation(
                                request,
                                found,
                                session.map(l -> new LogoutFlow.Session(l.userId(), l.sessionId())),
                                confirmed)))
        .onFailure(ctx::fail)
        .onSuccess(situation -> render(ctx, params, situation, LogoutFlow.next(situation)));
  }

  private void render(RoutingContext ctx, Parameters params, Situation situation, Next next) {
    if (next instanceof ShowError e) {
      Pages.cannotComplete(ctx, Messages.described(e.message()), "invalid_request");
    } else if (next instanceof Done d) {
      after(ctx, d.then());
    } else if (next instanceof AskToConfirm) {
      confirm(ctx, params, situation);
    } else if (next instanceof EndSession e) {
      // The session decided on is this request's cookie's, which signOut ends.
      s.sessions.signOut(ctx).onFailure(ctx::fail).onSuccess(v -> after(ctx, e.then()));
    }
  }

  private void confirm(RoutingContext ctx, Parameters params, Situation situation) {
    String user = situation.session().orElseThrow().userId();
    s.users
        .findById(user)
        .onFailure(ctx::fail)
        .onSuccess(
            found ->
                Pages.send(
                    ctx,
                    200,
                    "logout.jte",
                    new LogoutPage(
                        situation.client().map(c -> c.metadata().name()).orElse(null),
                        found.map(u -> u.username()).orElse(user),
                        s.csrf.token(ctx),
                        pending.seal(params, new JsonObject()))));
  }

  private static void after(RoutingContext ctx, After then) {
    if (then instanceof RedirectTo r) {
      Map<String, String> query = new LinkedHashMap<>();
      r.state().ifPresent(st -> query.put("state", st));
      OAuthResponses.redirect(ctx, r.uri(), query);
    } else {
      Pages.send(ctx, 200, "signed-out.jte", new SignedOutPage());
    }
  }

  /**
   * The hint's claims when it is an ID token we signed (expired or not) and we issued; empty for
   * anything else, which then identifies no client and names no user.
   */
  private Optional<Hint> hint(String token) {
    if (token == null || token.length() > 8192) {
      return Optional.empty();
    }
    JsonObject claims;
    try {
      claims = s.keys.verifier().verify(token, JwsSigner.TYP_JWT).payload();
    } catch (InvalidJwsException | RuntimeException e) {
      return Optional.empty();
    }
    if (!s.issuer.equals(claims.getValue("iss"))
        || !(claims.getValue("sub") instanceof String sub)) {
      return Optional.empty();
    }
    List<String> audience = new ArrayList<>();
    Object aud = claims.getValue("aud");
    if (aud instanceof String one) {
      audience.add(one);
    } else if (aud instanceof JsonArray many) {
      many.forEach(a -> audience.add(String.valueOf(a)));
    }
    return Optional.of(
        new Hint(
            sub,
            audience,
            claims.getValue("sid") instanceof String sid ? Optional.of(sid) : Optional.empty()));
  }
}
