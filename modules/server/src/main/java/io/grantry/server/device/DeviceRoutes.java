package io.grantry.server.device;

import io.grantry.domain.authorize.DeviceVerification;
import io.grantry.domain.authorize.DeviceVerification.Problem;
import io.grantry.domain.authorize.DeviceVerification.Ready;
import io.grantry.domain.authorize.DeviceVerification.Refused;
import io.grantry.domain.client.ClientState;
import io.grantry.domain.consent.Consent;
import io.grantry.domain.grant.GrantCommand;
import io.grantry.domain.grant.GrantDecider;
import io.grantry.domain.grant.GrantState;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.UserCodes;
import io.grantry.domain.user.UserState;
import io.grantry.server.account.AccountRoutes;
import io.grantry.server.app.Aggregate;
import io.grantry.server.devicecodes.DeviceCodes;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.http.TrustedProxies;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.pages.DeviceConsentPage;
import io.grantry.server.pages.DeviceDonePage;
import io.grantry.server.pages.DevicePage;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.ScopeTexts;
import io.grantry.server.pages.Text;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.throttle.UserCodeThrottle;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The device verification page, {@code verification_uri} of RFC 8628 §3.2: a signed-in person types
 * the code their device shows ({@code GET /device}, prefilled from {@code
 * verification_uri_complete} but never looked up on a GET), sees the application and what it asks
 * for, and allows or denies ({@code POST /device}). Without a session the browser signs in through
 * {@code /account/login} and comes back here.
 *
 * <p>Every POST carries the browser's CSRF token (else 403, and nothing changes), counts against
 * the {@link UserCodeThrottle} before the code is looked up, and checks the code again from the
 * ledger ({@link DeviceVerification}): the consent page's answer is not trusted to still be right,
 * only the code it carries. Allowing remembers the consent, as {@code /authorize} does, then
 * appends the answer to the grant.
 */
public final class DeviceRoutes implements RouteGroup {
  public static final String PATH = "/device";

  private static final Text NOT_A_CODE = Text.of("device.notACode");

  private final OAuthServices s;
  private final DeviceCodes devices;
  private final UserCodeThrottle throttle;

  public DeviceRoutes(OAuthServices services, DeviceCodes devices, UserCodeThrottle throttle) {
    this.s = services;
    this.devices = devices;
    this.throttle = throttle;
  }

  @Override
  public void mount(Router router) {
    router.get(PATH).handler(this::entry);
    router
        .post(PATH)
        .handler(BodyHandler.create(false).setBodyLimit(16 * 1024))
        .handler(this::post);
  }

  /** The code entry form, prefilled with {@code user_code} when it is one. */
  private void entry(RoutingContext ctx) {
    Optional<String> code = UserCodes.normalize(ctx.request().getParam("user_code"));
    String here = PATH + code.map(c -> "?user_code=" + UserCodes.display(c)).orElse("");
    withUser(
        ctx,
        here,
        (user, session) ->
            showEntry(ctx, 200, user, code.map(UserCodes::display).orElse(""), null));
  }

  private void post(RoutingContext ctx) {
    MultiMap form = ctx.request().formAttributes();
    if (!s.csrf.valid(ctx, form.get("csrf"))) {
      Pages.csrfRefused(ctx, Text.of("error.csrfDevice"));
      return;
    }
    String decision = form.get("decision");
    if (decision != null && !"allow".equals(decision) && !"deny".equals(decision)) {
      Pages.cannotComplete(ctx, Text.of("error.chooseAllowOrDeny"), "invalid_request");
      return;
    }
    String typed = form.get("user_code");
    withUser(ctx, PATH, (user, session) -> enter(ctx, user, session, typed, decision));
  }

  /**
   * A typed code: counted, looked up and checked; then the consent page (no decision yet) or the
   * answer. Each step ends in the page to render ({@code Runnable}), rendered at the end.
   */
  private void enter(
      RoutingContext ctx,
      UserState.Registered user,
      SessionService.Live session,
      String typed,
      String decision) {
    String address = TrustedProxies.clientAddress(ctx);
    String shown = typed == null ? "" : typed.strip();
    throttle
        .attempt(user.userId(), address, s.clock.instant())
        .compose(
            refusedUntil -> {
              if (refusedUntil.isPresent()) {
                Text error = Text.of("device.tooManyCodes", refusedUntil.get());
                return page(() -> showEntry(ctx, 429, user, "", error));
              }
              Optional<String> code = UserCodes.normalize(typed);
              if (code.isEmpty()) {
                return page(() -> showEntry(ctx, 400, user, shown, NOT_A_CODE));
              }
              return check(code.get())
                  .compose(
                      checked -> {
                        if (checked instanceof Refused r) {
                          return page(() -> showEntry(ctx, 400, user, shown, words(r.problem())));
                        }
                        Ready ready = (Ready) checked;
                        Future<Void> gaveBack = throttle.succeeded(user.userId(), address);
                        return decision == null
                            ? gaveBack.map(v -> () -> showConsent(ctx, user, ready, code.get()))
                            : gaveBack.compose(
                                v -> answer(ctx, user, session, ready, code.get(), decision));
                      });
            })
        .onFailure(ctx::fail)
        .onSuccess(Runnable::run);
  }

  private static Future<Runnable> page(Runnable render) {
    return Future.succeededFuture(render);
  }

  /** The code's grant (if a live claim names one), checked for the page. */
  private Future<DeviceVerification.Checked> check(String code) {
    return devices
        .grantOf(code)
        .compose(
            grantId ->
                grantId.isEmpty()
                    ? Future.succeededFuture(GrantState.initial())
                    : s.grants
                        .load(GrantTokens.streamId(grantId.get()))
                        .map(Aggregate.Loaded::state))
        .compose(
            state -> {
              Optional<String> clientId = GrantDecider.clientIdOf(state);
              return (clientId.isEmpty()
                      ? Future.succeededFuture(Optional.<ClientState.Registered>empty())
                      : s.clients.find(clientId.get()))
                  .map(
                      client ->
                          DeviceVerification.check(
                              state, devices.userCodeHash(code), client, s.clock.instant()));
            });
  }

  /**
   * The person's answer: allowing remembers the consent first (as {@code /authorize} does), then
   * the grant decides once more from the ledger; a code answered meanwhile (another tab) is refused
   * there.
   */
  private Future<Runnable> answer(
      RoutingContext ctx,
      UserState.Registered user,
      SessionService.Live session,
      Ready ready,
      String code,
      String decision) {
    boolean approve = "allow".equals(decision);
    String userId = user.userId();
    String clientId = ready.client().clientId();
    Aggregate.Metadata who = new Aggregate.Metadata("user:" + userId, ctx.get("requestId"), null);
    Future<?> consent =
        approve
            ? s.consents.execute(
                Consent.streamId(userId, clientId),
                state ->
                    Consent.grant(
                        state, userId, clientId, ready.request().scopes(), s.clock.instant()),
                who)
            : Future.succeededFuture();
    GrantCommand.AnswerDeviceAuthorization cmd =
        new GrantCommand.AnswerDeviceAuthorization(
            ready.request().grantId(),
            devices.userCodeHash(code),
            userId,
            session.authTime(),
            Optional.of(session.sessionId()),
            approve);
    return consent
        .compose(
            x ->
                s.grants.execute(
                    GrantTokens.streamId(ready.request().grantId()),
                    state -> GrantDecider.decide(state, cmd, s.clock.instant()),
                    who))
        .map(
            outcome ->
                outcome.accepted()
                    ? () ->
                        Pages.send(
                            ctx,
                            200,
                            "device-done.jte",
                            new DeviceDonePage(approve, ready.client().metadata().name()))
                    : () ->
                        showEntry(
                            ctx, 400, user, UserCodes.display(code), words(Problem.ALREADY_USED)));
  }

  private void showEntry(
      RoutingContext ctx, int status, UserState.Registered user, String code, Text error) {
    Pages.send(
        ctx, status, "device.jte", new DevicePage(user.username(), code, error, s.csrf.token(ctx)));
  }

  private void showConsent(
      RoutingContext ctx, UserState.Registered user, Ready ready, String code) {
    var m = ready.client().metadata();
    Pages.send(
        ctx,
        200,
        "device-consent.jte",
        new DeviceConsentPage(
            m.name(),
            m.logoUri().orElse(null),
            m.clientUri().orElse(null),
            user.username(),
            ScopeTexts.inReadingOrder(ready.request().scopes()),
            UserCodes.display(code),
            s.csrf.token(ctx)));
  }

  /** What the person reads about a code the page cannot take. */
  private static Text words(Problem p) {
    return switch (p) {
      case UNKNOWN_CODE -> Text.of("device.unknownCode");
      case ALREADY_USED -> Text.of("device.usedCode");
      case EXPIRED -> Text.of("device.expiredCode");
      case CLIENT_NOT_ALLOWED -> Text.of("device.clientNotAllowed");
    };
  }

  /**
   * Runs {@code then} with the signed-in, enabled user and their live session; otherwise sends the
   * browser to sign in and come back to {@code here}.
   */
  private void withUser(
      RoutingContext ctx, String here, BiConsumer<UserState.Registered, SessionService.Live> then) {
    s.sessions
        .current(ctx)
        .onFailure(ctx::fail)
        .onSuccess(
            session -> {
              if (session.isEmpty()) {
                signIn(ctx, here);
                return;
              }
              s.users
                  .findById(session.get().userId())
                  .onFailure(ctx::fail)
                  .onSuccess(
                      user -> {
                        if (user.isEmpty() || user.get().disabled()) {
                          signIn(ctx, here);
                        } else {
                          then.accept(user.get(), session.get());
                        }
                      });
            });
  }

  /** To the one sign-in form of the account pages, coming back to {@code here} after. */
  private static void signIn(RoutingContext ctx, String here) {
    ctx.response()
        .setStatusCode(303)
        .putHeader("Location", AccountRoutes.loginFor(here))
        .putHeader("Cache-Control", "no-store")
        .putHeader("Referrer-Policy", "no-referrer")
        .end();
  }
}
