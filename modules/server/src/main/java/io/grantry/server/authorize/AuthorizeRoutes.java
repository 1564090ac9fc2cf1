package io.grantry.server.authorize;

import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The authorization endpoint and the pages a person sees on the way through it (RFC 6749
 * §4.1.1–§4.1.2, RFC 7636, RFC 9207, OIDC Core §3.1.2): {@code /authorize} ({@link
 * AuthorizeEndpoint}), the sign-in form {@code /login} ({@link LoginEndpoint}) and the consent form
 * {@code /consent} ({@link ConsentEndpoint}) with its way out of the flow ({@code /login/cancel},
 * {@link CancelEndpoint}) and of the account ({@code /consent/switch-account}, {@link
 * SwitchAccountEndpoint}), each a step of the flow that {@link
 * io.grantry.domain.authorize.AuthorizationFlow} decides; and the pages' stylesheet.
 */
public final class AuthorizeRoutes implements RouteGroup {
  private static final String CSS = load("/assets/grantry.css");

  private final AuthorizeEndpoint authorize;
  private final LoginEndpoint login;
  private final ConsentEndpoint consent;
  private final CancelEndpoint cancel;
  private final SwitchAccountEndpoint switchAccount;
  private final EndpointPaths paths;

  /** {@code paths}: where /authorize is served besides its own path (the endpoint profiles). */
  public AuthorizeRoutes(OAuthServices services, EndpointPaths paths) {
    this.paths = paths;
    AuthorizationSteps steps = new AuthorizationSteps(services);
    this.authorize = new AuthorizeEndpoint(services, steps);
    this.login = new LoginEndpoint(services, steps);
    this.consent = new ConsentEndpoint(steps);
    this.cancel = new CancelEndpoint(steps);
    this.switchAccount = new SwitchAccountEndpoint(services, steps);
  }

  @Override
  public void mount(Router router) {
    BodyHandler forms = BodyHandler.create(false).setBodyLimit(64 * 1024);
    for (Route r : paths.routes(router, HttpMethod.GET, Endpoint.AUTHORIZE)) {
      r.handler(authorize::handle);
    }
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.AUTHORIZE)) {
      r.handler(forms).handler(authorize::handle);
    }
    router.post("/login").handler(forms).handler(login::handle);
    router.post("/consent").handler(forms).handler(consent::handle);
    router.post("/login/cancel").handler(forms).handler(cancel::handle);
    router.post("/consent/switch-account").handler(forms).handler(switchAccount::handle);
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

  private static String load(String resource) {
    try (InputStream in = AuthorizeRoutes.class.getResourceAsStream(resource)) {
      return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
