package io.grantry.server.dev;

import io.grantry.server.http.RouteGroup;
import io.grantry.server.pages.DevCallbackPage;
import io.grantry.server.pages.Pages;
import io.grantry.server.pages.Text;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * {@code GET /dev/callback}: in development mode only (mounted when the server seeded its demo
 * data, i.e. on the embedded database; never with a configured one), the page the printed "try the
 * flow" URL comes back to. It shows the authorization response and, for the flow that URL started
 * (its {@code state}), redeems the code as the demo client would: {@code demo-web}'s secret and the
 * flow's PKCE verifier, at this server's own {@code /token}, over HTTP like any client. A code from
 * another flow is shown with the command that redeems it, since only that flow's client knows its
 * verifier.
 */
public final class DevCallbackRoutes implements RouteGroup {
  public static final String PATH = "/dev/callback";

  private final DevSeed.Flow flow;
  private HttpClient http; // one per verticle, on its event loop

  public DevCallbackRoutes(DevSeed.Flow flow) {
    this.flow = flow;
  }

  @Override
  public void mount(Router router) {
    router.get(PATH).handler(this::callback);
  }

  private void callback(RoutingContext ctx) {
    MultiMap q = ctx.queryParams();
    String state = q.get("state");
    String error = q.get("error");
    String code = q.get("code");
    if (error != null || code == null) {
      String description = q.get("error_description");
      send(
          ctx,
          new DevCallbackPage(
              null,
              state,
              error == null
                  ? Text.of("dev.noCodeNoError")
                  : description == null
                      ? Text.verbatim(error)
                      : Text.of("dev.responseError", error, description),
              null,
              null,
              null));
      return;
    }
    if (!flow.state().equals(state) || flow.clientSecret() == null) {
      send(ctx, new DevCallbackPage(code, state, null, null, null, flow.redeemCommand(code)));
      return;
    }
    redeem(ctx, code)
        .onSuccess(
            answer ->
                send(
                    ctx,
                    new DevCallbackPage(
                        code, state, null, answer.encodePrettily(), idTokenClaims(answer), null)))
        .onFailure(
            err ->
                send(
                    ctx,
                    new DevCallbackPage(
                        code,
                        state,
                        Text.of("dev.tokenEndpointFailed", String.valueOf(err.getMessage())),
                        null,
                        null,
                        flow.redeemCommand(code))));
  }

  /** POST /token on the address the request came in on, as demo-web. */
  private Future<JsonObject> redeem(RoutingContext ctx, String code) {
    if (http == null) {
      http = ctx.vertx().createHttpClient();
    }
    SocketAddress local = ctx.request().localAddress();
    String form =
        "grant_type=authorization_code&code="
            + enc(code)
            + "&redirect_uri="
            + enc(flow.redirectUri())
            + "&code_verifier="
            + enc(flow.verifier());
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    String basic =
        Base64.getEncoder()
            .encodeToString(
                (enc(flow.clientId()) + ":" + enc(flow.clientSecret()))
                    .getBytes(StandardCharsets.UTF_8));
    return http.request(
            new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(local.hostAddress())
                .setPort(local.port())
                .setURI("/token")
                .putHeader("Content-Type", "application/x-www-form-urlencoded")
                .putHeader("Authorization", "Basic " + basic))
        .compose(req -> req.send(Buffer.buffer(form)))
        .compose(resp -> resp.body())
        .map(
            body -> {
              try {
                return new JsonObject(body);
              } catch (DecodeException e) {
                return new JsonObject().put("unexpected_answer", body.toString());
              }
            });
  }

  private static String idTokenClaims(JsonObject answer) {
    String idToken = answer.getString("id_token");
    if (idToken == null || idToken.split("\\.").length != 3) {
      return null;
    }
    try {
      return new JsonObject(
              new String(
                  Base64.getUrlDecoder().decode(idToken.split("\\.")[1]), StandardCharsets.UTF_8))
          .encodePrettily();
    } catch (IllegalArgumentException | DecodeException e) {
      return null;
    }
  }

  private static void send(RoutingContext ctx, DevCallbackPage page) {
    Pages.send(ctx, 200, "dev-callback.jte", page);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
