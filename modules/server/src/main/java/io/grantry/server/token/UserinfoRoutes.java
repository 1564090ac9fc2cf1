package io.grantry.server.token;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.Scopes;
import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import io.grantry.server.http.EndpointPaths;
import io.grantry.server.http.EndpointPaths.Endpoint;
import io.grantry.server.http.FormBody;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.oauth.OAuthServices;
import io.grantry.server.oauth.UserClaims;
import io.grantry.server.tokens.DpopProofs;
import io.grantry.server.tokens.IssuedJwts;
import io.grantry.server.tokenstate.TokenState;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code GET/POST /userinfo} (OIDC Core §5.3): the subject and the claims its scopes release, for a
 * live access token (a JWT or an opaque one) that carries {@code openid}. Errors follow RFC 6750
 * §3. A JWT is ours if it is the very string its issuing event recorded the hash of, else if its
 * signature verifies ({@code IssuedJwts}, as {@code /introspect} decides): its row, found by the
 * unverified payload's {@code jti}, is read first, so a string that is not ours costs that read too
 * (it is refused exactly as before).
 */
public final class UserinfoRoutes implements RouteGroup {
  private final OAuthServices s;
  private final TokenState state;
  private final EndpointPaths paths;

  public UserinfoRoutes(OAuthServices services, EndpointPaths paths) {
    this.paths = paths;
    this.s = services;
    this.state = services.tokenState;
  }

  @Override
  public void mount(Router router) {
    for (Route r : paths.routes(router, HttpMethod.GET, Endpoint.USERINFO)) {
      r.handler(this::userinfo);
    }
    for (Route r : paths.routes(router, HttpMethod.POST, Endpoint.USERINFO)) {
      r.handler(FormBody.limit(16 * 1024)).handler(this::userinfo);
    }
  }

  /**
   * The bearer token of the request (RFC 6750 §2): from the Authorization header or, in a POST, the
   * form's {@code access_token} (§2.2); null when there is none. The query parameter (§2.3) is not
   * a method we accept, but it counts as one: "Clients MUST NOT use more than one method to
   * transmit the token in each request", so a token sent in two places, or the form's parameter
   * twice, is refused (invalid_request, §3.1) rather than one of them picked — a proxy or a cache
   * that looks at the other copy would otherwise judge a different token than we do.
   *
   * @throws IllegalArgumentException naming the problem, for invalid_request
   */
  private static Presented presentedToken(RoutingContext ctx) {
    List<String> headers = ctx.request().headers().getAll("Authorization");
    String header = headers.isEmpty() ? null : headers.get(0);
    boolean bearer = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7);
    // RFC 9449 §7.1: a DPoP-bound token comes with the DPoP scheme (and a proof).
    boolean dpop = header != null && header.regionMatches(true, 0, "DPoP ", 0, 5);
    boolean inHeader = bearer || dpop;
    List<String> inBody = List.of();
    if (ctx.request().method() == HttpMethod.POST
        && FormBody.isForm(ctx.request().getHeader("Content-Type"))) {
      try {
        inBody = FormBody.parse(FormBody.body(ctx)).getAll("access_token");
      } catch (FormBody.MalformedFormException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
    }
    int ways = (inHeader ? 1 : 0) + inBody.size() + ctx.queryParams().getAll("access_token").size();
    if (ways > 1 || headers.size() > 1) {
      throw new IllegalArgumentException(
          "the access token was sent in more than one way (RFC 6750 §2)");
    }
    if (inHeader) {
      return new Presented(header.substring(bearer ? 7 : 5).trim(), dpop);
    }
    return header == null && inBody.size() == 1 ? new Presented(inBody.get(0), false) : null;
  }

  /** The access token as presented, and whether with the DPoP scheme. */
  private record Presented(String token, boolean dpop) {}

  private void userinfo(RoutingContext ctx) {
    Presented presented;
    try {
      presented = presentedToken(ctx);
    } catch (IllegalArgumentException e) {
      ctx.response()
          .setStatusCode(400)
          .putHeader(
              "WWW-Authenticate",
              "Bearer error=\"invalid_request\", error_description=\"" + e.getMessage() + "\"")
          .putHeader("Cache-Control", "no-store")
          .end();
      return;
    }
    String token = presented == null ? null : presented.token();
    if (token == null || token.isEmpty()) {
      ctx.response()
          .setStatusCode(401)
          .putHeader("WWW-Authenticate", "Bearer realm=\"grantry\"")
          .putHeader("Cache-Control", "no-store")
          .end();
      return;
    }
    Instant now = s.clock.instant();
    Optional<String> opaqueJti = GrantTokens.opaqueJtiOf(token);
    if (opaqueJti.isPresent()) {
      // An opaque access token names its row by itself, and is a bearer token.
      String jti = opaqueJti.get();
      if (presented.dpop()) {
        dpopChallenge(ctx, "invalid_token", "the access token is not DPoP-bound: use Bearer");
        return;
      }
      state.accessToken(jti).onFailure(ctx::fail).onSuccess(row -> answer(ctx, row, now));
      return;
    }
    // A JWT: its row is found by the jti of its payload, read before anything is trusted; the token
    // is ours if its SHA-256 equals the hash its issuing event recorded, else if its signature
    // verifies (IssuedJwts, as /introspect decides). The row then serves the answer.
    JwsVerifier verifier = s.keys.verifier();
    JsonObject claims;
    try {
      claims = verifier.readUnverified(token, JwsSigner.TYP_ACCESS_TOKEN).payload();
    } catch (InvalidJwsException e) {
      invalid(ctx, "the access token is not valid");
      return;
    }
    if (!(claims.getValue("jti") instanceof String jti)) {
      invalid(ctx, "the access token is not valid");
      return;
    }
    state
        .accessToken(jti)
        .onFailure(ctx::fail)
        .onSuccess(
            row -> {
              if (!IssuedJwts.issued(token, row.flatMap(TokenState.Token::tokenHash), verifier)
                  || !s.issuer.equals(claims.getValue("iss"))) {
                invalid(ctx, "the access token is not valid");
                return;
              }
              // The key the token is bound to (RFC 9449 §6: cnf.jkt).
              String jkt =
                  claims.getValue("cnf") instanceof JsonObject cnf
                          && cnf.getValue("jkt") instanceof String bound
                      ? bound
                      : null;
              presentedJwt(ctx, presented, jkt, row, now);
            });
  }

  /** A JWT of ours, its row as read: checked against how it was presented, then answered. */
  private void presentedJwt(
      RoutingContext ctx,
      Presented presented,
      String jkt,
      Optional<TokenState.Token> row,
      Instant now) {
    if (jkt == null && !presented.dpop()) {
      answer(ctx, row, now);
      return;
    }
    if (jkt == null) {
      dpopChallenge(ctx, "invalid_token", "the access token is not DPoP-bound: use Bearer");
      return;
    }
    if (!presented.dpop()) {
      // RFC 9449 §7.2: a bound token presented as a bearer token is refused, with the challenge
      // that says how to present it.
      dpopChallenge(
          ctx, "invalid_token", "the access token is DPoP-bound: present it with DPoP and a proof");
      return;
    }
    s.dpop
        .check(
            ctx.request().headers().getAll("DPoP"),
            ctx.request().method().name(),
            ctx.currentRoute().getPath(),
            Optional.of(presented.token()))
        .onFailure(ctx::fail)
        .onSuccess(
            proof -> {
              if (!proof.ok()) {
                dpopChallenge(ctx, proof.errorCode(), proof.error());
              } else if (!jkt.equals(proof.jkt())) {
                dpopChallenge(
                    ctx, "invalid_token", "the DPoP proof is not of the key the token is bound to");
              } else {
                s.dpop
                    .currentNonce()
                    .ifPresent(n -> ctx.response().putHeader(TokenRoutes.NONCE, n));
                answer(ctx, row, now);
              }
            });
  }

  /** The claims for the token whose row is {@code t}, once its presentation is checked. */
  private void answer(RoutingContext ctx, Optional<TokenState.Token> t, Instant now) {
    if (t.isEmpty() || !t.get().activeAt(now)) {
      invalid(ctx, "the access token is expired or revoked");
      return;
    }
    Scopes scopes = Scopes.parse(t.get().scope());
    if (!scopes.contains(Scopes.OPENID)) {
      ctx.response()
          .setStatusCode(403)
          .putHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"openid\"")
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
              JsonObject body = UserClaims.of(user.get(), scopes).put("sub", user.get().userId());
              ctx.response()
                  .putHeader("Content-Type", "application/json")
                  .putHeader("Cache-Control", "no-store")
                  .end(body.encode());
            });
  }

  /**
   * RFC 9449 §7.1: 401 with the DPoP challenge, the algorithms proofs may use, and a nonce to use
   * when nonces are on (§9).
   */
  private void dpopChallenge(RoutingContext ctx, String error, String why) {
    s.dpop.currentNonce().ifPresent(n -> ctx.response().putHeader(TokenRoutes.NONCE, n));
    ctx.response()
        .setStatusCode(401)
        .putHeader(
            "WWW-Authenticate",
            "DPoP error=\""
                + error
                + "\", error_description=\""
                + why
                + "\", algs=\""
                + String.join(" ", DpopProofs.ALGORITHMS)
                + "\"")
        .putHeader("Cache-Control", "no-store")
        .end();
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
