package io.grantry.server.token;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.oauth.UserClaims;
import io.grantry.server.tokenstate.TokenState;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;

/**
 * {@code GET/POST /userinfo} (OIDC Core §5.3): the subject and the claims its scopes release, for a
 * live access token (a JWT or an opaque one) that carries {@code openid}. Errors follow RFC 6750
 * §3.
 */
public final class UserinfoRoutes implements RouteGroup {
  private final OAuthServices s;
  private final TokenState state;

  public UserinfoRoutes(OAuthServices services) {
    this.s = services;
    this.state = new TokenState(services.resources.pool());
  }

  @Override
  public void mount(Router router) {
    router.get("/userinfo").handler(this::userinfo);
    router
        .post("/userinfo")
        .handler(BodyHandler.create(false).setBodyLimit(16 * 1024))
        .handler(this::userinfo);
  }

  private void userinfo(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String token = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = header.substring(7).trim();
    } else if (header == null
        && ctx.request().method().name().equals("POST")
        && String.valueOf(ctx.request().getHeader("Content-Type"))
            .startsWith("application/x-www-form-urlencoded")) {
      token = ctx.request().getFormAttribute("access_token");
    }
    if (token == null || token.isEmpty()) {
      ctx.response()
          .setStatusCode(401)
          .putHeader("WWW-Authenticate", "Bearer realm=\"grantry\"")
          .putHeader("Cache-Control", "no-store")
          .end();
      return;
    }
    Instant now = s.clock.instant();
    // An opaque access token names its row by itself; a JWT must verify first.
    String jti = GrantTokens.opaqueJtiOf(token).orElse(null);
    if (jti == null) {
      JsonObject claims;
      try {
        claims = s.resources.keys().verifier().verify(token, JwsSigner.TYP_ACCESS_TOKEN).payload();
      } catch (InvalidJwsException e) {
        invalid(ctx, "the access token is not valid");
        return;
      }
      jti = claims.getString("jti");
      if (jti == null || !s.issuer.equals(claims.getString("iss"))) {
        invalid(ctx, "the access token is not valid");
        return;
      }
    }
    state
        .accessToken(jti)
        .onFailure(ctx::fail)
        .onSuccess(
            t -> {
              if (t.isEmpty() || !t.get().activeAt(now)) {
                invalid(ctx, "the access token is expired or revoked");
                return;
              }
              Scopes scopes = Scopes.parse(t.get().scope());
              if (!scopes.contains(Scopes.OPENID)) {
                ctx.response()
                    .setStatusCode(403)
                    .putHeader(
                        "WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"openid\"")
                    .putHeader("Cache-Control", "no-store")
                    .end();
                return;
              }
              s.users
                  .findById(t.get().subject())
                  .onFailure(ctx::fail)
                  .onSuccess(
                      user -> {
                        if (user.isEmpty() || user.get().disabled()) {
                          invalid(ctx, "the access token's user is gone");
                          return;
                        }
                        JsonObject body =
                            UserClaims.of(user.get(), scopes).put("sub", user.get().userId());
                        ctx.response()
                            .putHeader("Content-Type", "application/json")
                            .putHeader("Cache-Control", "no-store")
                            .end(body.encode());
                      });
            });
  }

  private static void invalid(RoutingContext ctx, String why) {
    ctx.response()
        .setStatusCode(401)
        .putHeader(
            "WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"" + why + "\"")
        .putHeader("Cache-Control", "no-store")
        .end();
  }
}
